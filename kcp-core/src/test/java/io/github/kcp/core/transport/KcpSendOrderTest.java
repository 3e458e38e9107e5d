package io.github.kcp.core.transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Messages leave in the order of the send calls, also when a sender's calls hop between threads: a send made on the
 * session's event loop must not overtake one made earlier on another thread that still waits in the loop's task
 * queue (a reply chain of futures does exactly that: one reply sent from a handler thread, the next from the loop
 * where an acknowledgement made room for it).
 */
class KcpSendOrderTest extends LoopbackTestSupport {

	private static final Duration WAIT = Duration.ofSeconds(5);

	@Test
	void aSendOnTheLoopGoesBehindAnEarlierSendStillQueuedForTheLoop() throws Exception {
		KcpConfig config = KcpConfig.builder().nodelay(1, 10, 2, true).build();
		RecordingHandler received = RecordingHandler.recorder();
		KcpServer server = server(config, received);
		KcpSession client = client(config, RecordingHandler.recorder(), server.localAddress());

		CountDownLatch onLoop = new CountDownLatch(1);
		CountDownLatch firstSent = new CountDownLatch(1);
		CompletableFuture<CompletableFuture<Void>> second = new CompletableFuture<>();
		client.executor().execute(() -> {
			onLoop.countDown();
			try {
				// The first send is made on this test's thread while the loop is busy here, so it waits in the
				// loop's task queue; this send happens after it returned.
				assertThat(firstSent.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
				second.complete(client.send(text("second")));
			}
			catch (Throwable ex) {
				second.completeExceptionally(ex);
			}
		});
		assertThat(onLoop.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
		CompletableFuture<Void> first = client.send(text("first"));
		firstSent.countDown();

		first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
		second.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
		assertThat(received.nextMessage(WAIT)).isEqualTo(text("first"));
		assertThat(received.nextMessage(WAIT)).isEqualTo(text("second"));
	}

	private static byte[] text(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

}
