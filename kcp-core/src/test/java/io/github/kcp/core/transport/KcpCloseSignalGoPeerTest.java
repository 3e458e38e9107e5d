package io.github.kcp.core.transport;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.testsupport.interop.DeterministicContent;
import io.github.kcp.testsupport.interop.GoPeer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A standard KCP peer (kcp-go 5.6.1) is sent nothing it does not understand: it never answers our offer of the close
 * handshake, so our close signal never goes to it, and every datagram we send it — recorded by a relay in between —
 * holds only the four standard commands (kcp-go would count anything else as a KCP input error). Closing gracefully
 * right after an exchange still lets the Go side finish that exchange correctly, closes our side at once (no
 * confirmation to wait for), and the Go process goes on serving.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KcpCloseSignalGoPeerTest {

	private static final int BYTES = 256 * 1024;

	private static final int CHUNK = 16 * 1024;

	private static final Duration WAIT = Duration.ofSeconds(20);

	/** The kcp-go peer's defaults (fast mode). */
	private static final KcpConfig CONFIG = KcpConfig.builder()
		.nodelay(1, 10, 2, true)
		.windowSize(1024, 1024)
		.build();

	@BeforeAll
	static void requireGo() {
		GoPeer.assumeAvailable();
	}

	@Test
	void goSourceServerVerifiesTheDigestWeSendJustBeforeClosingAndServesTheNextClient() throws Exception {
		try (GoPeer server = GoPeer.start("source-server", "--port", "0")) {
			for (int round = 1; round <= 2; round++) {
				Collector received = new Collector(BYTES);
				SniffingRelay relay = SniffingRelay.start(new java.net.InetSocketAddress("127.0.0.1", server.port()));
				KcpSession session = KcpClient.builder()
					.config(CONFIG)
					.handler(received)
					.connect(relay.localAddress());
				try {
					session.send(DeterministicContent.lengthHeader(BYTES)).get(10, TimeUnit.SECONDS);
					byte[] data = received.all.get(20, TimeUnit.SECONDS);
					assertThat(DeterministicContent.firstStreamMismatch(data, 0, data.length, 0)).isEqualTo(-1);
					// The digest is the Go side's last step: send it and close at once, without waiting for anything.
					session.send(DeterministicContent.sha256(data));
					CompletableFuture<CloseReason> closed = session.close();
					long started = System.nanoTime();
					assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
					// kcp-go never offered the handshake: nothing to confirm, closed once the digest was acknowledged.
					assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
					int verified = round;
					await().atMost(WAIT).until(() -> server.lines()
						.stream()
						.filter(("verified " + BYTES + " bytes")::equals)
						.count() == verified);
					assertOnlyStandardKcp(relay);
				}
				finally {
					session.abort();
					relay.close();
				}
				assertThat(server.isAlive()).as(server.transcript()).isTrue();
			}
			assertThat(server.lines()).filteredOn((line) -> line.startsWith("verified")).hasSize(2);
			assertThat(server.errorOutput()).doesNotContain("panic");
		}
	}

	@Test
	void goSinkServerReceivesEverythingSentBeforeOurCloseAndServesTheNextClient() throws Exception {
		try (GoPeer server = GoPeer.start("sink-server", "--port", "0")) {
			String expected = "received " + BYTES + " bytes, sha256 "
					+ DeterministicContent.hex(DeterministicContent.streamDigest(BYTES)) + ", content ok";
			for (int round = 1; round <= 2; round++) {
				SniffingRelay relay = SniffingRelay.start(new java.net.InetSocketAddress("127.0.0.1", server.port()));
				KcpSession session = KcpClient.builder()
					.config(CONFIG)
					.handler((s, message) -> {
					})
					.connect(relay.localAddress());
				try {
					session.send(DeterministicContent.lengthHeader(BYTES));
					for (int offset = 0; offset < BYTES; offset += CHUNK) {
						session.send(DeterministicContent.stream(offset, CHUNK));
					}
					// Close while most of it is still unacknowledged: the close drains first.
					assertThat(session.close().get(20, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
					int received = round;
					await().atMost(WAIT).until(() -> server.lines().stream().filter(expected::equals).count() == received);
					assertOnlyStandardKcp(relay);
				}
				finally {
					session.abort();
					relay.close();
				}
			}
			assertThat(server.lines()).filteredOn(expected::equals).hasSize(2);
			assertThat(server.isAlive()).as(server.transcript()).isTrue();
			assertThat(server.errorOutput()).doesNotContain("panic");
		}
	}

	@Test
	void goEchoClientFinishesCleanlyWhenOurServerClosesRightAfterTheLastEcho() throws Exception {
		int count = 200;
		int size = 1000;
		AtomicLong closedAfter = new AtomicLong(-1);
		CompletableFuture<CloseReason> serverClosed = new CompletableFuture<>();
		KcpServer server = KcpServer.builder().config(CONFIG).handler(new KcpSessionHandler() {

			private long echoed;

			@Override
			public void onMessage(KcpSession session, byte[] message) {
				session.send(message);
				this.echoed += message.length;
				if (this.echoed == (long) count * size) {
					// All echoed: close at once (the close drains the echoes first, then signals).
					closedAfter.set(this.echoed);
					session.close();
				}
			}

			@Override
			public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
				serverClosed.complete(reason);
			}
		}).bind("127.0.0.1", 0);
		SniffingRelay relay = SniffingRelay.start(server.localAddress());
		try (GoPeer client = GoPeer.start("echo-client", "--port", String.valueOf(relay.localAddress().getPort()),
				"--count", String.valueOf(count), "--size", String.valueOf(size), "--stats", "1")) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.lines()).contains(count + " ok, 0 bad");
			assertThat(client.errorOutput()).doesNotContain("panic");
			// kcp-go's own count of datagrams its engine refused (an unknown command would be one).
			assertThat(client.errorOutput()).contains("KCPInErrors=0");
			assertThat(serverClosed.get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
			assertThat(closedAfter).hasValue((long) count * size);
			List<byte[]> ours = relay.toClient();
			assertThat(ours).isNotEmpty().allSatisfy((datagram) -> assertThat(SniffingRelay.isStandardKcp(datagram)).isTrue());
			assertThat(relay.toTarget()).noneMatch(SniffingRelay::offersCloseHandshake);
		}
		finally {
			relay.close();
			server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS);
		}
	}

	/**
	 * Everything we sent the Go peer was standard KCP; our first datagrams offered the close handshake (as a window
	 * announcement), the Go peer never offered it back, and so no close signal went.
	 */
	private static void assertOnlyStandardKcp(SniffingRelay relay) {
		List<byte[]> ours = relay.toTarget();
		assertThat(ours).isNotEmpty().allSatisfy((datagram) -> assertThat(SniffingRelay.isStandardKcp(datagram)).isTrue());
		assertThat(ours).anyMatch(SniffingRelay::offersCloseHandshake);
		assertThat(relay.toClient()).noneMatch(SniffingRelay::offersCloseHandshake);
	}

	/** Collects the bytes of a download. */
	private static final class Collector implements KcpSessionHandler {

		final CompletableFuture<byte[]> all = new CompletableFuture<>();

		private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

		private final int expected;

		Collector(int expected) {
			this.expected = expected;
		}

		@Override
		public void onMessage(KcpSession session, byte[] message) {
			this.bytes.writeBytes(message);
			if (this.bytes.size() >= this.expected) {
				this.all.complete(this.bytes.toByteArray());
			}
		}

	}

}
