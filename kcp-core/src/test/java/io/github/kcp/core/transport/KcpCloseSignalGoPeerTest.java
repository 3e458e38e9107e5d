package io.github.kcp.core.transport;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
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

/**
 * Our close signal is harmless to a standard KCP peer that does not know it (kcp-go 5.6.1): closing gracefully right
 * after an exchange lets the Go side finish that exchange correctly, the Go process neither crashes nor wedges, and
 * it goes on serving. Our side does not wait for a confirmation that never comes longer than a few RTOs.
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
				KcpSession session = KcpClient.builder()
					.config(CONFIG)
					.handler(received)
					.connect("127.0.0.1", server.port());
				try {
					session.send(DeterministicContent.lengthHeader(BYTES)).get(10, TimeUnit.SECONDS);
					byte[] data = received.all.get(20, TimeUnit.SECONDS);
					assertThat(DeterministicContent.firstStreamMismatch(data, 0, data.length, 0)).isEqualTo(-1);
					// The digest is the Go side's last step: send it and close at once, without waiting for anything.
					session.send(DeterministicContent.sha256(data));
					CompletableFuture<CloseReason> closed = session.close();
					long started = System.nanoTime();
					assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
					// kcp-go never confirms the signal: we stop after a few retries, not after the close timeout.
					assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
					server.awaitLine("verified " + BYTES + " bytes", WAIT);
				}
				finally {
					session.abort();
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
				KcpSession session = KcpClient.builder()
					.config(CONFIG)
					.handler((s, message) -> {
					})
					.connect("127.0.0.1", server.port());
				try {
					session.send(DeterministicContent.lengthHeader(BYTES));
					for (int offset = 0; offset < BYTES; offset += CHUNK) {
						session.send(DeterministicContent.stream(offset, CHUNK));
					}
					// Close while most of it is still unacknowledged: the close drains first.
					assertThat(session.close().get(20, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
					server.awaitLine(expected, WAIT);
				}
				finally {
					session.abort();
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
		try (GoPeer client = GoPeer.start("echo-client", "--port", String.valueOf(server.localPort()), "--count",
				String.valueOf(count), "--size", String.valueOf(size))) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.lines()).contains(count + " ok, 0 bad");
			assertThat(client.errorOutput()).doesNotContain("panic");
			assertThat(serverClosed.get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
			assertThat(closedAfter).hasValue((long) count * size);
		}
		finally {
			server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS);
		}
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
