package io.github.kcp.core.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.testsupport.relay.LinkImpairment;
import io.github.kcp.testsupport.relay.LossyUdpRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Backpressure end to end: the send buffer is bounded in bytes (asynchronous sends fail fast when it is full,
 * blocking sends wait up to their timeout), and a reader that stops consuming closes its receive window, so the
 * sender stops rather than anything piling up without bound; resuming delivers everything.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KcpBackpressureTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	@Test
	void fullSendBufferFailsAsyncSendsAtOnceAndTimesOutBlockingOnes() throws Exception {
		// A peer that never acknowledges anything: every byte sent stays in the send buffer.
		RawUdpPeer blackHole = raw();
		KcpSession client = client(FAST.toBuilder().sendBufferSize(10_000).build(), RecordingHandler.recorder(),
				blackHole);
		List<CompletableFuture<Void>> accepted = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			accepted.add(client.send(new byte[1000]));
		}
		assertThat(accepted).noneMatch(CompletableFuture::isDone);
		assertThat(client.stats().sendBufferedBytes()).isEqualTo(10_000);

		CompletableFuture<Void> refused = client.send(new byte[1]);
		assertThat(refused).as("fails fast, without waiting").isCompletedExceptionally();
		assertThatThrownBy(refused::join).cause()
			.isInstanceOf(KcpSendBufferFullException.class)
			.hasMessageContaining("10000");

		long started = System.nanoTime();
		assertThatThrownBy(() -> client.sendWhenRoom(new byte[1], 0, 1, Duration.ofMillis(300)))
			.isInstanceOf(TimeoutException.class);
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(290),
				Duration.ofSeconds(2));
		// Neither refused send took any room.
		assertThat(client.stats().sendBufferedBytes()).isEqualTo(10_000);
		assertThat(client.isOpen()).isTrue();

		// A blocked sender is released, with a closed-session failure, when the session closes.
		CompletableFuture<CompletableFuture<Void>> blocked = new CompletableFuture<>();
		Thread writer = new Thread(() -> blocked.complete(sendWhenRoomUnchecked(client, new byte[500],
				Duration.ofSeconds(20))), "blocked-writer");
		writer.setDaemon(true);
		writer.start();
		// Abort only once the writer waits for room: a writer arriving after the abort fails at once, before the loop
		// has failed the earlier sends.
		await().atMost(WAIT).until(() -> writer.getState() == Thread.State.TIMED_WAITING);
		assertThat(blocked).isNotDone();
		client.abort();
		CompletableFuture<Void> outcome = blocked.get(5, TimeUnit.SECONDS);
		assertThatThrownBy(outcome::join).cause().isInstanceOf(KcpSessionClosedException.class);
		// The blocked writer is released only after every earlier, unacknowledged send has failed.
		assertThat(accepted).allMatch(CompletableFuture::isCompletedExceptionally);
		assertThat(client.closeFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
	}

	@Test
	void oneMessageLargerThanTheWholeBufferIsAcceptedWhenTheBufferIsEmpty() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, serverSide);
		// Cut at first, so that nothing is acknowledged while we look at the buffer.
		LossyUdpRelay relay = LossyUdpRelay.start(server.localAddress(), LinkImpairment.cut());
		this.resources.add(relay);
		KcpSession client = client(FAST.toBuilder().sendBufferSize(1000).build(), RecordingHandler.recorder(),
				relay.localAddress());
		byte[] large = KcpSessionCloseTest.message(1, 5000);
		CompletableFuture<Void> sent = client.send(large);
		assertThat(sent).as("accepted: it could never fit otherwise").isNotCompletedExceptionally();
		assertThat(client.stats().sendBufferedBytes()).isEqualTo(5000);
		assertThatThrownBy(() -> client.send(new byte[1]).join()).cause()
			.isInstanceOf(KcpSendBufferFullException.class);

		relay.setImpairment(LinkImpairment.none());
		sent.get(10, TimeUnit.SECONDS);
		assertThat(serverSide.nextMessage(WAIT)).isEqualTo(large);
		assertThat(client.stats().sendBufferedBytes()).isZero();
		client.send(new byte[1]).get(5, TimeUnit.SECONDS);
	}

	@Test
	void pausedReaderClosesItsWindowSoTheSenderStopsAndResumingDeliversEverything() throws Exception {
		int messageSize = 8 * 1024;
		int messages = 512;
		int receiveWindow = 128;
		RecordingHandler serverSide = new RecordingHandler(false) {
			@Override
			public void onOpen(KcpSession session) {
				// Before the first message is delivered: the application does not read at all for now.
				session.pauseReading();
				super.onOpen(session);
			}
		};
		KcpServer server = server(FAST.toBuilder().windowSize(128, receiveWindow).build(), serverSide);
		int sendBuffer = 1 << 20;
		KcpSession client = client(FAST.toBuilder().windowSize(128, 128).sendBufferSize(sendBuffer).build(),
				RecordingHandler.recorder(), server);

		// A writer that sends 4 MiB as fast as the send buffer lets it.
		AtomicInteger handedOver = new AtomicInteger();
		List<CompletableFuture<Void>> sends = new ArrayList<>();
		CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
			for (int i = 0; i < messages; i++) {
				CompletableFuture<Void> send = sendWhenRoomUnchecked(client,
						KcpSessionCloseTest.message(i, messageSize), Duration.ofSeconds(20));
				synchronized (sends) {
					sends.add(send);
				}
				handedOver.incrementAndGet();
			}
		});
		KcpSession serverSession = serverSide.opened.get(5, TimeUnit.SECONDS);

		// The receiver's queue fills, it advertises a zero window, and the sender stops sending new data.
		await().atMost(WAIT).until(() -> client.stats().remoteWindow() == 0);
		int sendWindow = 128;
		await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
			KcpSessionStats sender = client.stats();
			KcpSessionStats receiver = serverSession.stats();
			assertThat(sender.remoteWindow()).isZero();
			assertThat(sender.inFlight()).as("in flight").isLessThanOrEqualTo(sendWindow);
			assertThat(sender.sendBufferedBytes()).as("send buffer").isLessThanOrEqualTo(sendBuffer);
			// What the receiver holds is bounded by its window, whatever the sender would like to send.
			assertThat(receiver.receiveQueueSegments()).isEqualTo(receiveWindow);
			assertThat(receiver.receiveBufferSegments()).isLessThan(receiveWindow);
		});
		KcpSessionStats stalled = client.stats();
		KcpSessionStats receiverStalled = serverSession.stats();
		System.out.printf("stalled: sender %s%n         receiver %s%n", stalled, receiverStalled);
		assertThat(serverSide.messages).isEmpty();
		assertThat(writer).as("the writer is held back by the full send buffer").isNotDone();
		assertThat(handedOver.get()).isLessThan(messages);
		assertThat((long) handedOver.get() * messageSize).isLessThanOrEqualTo(
				sendBuffer + (long) (receiveWindow + receiverStalled.receiveBufferSegments() + 1) * messageSize);

		long resumed = System.nanoTime();
		serverSession.resumeReading();
		writer.get(20, TimeUnit.SECONDS);
		for (int i = 0; i < messages; i++) {
			assertThat(serverSide.nextMessage(WAIT)).as("message %d", i)
				.isEqualTo(KcpSessionCloseTest.message(i, messageSize));
		}
		synchronized (sends) {
			CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
		}
		System.out.printf("4 MiB delivered %d ms after the reader resumed%n",
				(System.nanoTime() - resumed) / 1_000_000);
		assertThat(client.stats().sendBufferedBytes()).isZero();
	}

	private static CompletableFuture<Void> sendWhenRoomUnchecked(KcpSession session, byte[] data, Duration timeout) {
		try {
			return session.sendWhenRoom(data, 0, data.length, timeout);
		}
		catch (TimeoutException | InterruptedException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private KcpSession client(KcpConfig config, KcpSessionHandler handler, KcpServer server) {
		return client(config, handler, server.localAddress());
	}

	private KcpSession client(KcpConfig config, KcpSessionHandler handler, RawUdpPeer peer) {
		return client(config, handler, peer.localAddress());
	}

}
