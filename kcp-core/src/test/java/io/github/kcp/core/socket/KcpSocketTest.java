package io.github.kcp.core.socket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The blocking socket ({@link KcpSocket}) over loopback: aiokcp's {@code socket_pair} and client/server examples,
 * timeouts that never look like the end of the stream, and the end of the stream only after the peer closed.
 */
@Timeout(30)
class KcpSocketTest {

	static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).windowSize(256, 256).build();

	private static final int WAIT_MILLIS = 10_000;

	@Test
	void socketPairExchangesBothWaysLikeAiokcp() throws Exception {
		try (KcpSocket.SocketPair pair = KcpSocket.pair(FAST)) {
			KcpSocket sock1 = pair.first();
			KcpSocket sock2 = pair.second();
			sock1.setSoTimeout(WAIT_MILLIS);
			sock2.setSoTimeout(WAIT_MILLIS);
			sock1.send(bytes("123"));
			assertThat(sock2.recv(100)).isEqualTo(bytes("123"));
			sock2.send(bytes("234"));
			assertThat(sock1.recv(100)).isEqualTo(bytes("234"));
			assertThat(sock1.getRemoteSocketAddress()).isEqualTo(sock2.getLocalSocketAddress());
			assertThat(sock2.getRemoteSocketAddress()).isEqualTo(sock1.getLocalSocketAddress());
		}
	}

	@Test
	void connectAndAcceptExchangeLikeAiokcpsServerClientExample() throws Exception {
		try (KcpServerSocket server = KcpServerSocket.bind("127.0.0.1", 0, FAST);
				KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
			server.setSoTimeout(WAIT_MILLIS);
			client.setSoTimeout(WAIT_MILLIS);
			// KCP has no handshake: the server learns of the session from its first data.
			client.send(bytes("hello"));
			try (KcpSocket accepted = server.accept()) {
				accepted.setSoTimeout(WAIT_MILLIS);
				assertThat(accepted.getRemoteSocketAddress().getPort()).isEqualTo(client.getLocalSocketAddress().getPort());
				assertThat(accepted.recv(100)).isEqualTo(bytes("hello"));
				accepted.send(bytes("123"));
				assertThat(client.recv(100)).isEqualTo(bytes("123"));
				client.send(bytes("234"));
				assertThat(accepted.recv(100)).isEqualTo(bytes("234"));
			}
		}
	}

	@Test
	void acceptReturnsBeforeTheClientSendsAnythingLikeAiokcp() throws Exception {
		// aiokcp: sock1 = create_server(...); sock2 = create_connection(...); server_sock, _ = sock1.accept()
		try (KcpServerSocket server = KcpServerSocket.bind("127.0.0.1", 0, FAST);
				KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
			server.setSoTimeout(WAIT_MILLIS);
			client.setSoTimeout(WAIT_MILLIS);
			try (KcpSocket accepted = server.accept()) {
				accepted.setSoTimeout(WAIT_MILLIS);
				accepted.send(bytes("123"));
				assertThat(client.recv(100)).isEqualTo(bytes("123"));
				client.send(bytes("234"));
				// The empty message that announced the client is not data: the first receive is the real one.
				assertThat(accepted.recv(100)).isEqualTo(bytes("234"));
			}
		}
	}

	@Test
	void receiveTimeoutThrowsSocketTimeoutAndTheSocketStaysUsable() throws Exception {
		try (KcpSocket.SocketPair pair = KcpSocket.pair(FAST)) {
			KcpSocket receiver = pair.second();
			receiver.setSoTimeout(100);
			long started = System.nanoTime();
			assertThatExceptionOfType(SocketTimeoutException.class).isThrownBy(() -> receiver.recv(100));
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(90));
			byte[] buffer = new byte[100];
			assertThatExceptionOfType(SocketTimeoutException.class).isThrownBy(() -> receiver.recv(buffer, 0, 100));
			assertThatExceptionOfType(SocketTimeoutException.class)
				.isThrownBy(() -> receiver.getInputStream().read(buffer));
			assertThat(receiver.isClosed()).isFalse();

			pair.first().send(bytes("after three timeouts"));
			receiver.setSoTimeout(WAIT_MILLIS);
			assertThat(receiver.recv(100)).isEqualTo(bytes("after three timeouts"));
			// And it still sends.
			receiver.send(bytes("reply"));
			pair.first().setSoTimeout(WAIT_MILLIS);
			assertThat(pair.first().recv(100)).isEqualTo(bytes("reply"));
		}
	}

	@Test
	void endOfStreamOnlyAfterThePeerClosed() throws Exception {
		try (KcpSocket.SocketPair pair = KcpSocket.pair(FAST)) {
			KcpSocket closing = pair.first();
			KcpSocket reader = pair.second();
			closing.send(bytes("last words"));
			closing.flush();
			reader.setSoTimeout(100);
			assertThat(reader.recv(100)).isEqualTo(bytes("last words"));
			// Nothing more yet, but the peer is still there: a timeout, not the end.
			assertThatExceptionOfType(SocketTimeoutException.class).isThrownBy(() -> reader.recv(100));
			closing.close();
			reader.setSoTimeout(WAIT_MILLIS);
			assertThat(reader.recv(100)).isEmpty();
			assertThat(reader.recv(new byte[10], 0, 10)).isEqualTo(-1);
			assertThat(reader.getInputStream().read()).isEqualTo(-1);
			assertThat(reader.session().closeFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS))
				.isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThatExceptionOfType(KcpConnectionClosedException.class)
				.isThrownBy(() -> reader.send(bytes("to nobody")));
		}
	}

	@Test
	void blockedReceiveReturnsEndOfStreamWhenThePeerCloses() throws Exception {
		try (KcpSocket.SocketPair pair = KcpSocket.pair(FAST)) {
			CompletableFuture<byte[]> received = new CompletableFuture<>();
			Thread reader = startReceiving(pair.second(), received);
			awaitBlocked(reader);
			pair.first().close();
			assertThat(received.get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).isEmpty();
		}
	}

	@Test
	void sessionThatTimesOutIsAnErrorNotTheEndOfStream() throws Exception {
		// The peer never answers: the session ends by idle timeout, which must not read as a clean end.
		KcpConfig shortIdle = FAST.toBuilder().idleTimeout(Duration.ofMillis(300)).build();
		try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
				KcpSocket socket = KcpSocket.connect("127.0.0.1", silent.getLocalPort(), shortIdle)) {
			socket.setSoTimeout(WAIT_MILLIS);
			assertThatExceptionOfType(KcpConnectionClosedException.class).isThrownBy(() -> socket.recv(100))
				.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(CloseReason.IDLE_TIMEOUT));
			assertThatExceptionOfType(KcpConnectionClosedException.class)
				.isThrownBy(() -> socket.getInputStream().read());
		}
	}

	@Test
	void closingTheSocketUnblocksAReceiveInAnotherThread() throws Exception {
		try (KcpSocket.SocketPair pair = KcpSocket.pair(FAST)) {
			KcpSocket socket = pair.first();
			CompletableFuture<byte[]> received = new CompletableFuture<>();
			Thread reader = startReceiving(socket, received);
			awaitBlocked(reader);
			socket.close();
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> received.get(WAIT_MILLIS, TimeUnit.MILLISECONDS))
				.withCauseExactlyInstanceOf(SocketException.class)
				.withMessageContaining("Socket is closed");
			assertThat(socket.isClosed()).isTrue();
			assertThatExceptionOfType(SocketException.class).isThrownBy(() -> socket.send(bytes("x")));
			assertThatExceptionOfType(SocketException.class).isThrownBy(() -> socket.recv(1));
		}
	}

	@Test
	void interruptingABlockedReceiveThrowsInterruptedIOExceptionAndLosesNothing() throws Exception {
		try (KcpSocket.SocketPair pair = KcpSocket.pair(FAST)) {
			CompletableFuture<byte[]> received = new CompletableFuture<>();
			Thread reader = startReceiving(pair.second(), received);
			awaitBlocked(reader);
			reader.interrupt();
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> received.get(WAIT_MILLIS, TimeUnit.MILLISECONDS))
				.withCauseExactlyInstanceOf(InterruptedIOException.class);
			pair.first().send(bytes("still delivered"));
			pair.second().setSoTimeout(WAIT_MILLIS);
			assertThat(pair.second().recv(100)).isEqualTo(bytes("still delivered"));
		}
	}

	/** Starts a thread that receives once (no timeout) and reports the outcome. */
	private static Thread startReceiving(KcpSocket socket, CompletableFuture<byte[]> received) {
		Thread reader = new Thread(() -> {
			try {
				received.complete(socket.recv(100));
			}
			catch (Throwable ex) {
				received.completeExceptionally(ex);
			}
		}, "test-receiver");
		reader.setDaemon(true);
		reader.start();
		return reader;
	}

	/** Waits until the thread is parked inside the receive, so what follows really interrupts a blocked call. */
	private static void awaitBlocked(Thread thread) {
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
			.until(() -> thread.getState() == Thread.State.WAITING);
	}

	@Test
	void abortClosesAtOnceEvenWithUnacknowledgedData() throws Exception {
		try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
			KcpSocket socket = KcpSocket.connect("127.0.0.1", silent.getLocalPort(), FAST);
			socket.send(bytes("never acknowledged"));
			socket.abort();
			assertThat(socket.session().closeFuture().get(WAIT_MILLIS, TimeUnit.MILLISECONDS))
				.isEqualTo(CloseReason.CLOSED_LOCALLY);
			socket.close();
			assertThat(socket.isClosed()).isTrue();
			assertThatExceptionOfType(SocketException.class).isThrownBy(() -> socket.recv(1));
			// The dropped data is reported, not silently forgotten.
			assertThatExceptionOfType(KcpConnectionClosedException.class)
				.isThrownBy(() -> socket.drain(Duration.ofSeconds(1)))
				.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(CloseReason.CLOSED_LOCALLY));
		}
	}

	@ParameterizedTest(name = "stream mode {0}")
	@ValueSource(booleans = { false, true })
	void inputAndOutputStreamsRoundTripOneMegabyteByteForByte(boolean streamMode) throws Exception {
		KcpConfig config = FAST.toBuilder().stream(streamMode).build();
		byte[] data = new byte[1 << 20];
		new Random(streamMode ? 7 : 8).nextBytes(data);
		try (KcpSocket.SocketPair pair = KcpSocket.pair(config)) {
			pair.first().setSoTimeout(WAIT_MILLIS);
			pair.second().setSoTimeout(WAIT_MILLIS);
			// The second socket echoes through its own streams, on its own thread.
			CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
				try {
					InputStream in = pair.second().getInputStream();
					OutputStream out = pair.second().getOutputStream();
					byte[] buffer = new byte[8192];
					int total = 0;
					while (total < data.length) {
						int n = in.read(buffer);
						assertThat(n).isPositive();
						out.write(buffer, 0, n);
						total += n;
					}
					out.flush();
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			});
			OutputStream out = pair.first().getOutputStream();
			for (int offset = 0; offset < data.length; offset += 10_000) {
				out.write(data, offset, Math.min(10_000, data.length - offset));
			}
			out.flush();
			byte[] echoed = pair.first().getInputStream().readNBytes(data.length);
			echo.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
			assertThat(echoed).isEqualTo(data);
		}
	}

	@Test
	void flushWaitsForAcknowledgement() throws Exception {
		try (KcpSocket.SocketPair pair = KcpSocket.pair(FAST)) {
			byte[] data = new byte[200_000];
			new Random(9).nextBytes(data);
			OutputStream out = pair.first().getOutputStream();
			out.write(data);
			out.flush();
			// Acknowledged means the peer's socket holds every byte: it is readable without waiting.
			assertThat(pair.second().getInputStream().available()).isEqualTo(data.length);
			assertThat(pair.first().session().stats().sendBufferedBytes()).isZero();
		}
	}

	@Test
	void sendBlocksWhileThePeerDoesNotReadThenTimesOutAndLosesNothing() throws Exception {
		// Small buffers: the reader's buffer fills, its window closes, the sender's buffer fills, send waits.
		KcpConfig small = FAST.toBuilder().windowSize(32, 32).sendBufferSize(64_000).readBufferSize(32_000).build();
		try (KcpSocket.SocketPair pair = KcpSocket.pair(small)) {
			KcpSocket sender = pair.first();
			KcpSocket reader = pair.second();
			sender.setSendTimeout(Duration.ofMillis(300));
			int sent = 0;
			byte[] message = new byte[1000];
			boolean timedOut = false;
			while (!timedOut && sent < 2000) {
				message[0] = (byte) sent;
				message[1] = (byte) (sent >> 8);
				try {
					sender.send(message);
					sent++;
				}
				catch (SocketTimeoutException ex) {
					timedOut = true;
				}
			}
			assertThat(timedOut).as("send timed out once the buffers were full").isTrue();
			// Bounded by the buffers and windows, not by memory: well under what 2000 sends would be.
			assertThat(sent).isBetween(64, 600);
			assertThat(sender.isClosed()).isFalse();

			reader.setSoTimeout(WAIT_MILLIS);
			for (int i = 0; i < sent; i++) {
				byte[] received = reader.recv(2000);
				assertThat(received).hasSize(1000);
				assertThat((received[0] & 0xff) | (received[1] & 0xff) << 8).isEqualTo(i);
			}
			// The timed-out message was not sent; the socket goes on.
			sender.send(bytes("after the timeout"));
			assertThat(reader.recv(2000)).isEqualTo(bytes("after the timeout"));
		}
	}

	@Test
	void messageModeKeepsMessagesApart() throws Exception {
		try (KcpSocket.SocketPair pair = KcpSocket.pair(FAST)) {
			pair.first().send(bytes("one"));
			pair.first().send(bytes("two"));
			pair.first().flush();
			KcpSocket reader = pair.second();
			reader.setSoTimeout(WAIT_MILLIS);
			assertThat(reader.recv(100)).isEqualTo(bytes("one"));
			assertThat(reader.recv(2)).isEqualTo(bytes("tw"));
			assertThat(reader.recv(100)).isEqualTo(bytes("o"));
		}
	}

	static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	static String text(byte[] data) {
		return new String(data, StandardCharsets.UTF_8);
	}

	static byte[] readFully(KcpSocket socket, int length) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		while (out.size() < length) {
			byte[] data = socket.recv(length - out.size());
			if (data.length == 0) {
				break;
			}
			out.write(data);
		}
		return out.toByteArray();
	}

}
