package io.github.kcp.core.dtls;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import io.github.kcp.testsupport.pki.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interop with OpenSSL's DTLS 1.2 ({@code openssl s_server -dtls1_2} and {@code s_client -dtls1_2}, Debian
 * package {@code openssl}) over real UDP sockets on loopback, carrying raw bytes both ways through our layer:
 * proof that the records are standard DTLS, that OpenSSL answers our gate's HelloVerifyRequest and the
 * engine's second one, and that certificates are checked both ways. Skipped when {@code openssl} is not
 * installed.
 */
@Timeout(60)
class DtlsOpenSslInteropTest {

	private static final TestPki.Identity CA = TestPki.authority("Interop CA");

	private static final TestPki.Identity SERVER = TestPki.server(CA, "kcp-server");

	private static final TestPki.Identity CLIENT = TestPki.client(CA, "openssl-client");

	@TempDir
	static Path pem;

	private final List<Process> processes = new ArrayList<>();

	@BeforeAll
	static void openSslIsInstalled() throws Exception {
		boolean installed;
		try {
			Process version = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
			installed = version.waitFor(10, TimeUnit.SECONDS) && version.exitValue() == 0;
		}
		catch (IOException ex) {
			installed = false;
		}
		Assumptions.assumeTrue(installed, "openssl is not installed (Debian: apt-get install openssl); interop tests skipped");
		TestPki.writeCertificates(pem.resolve("ca.pem"), CA.certificate());
		TestPki.writeCertificates(pem.resolve("server.pem"), SERVER.chain());
		TestPki.writeKey(pem.resolve("server.key"), SERVER);
		TestPki.writeCertificates(pem.resolve("client.pem"), CLIENT.chain());
		TestPki.writeKey(pem.resolve("client.key"), CLIENT);
	}

	@AfterEach
	void stopProcesses() throws InterruptedException {
		for (Process process : processes) {
			process.destroy();
			if (!process.waitFor(5, TimeUnit.SECONDS)) {
				process.destroyForcibly();
			}
		}
	}

	@Test
	void ourClientAndOpenSslServerExchangeBytesBothWays() throws Exception {
		int port;
		try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
			port = probe.getLocalPort();
		}
		Process server = start("openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port, "-naccept", "1",
				"-cert", pem.resolve("server.pem").toString(), "-key", pem.resolve("server.key").toString());
		LineReader serverOut = new LineReader(server);
		serverOut.await((line) -> line.startsWith("ACCEPT"), 20);

		DtlsSettings settings = DtlsSettings.builder(TestPki.context(null, CA)).initialRetransmitTimeoutMillis(200).build();
		try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
			InetSocketAddress peer = new InetSocketAddress("127.0.0.1", port);
			DtlsConnection connection = DtlsConnection.client(settings, "127.0.0.1", port, millis());
			List<ByteBuffer> received = new ArrayList<>();
			pump(socket, peer, connection, received, () -> connection.state() != DtlsConnection.State.HANDSHAKING);
			assertThat(connection.state()).isEqualTo(DtlsConnection.State.ESTABLISHED);
			assertThat(connection.peerPrincipal()).hasToString("CN=kcp-server");

			connection.send(ByteBuffer.wrap("datagram from kcp-spring\n".getBytes(StandardCharsets.US_ASCII)));
			pump(socket, peer, connection, received, () -> true);
			serverOut.await((line) -> line.contains("datagram from kcp-spring"), 20);
			OutputStream serverIn = server.getOutputStream();
			serverIn.write("datagram from openssl\n".getBytes(StandardCharsets.US_ASCII));
			serverIn.flush();
			pump(socket, peer, connection, received, () -> !received.isEmpty());

			assertThat(new String(DtlsHandshakeTest.bytes(received.get(0)), StandardCharsets.US_ASCII))
				.isEqualTo("datagram from openssl\n");
		}
	}

	@Test
	void openSslClientPassesOurGateAndExchangesBytesWithOurServer() throws Exception {
		SSLContext context = TestPki.context(SERVER, CA);
		DtlsSettings settings = DtlsSettings.builder(context).clientAuth(DtlsClientAuth.NEED).build();
		DtlsCookieGate gate = DtlsCookieGate.create(new SecureRandom());
		Map<InetSocketAddress, DtlsConnection> connections = new HashMap<>();
		List<DtlsEvent> events = new ArrayList<>();
		CompletableFuture<String> echoed = new CompletableFuture<>();
		try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
			Process client = start("openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + socket.getLocalPort(),
					"-CAfile", pem.resolve("ca.pem").toString(), "-verify_return_error",
					"-cert", pem.resolve("client.pem").toString(), "-key", pem.resolve("client.key").toString(), "-quiet");
			LineReader clientOut = new LineReader(client);
			client.getOutputStream().write("ping from openssl\n".getBytes(StandardCharsets.US_ASCII));
			client.getOutputStream().flush();

			long deadline = millis() + 30_000;
			byte[] buffer = new byte[65_536];
			while (!clientOut.seen((line) -> line.contains("echo:ping from openssl")) && millis() < deadline) {
				socket.setSoTimeout(50);
				DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
				try {
					socket.receive(packet);
				}
				catch (SocketTimeoutException idle) {
					connections.values().forEach((c) -> c.handleTimeout(millis()));
					flush(socket, connections, events, echoed);
					continue;
				}
				InetSocketAddress source = (InetSocketAddress) packet.getSocketAddress();
				ByteBuffer datagram = ByteBuffer.wrap(buffer, 0, packet.getLength());
				DtlsConnection connection = connections.get(source);
				if (connection != null) {
					connection.handleDatagram(millis(), datagram);
				}
				else {
					DtlsCookieGate.Verdict verdict = gate.verify(millis(), sourceId(source), datagram);
					if (verdict.outcome() == DtlsCookieGate.Outcome.REPLY) {
						send(socket, source, verdict.reply());
					}
					else if (verdict.outcome() == DtlsCookieGate.Outcome.ACCEPT) {
						connections.put(source, DtlsConnection.accept(settings, verdict, millis()));
					}
				}
				flush(socket, connections, events, echoed);
			}
			assertThat(echoed).isCompletedWithValue("ping from openssl\n");
			assertThat(events).first().isInstanceOfSatisfying(DtlsEvent.HandshakeCompleted.class,
					(completed) -> assertThat(completed.peerPrincipal()).hasToString("CN=openssl-client"));
			assertThat(clientOut.seen((line) -> line.contains("echo:ping from openssl"))).isTrue();
		}
	}

	private void flush(DatagramSocket socket, Map<InetSocketAddress, DtlsConnection> connections, List<DtlsEvent> events,
			CompletableFuture<String> echoed) throws IOException {
		for (Map.Entry<InetSocketAddress, DtlsConnection> entry : connections.entrySet()) {
			DtlsConnection connection = entry.getValue();
			DtlsEvent event;
			while ((event = connection.pollEvent()) != null) {
				events.add(event);
			}
			ByteBuffer received;
			while ((received = connection.pollReceived()) != null) {
				String text = new String(DtlsHandshakeTest.bytes(received), StandardCharsets.US_ASCII);
				echoed.complete(text);
				connection.send(ByteBuffer.wrap(("echo:" + text).getBytes(StandardCharsets.US_ASCII)));
			}
			ByteBuffer datagram;
			while ((datagram = connection.pollTransmit()) != null) {
				send(socket, entry.getKey(), datagram);
			}
		}
	}

	/** Move datagrams between the socket and the connection until {@code done}, for at most 20 s. */
	private static void pump(DatagramSocket socket, InetSocketAddress peer, DtlsConnection connection,
			List<ByteBuffer> received, java.util.function.BooleanSupplier done) throws IOException {
		long deadline = millis() + 20_000;
		byte[] buffer = new byte[65_536];
		do {
			ByteBuffer datagram;
			while ((datagram = connection.pollTransmit()) != null) {
				send(socket, peer, datagram);
			}
			ByteBuffer data;
			while ((data = connection.pollReceived()) != null) {
				received.add(data);
			}
			if (done.getAsBoolean()) {
				return;
			}
			long wait = Math.max(1, Math.min(50, connection.pollTimeout() - millis()));
			socket.setSoTimeout((int) wait);
			DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
			try {
				socket.receive(packet);
				connection.handleDatagram(millis(), ByteBuffer.wrap(buffer, 0, packet.getLength()));
			}
			catch (SocketTimeoutException idle) {
				connection.handleTimeout(millis());
			}
		}
		while (millis() < deadline);
		throw new AssertionError("Not done within 20 s: " + connection);
	}

	private static void send(DatagramSocket socket, InetSocketAddress to, ByteBuffer datagram) throws IOException {
		byte[] bytes = DtlsHandshakeTest.bytes(datagram);
		socket.send(new DatagramPacket(bytes, bytes.length, to));
	}

	private static byte[] sourceId(InetSocketAddress source) {
		byte[] address = source.getAddress().getAddress();
		return ByteBuffer.allocate(address.length + 2).put(address).putShort((short) source.getPort()).array();
	}

	private static long millis() {
		return System.nanoTime() / 1_000_000;
	}

	private Process start(String... command) throws IOException {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		processes.add(process);
		return process;
	}

	/** Collects a process's output lines on a thread of its own, so that waiting on a line is bounded. */
	private static final class LineReader {

		private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

		private final List<String> seen = new ArrayList<>();

		LineReader(Process process) {
			Thread reader = new Thread(() -> {
				try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
					String line;
					while ((line = in.readLine()) != null) {
						lines.add(line);
					}
				}
				catch (IOException ex) {
					// the process ended
				}
			}, "openssl-output");
			reader.setDaemon(true);
			reader.start();
		}

		void await(java.util.function.Predicate<String> wanted, int seconds) throws InterruptedException {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
			while (!seen(wanted)) {
				String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
				if (line == null) {
					throw new AssertionError("openssl never printed the expected line; it printed " + seen);
				}
				seen.add(line);
			}
		}

		boolean seen(java.util.function.Predicate<String> wanted) {
			lines.drainTo(seen);
			return seen.stream().anyMatch(wanted);
		}

	}

}
