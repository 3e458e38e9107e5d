package io.github.kcp.core.interop;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.interop.StreamProtocols.SinkResult;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.testsupport.interop.DeterministicContent;
import io.github.kcp.testsupport.interop.GoPeer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our transport against kcp-go 5.6.1 (the Go peer, {@link GoPeer}) over loopback, both ways round (our client with
 * a Go server, a Go client with our server), in message and in stream mode, 1 MiB or more verified byte for byte
 * in each direction. kcp-go never sets {@code frg} (it chops writes into pieces of at most one segment), so what it
 * sends is read as a byte stream, framed by the Go peer's length headers. Skipped where Go or kcp-go is absent.
 */
@Timeout(60)
class KcpGoInteropTest {

	private static final int BYTES = 1 << 20;

	private static final Duration WAIT = Duration.ofSeconds(30);

	@BeforeAll
	static void buildPeer() {
		GoPeer.assumeAvailable();
		GoPeer.build();
	}

	/** The Go peer's fast mode (nodelay 1, interval 10, resend 2, nc 1, windows 1024, mtu 1400). */
	static KcpConfig fastMode(boolean stream) {
		return KcpConfig.builder()
			.nodelay(1, 10, 2, true)
			.windowSize(1024, 1024)
			.mtu(1400)
			.stream(stream)
			.sendBufferSize(8 << 20)
			.closeTimeout(Duration.ofSeconds(2))
			.build();
	}

	// ------------------------------------------------------------------ our client, Go server

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(booleans = { false, true })
	void ourClientUploadsToGoSinkServer(boolean stream) throws Exception {
		try (GoPeer server = GoPeer.start("sink-server", "--port", "0", "--stream", flag(stream))) {
			ReceivedBytes received = new ReceivedBytes();
			KcpSession session = connect(server, stream, received);
			try {
				send(session, DeterministicContent.lengthHeader(BYTES));
				for (int off = 0; off < BYTES; off += StreamProtocols.CHUNK_BYTES) {
					send(session, DeterministicContent.stream(off, Math.min(StreamProtocols.CHUNK_BYTES, BYTES - off)));
				}
				byte[] digest = received.read(DeterministicContent.DIGEST_BYTES, WAIT);
				assertThat(digest).as("SHA-256 the Go sink computed").isEqualTo(DeterministicContent.streamDigest(BYTES));
				server.awaitLine("received " + BYTES + " bytes, sha256 " + DeterministicContent.hex(digest)
						+ ", content ok", WAIT);
			}
			finally {
				session.abort();
			}
		}
	}

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(booleans = { false, true })
	void ourClientDownloadsFromGoSourceServer(boolean stream) throws Exception {
		try (GoPeer server = GoPeer.start("source-server", "--port", "0", "--stream", flag(stream))) {
			ReceivedBytes received = new ReceivedBytes();
			KcpSession session = connect(server, stream, received);
			try {
				send(session, DeterministicContent.lengthHeader(BYTES));
				byte[] data = received.read(BYTES, WAIT);
				assertThat(DeterministicContent.firstStreamMismatch(data, 0, BYTES, 0)).as("first wrong offset")
					.isEqualTo(-1);
				send(session, DeterministicContent.sha256(data));
				server.awaitLine("verified " + BYTES + " bytes", WAIT);
			}
			finally {
				session.abort();
			}
		}
	}

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(booleans = { false, true })
	void ourClientGetsEveryMessageEchoedByGoServer(boolean stream) throws Exception {
		int count = 1100;
		int size = 1000;
		try (GoPeer server = GoPeer.start("echo-server", "--port", "0", "--stream", flag(stream))) {
			ReceivedBytes received = new ReceivedBytes();
			KcpSession session = connect(server, stream, received);
			try {
				for (int k = 0; k < count; k++) {
					session.sendWhenRoom(DeterministicContent.message(k, size), 0, size, WAIT);
				}
				for (int k = 0; k < count; k++) {
					assertThat(received.read(size, WAIT)).as("echo of message %d", k)
						.isEqualTo(DeterministicContent.message(k, size));
				}
			}
			finally {
				session.abort();
			}
		}
	}

	// ------------------------------------------------------------------ Go client, our server

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(booleans = { false, true })
	void goClientUploadsToOurSinkServer(boolean stream) throws Exception {
		CompletableFuture<StreamProtocols.Sink> sink = new CompletableFuture<>();
		try (KcpServer server = bind(stream, () -> created(sink, new StreamProtocols.Sink()));
				GoPeer client = GoPeer.start("source-client", "--port", String.valueOf(server.localPort()), "--bytes",
						String.valueOf(BYTES), "--stream", flag(stream), "--timeout-seconds", "30")) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).contains("verified " + BYTES + " bytes");
			SinkResult result = sink.get(5, TimeUnit.SECONDS).result().get(5, TimeUnit.SECONDS);
			assertThat(result.length()).isEqualTo(BYTES);
			assertThat(result.firstMismatch()).as("first wrong offset").isEqualTo(-1);
			assertThat(result.digest()).isEqualTo(DeterministicContent.streamDigest(BYTES));
		}
	}

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(booleans = { false, true })
	void goClientDownloadsFromOurSourceServer(boolean stream) throws Exception {
		CompletableFuture<StreamProtocols.Source> source = new CompletableFuture<>();
		try (KcpServer server = bind(stream, () -> created(source, new StreamProtocols.Source()));
				GoPeer client = GoPeer.start("sink-client", "--port", String.valueOf(server.localPort()), "--bytes",
						String.valueOf(BYTES), "--stream", flag(stream), "--timeout-seconds", "30")) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).contains("verified " + BYTES + " bytes");
			assertThat(source.get(5, TimeUnit.SECONDS).verified().get(5, TimeUnit.SECONDS))
				.as("the Go client's SHA-256 matches what we sent")
				.isTrue();
		}
	}

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(booleans = { false, true })
	void goClientGetsEveryMessageEchoedByOurServer(boolean stream) {
		try (KcpServer server = bind(stream, StreamProtocols.Echo::new);
				GoPeer client = GoPeer.start("echo-client", "--port", String.valueOf(server.localPort()), "--count", "300",
						"--size", "3500", "--stream", flag(stream), "--timeout-seconds", "30")) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).containsExactly("300 ok, 0 bad");
		}
	}

	// ------------------------------------------------------------------ support

	private static KcpSession connect(GoPeer server, boolean stream, KcpSessionHandler handler) {
		return KcpClient.builder().config(fastMode(stream)).handler(handler).connect("127.0.0.1", server.port());
	}

	private static KcpServer bind(boolean stream, Supplier<KcpSessionHandler> handlers) {
		return KcpServer.builder().config(fastMode(stream)).handlerFactory(handlers).bind("127.0.0.1", 0);
	}

	private static <T extends KcpSessionHandler> T created(CompletableFuture<T> first, T handler) {
		// a test runs one client: the first session is the one to check
		first.complete(handler);
		return handler;
	}

	private static void send(KcpSession session, byte[] data) throws Exception {
		session.sendWhenRoom(data, 0, data.length, WAIT);
	}

	private static String flag(boolean on) {
		return on ? "1" : "0";
	}

}
