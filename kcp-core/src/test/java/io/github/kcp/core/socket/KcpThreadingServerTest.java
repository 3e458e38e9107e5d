package io.github.kcp.core.socket;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.KcpConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.github.kcp.core.socket.KcpSocketTest.FAST;
import static io.github.kcp.core.socket.KcpSocketTest.bytes;
import static io.github.kcp.core.socket.KcpSocketTest.readFully;
import static io.github.kcp.core.socket.KcpSocketTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The threading server ({@link KcpThreadingServer}) and the line handler ({@link KcpStreamRequestHandler}) over
 * loopback: aiokcp's socketserver examples, concurrency, failures and shutdown.
 */
@Timeout(30)
class KcpThreadingServerTest {

	private static final int WAIT_MILLIS = 10_000;

	private static final KcpConfig FAST_STREAM = FAST.toBuilder().stream(true).build();

	@Test
	void servesEightClientsAtOnceEachOnItsOwnThread() throws Exception {
		int clients = 8;
		CountDownLatch allInFlight = new CountDownLatch(clients);
		AtomicInteger sawAllInFlight = new AtomicInteger();
		Set<Thread> handlerThreads = ConcurrentHashMap.newKeySet();
		KcpRequestHandler handler = (socket) -> {
			handlerThreads.add(Thread.currentThread());
			allInFlight.countDown();
			// Only reachable if all eight handlers run at the same time: one at a time would wait here forever.
			try {
				if (allInFlight.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
					sawAllInFlight.incrementAndGet();
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new java.io.InterruptedIOException("interrupted while waiting for the other handlers");
			}
			byte[] data;
			while ((data = socket.recv(1024)).length > 0) {
				socket.send(data);
			}
		};
		List<KcpSocket> connected = new ArrayList<>();
		try (KcpThreadingServer server = new KcpThreadingServer("127.0.0.1", 0, FAST, handler).start()) {
			// If handlers ran one at a time, the first would hold up the rest: fail fast then, and shut down fast.
			server.setShutdownTimeout(Duration.ofSeconds(2));
			for (int i = 0; i < clients; i++) {
				KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST);
				client.setSoTimeout(WAIT_MILLIS);
				client.send(bytes("client-" + i));
				connected.add(client);
			}
			assertThat(allInFlight.await(WAIT_MILLIS, TimeUnit.MILLISECONDS))
				.as("all %d handlers running at the same time", clients).isTrue();
			for (int i = 0; i < clients; i++) {
				assertThat(text(connected.get(i).recv(100))).isEqualTo("client-" + i);
			}
			assertThat(sawAllInFlight).hasValue(clients);
			assertThat(server.activeHandlers()).isEqualTo(clients);
			assertThat(handlerThreads).hasSize(clients);
			boolean virtualThreadsExpected = Runtime.version().feature() >= 21;
			assertThat(server.usesVirtualThreads()).isEqualTo(virtualThreadsExpected);
			for (Thread thread : handlerThreads) {
				assertThat(isVirtual(thread)).as("virtual thread %s", thread).isEqualTo(virtualThreadsExpected);
				assertThat(thread.getName()).startsWith("kcp-handler-" + server.localPort() + "-");
			}
			// Clients closing end their handlers (end of stream), each handler's socket is closed by the server.
			connected.forEach(KcpSocket::close);
			await().atMost(Duration.ofSeconds(10)).until(() -> server.handledSessions() == clients);
			assertThat(server.failedHandlers()).isZero();
			assertThat(server.activeHandlers()).isZero();
		}
		finally {
			connected.forEach(KcpSocket::close);
		}
	}

	@Test
	void echoesLikeAiokcpsSocketserverExample() throws Exception {
		KcpRequestHandler echo = (socket) -> {
			byte[] data;
			while ((data = socket.recv(1024)).length > 0) {
				socket.send(data);
			}
		};
		try (KcpThreadingServer server = new KcpThreadingServer("127.0.0.1", 0, FAST, echo).start();
				KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
			client.setSoTimeout(WAIT_MILLIS);
			byte[] random = new byte[7000];
			new Random(11).nextBytes(random);
			client.send(bytes("abc"));
			client.send(random);
			byte[] expected = new byte[7003];
			System.arraycopy(bytes("abc"), 0, expected, 0, 3);
			System.arraycopy(random, 0, expected, 3, 7000);
			assertThat(readFully(client, expected.length)).isEqualTo(expected);
			client.close();
			await().atMost(Duration.ofSeconds(10)).until(() -> server.handledSessions() == 1);
			assertThat(server.failedHandlers()).isZero();
		}
	}

	@Test
	void streamHandlerReadsLinesLikeAiokcpsStreamExample() throws Exception {
		KcpStreamRequestHandler handler = (reader, writer, socket) -> {
			String line;
			while ((line = reader.readLine()) != null && !line.equals("end")) {
				writer.print(line);
				writer.flush();
			}
		};
		try (KcpThreadingServer server = new KcpThreadingServer("127.0.0.1", 0, FAST_STREAM, handler).start();
				KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST_STREAM)) {
			client.setSoTimeout(WAIT_MILLIS);
			client.send(bytes("abc\ndef\nghi\njkl\nmno\npqr\nstu\nvwx\nyza\nend\n"));
			assertThat(text(readFully(client, 27))).isEqualTo("abcdefghijklmnopqrstuvwxyza");
			// After "end" the handler returns and the server closes the session: the client sees the end.
			assertThat(client.recv(100)).isEmpty();
			assertThat(server.failedHandlers()).isZero();
		}
	}

	@Test
	void lineEchoHandlerAnswersEachLineInMessageMode() throws Exception {
		KcpStreamRequestHandler upperCase = (reader, writer, socket) -> {
			String line;
			while ((line = reader.readLine()) != null) {
				writer.println(line.toUpperCase());
			}
		};
		try (KcpThreadingServer server = new KcpThreadingServer("127.0.0.1", 0, FAST, upperCase).start();
				KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
			client.setSoTimeout(WAIT_MILLIS);
			PrintWriter out = new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8);
			BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
			out.println("hello");
			assertThat(in.readLine()).isEqualTo("HELLO");
			// Several lines in one message, and one line over several messages.
			out.print("two\nlines\nsp");
			out.flush();
			out.println("lit ünïcode");
			assertThat(in.readLine()).isEqualTo("TWO");
			assertThat(in.readLine()).isEqualTo("LINES");
			assertThat(in.readLine()).isEqualTo("SPLIT ÜNÏCODE");
		}
	}

	@Test
	void aFailingHandlerIsCountedAndTheServerGoesOn() throws Exception {
		KcpRequestHandler picky = (socket) -> {
			byte[] first = socket.recv(100);
			if (text(first).equals("fail")) {
				throw new IOException("refusing to serve this client");
			}
			socket.send(first);
		};
		try (KcpThreadingServer server = new KcpThreadingServer("127.0.0.1", 0, FAST, picky).start()) {
			try (KcpSocket failing = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
				failing.setSoTimeout(WAIT_MILLIS);
				failing.send(bytes("fail"));
				// The server closed the failed handler's socket: the client sees the end of the stream.
				assertThat(failing.recv(100)).isEmpty();
			}
			assertThat(server.failedHandlers()).isEqualTo(1);
			try (KcpSocket fine = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
				fine.setSoTimeout(WAIT_MILLIS);
				fine.send(bytes("fine"));
				assertThat(fine.recv(100)).isEqualTo(bytes("fine"));
			}
			assertThat(server.failedHandlers()).isEqualTo(1);
		}
	}

	@Test
	void closeStopsServingUnblocksHandlersAndReleasesThePort() throws Exception {
		CountDownLatch handlerBlocked = new CountDownLatch(1);
		CompletableFuture<Throwable> handlerOutcome = new CompletableFuture<>();
		KcpRequestHandler blocking = (socket) -> {
			socket.recv(100);
			handlerBlocked.countDown();
			try {
				socket.recv(100);
				handlerOutcome.complete(null);
			}
			catch (IOException ex) {
				handlerOutcome.complete(ex);
				throw ex;
			}
		};
		KcpThreadingServer server = new KcpThreadingServer("127.0.0.1", 0, FAST, blocking);
		server.setShutdownTimeout(Duration.ofSeconds(5));
		CompletableFuture<Void> serving = CompletableFuture.runAsync(() -> {
			try {
				server.serveForever();
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		});
		int port = server.localPort();
		try (KcpSocket client = KcpSocket.connect("127.0.0.1", port, FAST)) {
			client.setSoTimeout(WAIT_MILLIS);
			client.send(bytes("hold on"));
			assertThat(handlerBlocked.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
			long started = System.nanoTime();
			server.close();
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
			// serveForever returned normally, the blocked receive failed as a closed socket, the client saw the end.
			serving.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
			assertThat(handlerOutcome.get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).isInstanceOf(SocketException.class)
				.hasMessageContaining("Socket is closed");
			assertThat(client.recv(100)).isEmpty();
			assertThat(server.activeHandlers()).isZero();
		}
		// The port is free again; NIO releases a selector-registered descriptor when the loop next deregisters it.
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).ignoreExceptions().untilAsserted(() -> {
			try (DatagramSocket rebound = new DatagramSocket(
					new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
				assertThat(rebound.getLocalPort()).isEqualTo(port);
			}
		});
	}

	@Test
	void closeInterruptsHandlersThatOutliveTheShutdownTimeout() throws Exception {
		CountDownLatch started = new CountDownLatch(1);
		CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
		KcpRequestHandler stubborn = (socket) -> {
			started.countDown();
			try {
				// Not blocked on the socket, so closing the socket does not end it; only an interrupt does.
				new CountDownLatch(1).await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
				interrupted.complete(false);
			}
			catch (InterruptedException ex) {
				interrupted.complete(true);
			}
		};
		KcpThreadingServer server = new KcpThreadingServer("127.0.0.1", 0, FAST, stubborn).start();
		server.setShutdownTimeout(Duration.ofMillis(300));
		try (KcpSocket client = KcpSocket.connect("127.0.0.1", server.localPort(), FAST)) {
			assertThat(started.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
			long begun = System.nanoTime();
			server.close();
			assertThat(interrupted.get(WAIT_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
			assertThat(Duration.ofNanos(System.nanoTime() - begun)).isLessThan(Duration.ofSeconds(5));
		}
	}

	/** {@code Thread.isVirtual()} where it exists (Java 21+), else false; the tests compile for Java 17. */
	private static boolean isVirtual(Thread thread) {
		try {
			Method isVirtual = Thread.class.getMethod("isVirtual");
			return (boolean) isVirtual.invoke(thread);
		}
		catch (ReflectiveOperationException ex) {
			return false;
		}
	}

}
