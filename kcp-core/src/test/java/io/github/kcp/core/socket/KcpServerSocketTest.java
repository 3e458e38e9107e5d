package io.github.kcp.core.socket;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.AesCbcHmacCipher;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.github.kcp.core.socket.KcpSocketTest.FAST;
import static io.github.kcp.core.socket.KcpSocketTest.bytes;
import static io.github.kcp.core.socket.KcpSocketTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The blocking server socket ({@link KcpServerSocket}) over loopback: accept, its timeout, its close.
 */
@Timeout(30)
class KcpServerSocketTest {

	private static final int WAIT_MILLIS = 10_000;

	@Test
	void acceptsSeveralClientsEachWithItsOwnConversation() throws Exception {
		int clients = 5;
		List<KcpSocket> connected = new ArrayList<>();
		try (KcpServerSocket server = KcpServerSocket.bind("127.0.0.1", 0, FAST)) {
			server.setSoTimeout(WAIT_MILLIS);
			for (int i = 0; i < clients; i++) {
				KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST);
				client.setSoTimeout(WAIT_MILLIS);
				client.send(bytes("client-" + i));
				connected.add(client);
			}
			Map<String, KcpSocket> acceptedByGreeting = new HashMap<>();
			for (int i = 0; i < clients; i++) {
				KcpSocket accepted = server.accept();
				accepted.setSoTimeout(WAIT_MILLIS);
				acceptedByGreeting.put(text(accepted.recv(100)), accepted);
			}
			assertThat(acceptedByGreeting).hasSize(clients);
			assertThat(server.server().sessionCount()).isEqualTo(clients);
			// Each accepted socket talks to its own client only.
			for (Map.Entry<String, KcpSocket> entry : acceptedByGreeting.entrySet()) {
				entry.getValue().send(bytes("reply to " + entry.getKey()));
			}
			for (int i = 0; i < clients; i++) {
				assertThat(text(connected.get(i).recv(100))).isEqualTo("reply to client-" + i);
			}
			for (KcpSocket accepted : acceptedByGreeting.values()) {
				accepted.close();
			}
		}
		finally {
			connected.forEach(KcpSocket::close);
		}
	}

	@Test
	void acceptTimeoutThrowsSocketTimeoutAndTheServerSocketStaysUsable() throws Exception {
		try (KcpServerSocket server = KcpServerSocket.bind("127.0.0.1", 0, FAST)) {
			server.setSoTimeout(100);
			long started = System.nanoTime();
			assertThatExceptionOfType(SocketTimeoutException.class).isThrownBy(server::accept);
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(90));
			assertThat(server.isClosed()).isFalse();

			try (KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
				client.send(bytes("late"));
				server.setSoTimeout(WAIT_MILLIS);
				try (KcpSocket accepted = server.accept()) {
					accepted.setSoTimeout(WAIT_MILLIS);
					assertThat(accepted.recv(100)).isEqualTo(bytes("late"));
				}
			}
		}
	}

	@Test
	void closingTheServerSocketUnblocksAcceptWithAClearException() throws Exception {
		KcpServerSocket server = KcpServerSocket.bind("127.0.0.1", 0, FAST);
		CompletableFuture<KcpSocket> accepting = new CompletableFuture<>();
		Thread acceptor = new Thread(() -> {
			try {
				accepting.complete(server.accept());
			}
			catch (Throwable ex) {
				accepting.completeExceptionally(ex);
			}
		}, "test-acceptor");
		acceptor.setDaemon(true);
		acceptor.start();
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
			.until(() -> acceptor.getState() == Thread.State.WAITING);
		server.close();
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> accepting.get(WAIT_MILLIS, TimeUnit.MILLISECONDS))
			.withCauseExactlyInstanceOf(SocketException.class)
			.withMessageContaining("Server socket is closed");
		assertThat(server.isClosed()).isTrue();
		assertThatExceptionOfType(SocketException.class).isThrownBy(server::accept)
			.withMessageContaining("Server socket is closed");
		// With no accepted socket open, close released the UDP port. NIO releases the descriptor of a channel
		// registered with a selector only when its event loop next deregisters it, so wait for that.
		assertThat(server.server().closeFuture()).isDone();
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).ignoreExceptions().untilAsserted(() -> {
			try (DatagramSocket rebound = new DatagramSocket(
					new InetSocketAddress(InetAddress.getLoopbackAddress(), server.localPort()))) {
				assertThat(rebound.getLocalPort()).isEqualTo(server.localPort());
			}
		});
	}

	@Test
	void acceptedSocketsOutliveTheServerSocketAndTheLastOneReleasesThePort() throws Exception {
		KcpServerSocket server = KcpServerSocket.bind("127.0.0.1", 0, FAST);
		server.setSoTimeout(WAIT_MILLIS);
		try (KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
			client.setSoTimeout(WAIT_MILLIS);
			client.send(bytes("before"));
			KcpSocket accepted = server.accept();
			accepted.setSoTimeout(WAIT_MILLIS);
			server.close();
			assertThat(accepted.recv(100)).isEqualTo(bytes("before"));
			client.send(bytes("after"));
			assertThat(accepted.recv(100)).isEqualTo(bytes("after"));
			accepted.send(bytes("still here"));
			assertThat(client.recv(100)).isEqualTo(bytes("still here"));
			assertThat(server.server().closeFuture()).isNotDone();
			accepted.close();
			server.server().closeFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
			// The client was told of the close: end of stream.
			assertThat(client.recv(100)).isEmpty();
		}
	}

	@Test
	void sessionsBeyondTheBacklogAreRefused() throws Exception {
		try (KcpServerSocket server = KcpServerSocket.bind(new InetSocketAddress("127.0.0.1", 0), FAST, 1);
				KcpSocket first = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
			first.send(bytes("first"));
			first.flush();
			// The first session fills the backlog of one (a connect in message mode announces itself).
			try (KcpSocket second = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
				// The refused session is closed at once and its peer told: to it, the end of the stream.
				assertThat(second.session().closeFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS))
					.isEqualTo(CloseReason.CLOSED_BY_PEER);
				second.setSoTimeout(WAIT_MILLIS);
				assertThat(second.recv(100)).isEmpty();
			}
			assertThat(server.refusedSessions()).isEqualTo(1);
			server.setSoTimeout(WAIT_MILLIS);
			try (KcpSocket accepted = server.accept()) {
				accepted.setSoTimeout(WAIT_MILLIS);
				assertThat(accepted.recv(100)).isEqualTo(bytes("first"));
			}
		}
	}

	@Test
	void encryptedSessionsTalkAndAWrongKeyNeverGetsIn() throws Exception {
		// As aiokcp's KCPSocket.create_server(..., crypto=...) / create_connection(..., crypto=...).
		byte[] salt = bytes("1234567890123456");
		KcpConfig streams = FAST.toBuilder().stream(true).build();
		PacketCipher key = AesCbcHmacCipher.derive(bytes("12345678901234567890123456789012"), salt, 1000);
		PacketCipher wrongKey = AesCbcHmacCipher.derive(bytes("not the key"), salt, 1000);
		byte[] data = new byte[100_000];
		new java.util.Random(12).nextBytes(data);
		KcpSocket intruder = null;
		try (KcpServerSocket server = KcpServerSocket.bind(KcpServer.builder().config(streams).cipher(key),
				new InetSocketAddress("127.0.0.1", 0), KcpServerSocket.DEFAULT_BACKLOG);
				KcpSocket client = KcpSocket.connect(KcpClient.builder().config(streams).cipher(key),
						new InetSocketAddress("127.0.0.1", server.localPort()))) {
			intruder = KcpSocket.connect(KcpClient.builder().config(streams).cipher(wrongKey),
					new InetSocketAddress("127.0.0.1", server.localPort()));
			intruder.send(bytes("let me in"));
			await().atMost(Duration.ofSeconds(10))
				.until(() -> server.server().droppedDatagrams(DropReason.DECRYPT_FAILED) > 0);
			client.send(data);
			server.setSoTimeout(WAIT_MILLIS);
			try (KcpSocket accepted = server.accept()) {
				accepted.setSoTimeout(WAIT_MILLIS);
				assertThat(KcpSocketTest.readFully(accepted, data.length)).isEqualTo(data);
			}
			// Only the client with the right key was admitted.
			server.setSoTimeout(100);
			assertThatExceptionOfType(SocketTimeoutException.class).isThrownBy(server::accept);
		}
		finally {
			if (intruder != null) {
				// Its data will never be acknowledged: a graceful close would wait for the close timeout.
				intruder.abort();
			}
		}
	}

	@Test
	void bindingATakenPortFailsWithABindException() throws IOException {
		try (KcpServerSocket server = KcpServerSocket.bind("127.0.0.1", 0, FAST)) {
			assertThatExceptionOfType(BindException.class)
				.isThrownBy(() -> KcpServerSocket.bind("127.0.0.1", server.localPort(), FAST))
				.withMessageContaining("Cannot bind a KCP server socket")
				.withMessageContaining("in use");
		}
	}

}
