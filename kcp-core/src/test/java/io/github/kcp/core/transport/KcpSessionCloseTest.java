package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.testsupport.relay.LinkImpairment;
import io.github.kcp.testsupport.relay.LossyUdpRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Every way a session ends is reported with the right {@link CloseReason} on both sides, promptly, after the data
 * sent before it, and with unacknowledged sends failed rather than left hanging.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KcpSessionCloseTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).windowSize(256, 256).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	@Test
	void clientCloseIsSeenByTheServerWithinARoundTripAfterAllDataSentBeforeIt() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, serverSide);
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, server.localAddress());
		List<CompletableFuture<Void>> sends = new ArrayList<>();
		for (int i = 0; i < 100; i++) {
			sends.add(client.send(message(i, 200)));
		}
		long started = System.nanoTime();
		CompletableFuture<CloseReason> closed = client.close();
		assertThat(client.isOpen()).isFalse();
		assertThatThrownBy(() -> client.send(new byte[1]).get(5, TimeUnit.SECONDS))
			.hasCauseInstanceOf(KcpSessionClosedException.class);

		assertThat(closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		Duration took = Duration.ofNanos(System.nanoTime() - started);
		assertThat(took).isLessThan(Duration.ofSeconds(1));
		// Everything sent before close() was delivered, in order, before onClose.
		assertThat(serverSide.messagesBeforeClose).isEqualTo(100);
		for (int i = 0; i < 100; i++) {
			assertThat(serverSide.messages.poll()).isEqualTo(message(i, 200));
		}
		assertThat(serverSide.events()).last().isEqualTo("close:CLOSED_BY_PEER");
		// ... and acknowledged: every send future completed normally.
		CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(1, TimeUnit.SECONDS);
		assertThat(clientSide.closed.get(1, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(client.closeReason()).isEqualTo(CloseReason.CLOSED_LOCALLY);
		await().atMost(WAIT).until(() -> server.sessionCount() == 0);
	}

	@Test
	void serverSessionCloseIsSeenByTheClientAfterTheDataTheServerSent() throws Exception {
		RecordingHandler serverSide = new RecordingHandler(false) {
			@Override
			public void onMessage(KcpSession session, byte[] message) {
				super.onMessage(session, message);
				for (int i = 0; i < 100; i++) {
					session.send(message(i, 300));
				}
				session.close();
			}
		};
		KcpServer server = server(FAST, serverSide);
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, server.localAddress());
		client.send(new byte[] { 1 });
		assertThat(clientSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(clientSide.messagesBeforeClose).isEqualTo(100);
		for (int i = 0; i < 100; i++) {
			assertThat(clientSide.messages.poll()).isEqualTo(message(i, 300));
		}
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		await().atMost(WAIT).until(() -> server.sessionCount() == 0);
	}

	@Test
	void abortFailsUnacknowledgedSendsAndStillTellsThePeer() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, serverSide);
		LossyUdpRelay relay = relay(server.localAddress());
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, relay.localAddress());
		client.send(new byte[] { 1 }).get(5, TimeUnit.SECONDS);
		serverSide.opened.get(5, TimeUnit.SECONDS);

		// Nothing reaches the server any more: the next send can never be acknowledged.
		relay.setImpairment(LinkImpairment.builder().lossToTarget(1.0).build());
		CompletableFuture<Void> pending = client.send(new byte[] { 2 });
		client.abort();
		assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
			.cause()
			.isInstanceOf(KcpSessionClosedException.class)
			.satisfies((ex) -> assertThat(((KcpSessionClosedException) ex).getReason())
				.isEqualTo(CloseReason.CLOSED_LOCALLY));
		assertThat(client.closeFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(clientSide.closed.get(1, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(serverSide.closed).isNotDone();

		// Abort on a working link: the peer hears of it at once.
		relay.setImpairment(LinkImpairment.none());
		RecordingHandler secondServerSide = new RecordingHandler(false);
		KcpServer second = server(FAST, secondServerSide);
		KcpSession other = client(FAST, RecordingHandler.recorder(), second.localAddress());
		other.send(new byte[] { 3 }).get(5, TimeUnit.SECONDS);
		other.abort();
		assertThat(secondServerSide.closed.get(2, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
	}

	@Test
	void silentPeerTimesOutEvenWhileWeKeepSending() throws Exception {
		// A "server" that receives everything and never answers.
		RawUdpPeer blackHole = raw();
		KcpConfig config = FAST.toBuilder().idleTimeout(Duration.ofMillis(300)).build();
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(config, clientSide, blackHole.localAddress());
		long started = System.nanoTime();
		List<CompletableFuture<Void>> sends = new ArrayList<>();
		// Keep sending while waiting: our own traffic must not count as life.
		while (!clientSide.closed.isDone() && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5)) {
			sends.add(client.send(new byte[] { 42 }));
			// Paces the loop: returns early if the session closes.
			clientSide.closed.copy().completeOnTimeout(null, 20, TimeUnit.MILLISECONDS).join();
		}
		assertThat(clientSide.closed.get()).isEqualTo(CloseReason.IDLE_TIMEOUT);
		Duration took = Duration.ofNanos(System.nanoTime() - started);
		assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(2));
		assertThat(sends).allSatisfy((send) -> assertThatThrownBy(send::join).cause()
			.isInstanceOf(KcpSessionClosedException.class));
	}

	@Test
	void serverClosesIdleSessionsAndTellsTheClient() throws Exception {
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = server(FAST.toBuilder().idleTimeout(Duration.ofMillis(300)).build(), serverSide);
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, server.localAddress());
		client.send(new byte[] { 1 }).get(5, TimeUnit.SECONDS);
		clientSide.nextMessage(WAIT);
		long started = System.nanoTime();
		// The client stays quiet (KCP has no keep-alive): the server gives up on it and says so.
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.IDLE_TIMEOUT);
		assertThat(clientSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
		assertThat(server.sessionCount()).isZero();
	}

	@Test
	void cutLinkWithDataInFlightEndsInDeadLink() throws Exception {
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = server(FAST.toBuilder().idleTimeout(Duration.ofSeconds(2)).build(), serverSide);
		LossyUdpRelay relay = relay(server.localAddress());
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST.toBuilder().deadLink(5).build(), clientSide, relay.localAddress());
		client.send(new byte[] { 1 }).get(5, TimeUnit.SECONDS);
		clientSide.nextMessage(WAIT);

		relay.setImpairment(LinkImpairment.cut());
		long started = System.nanoTime();
		CompletableFuture<Void> lost = client.send(new byte[1000]);
		assertThat(clientSide.closed.get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.DEAD_LINK);
		System.out.printf("dead link detected after %d ms%n", (System.nanoTime() - started) / 1_000_000);
		assertThatThrownBy(lost::join).cause()
			.isInstanceOf(KcpSessionClosedException.class)
			.satisfies((ex) -> assertThat(((KcpSessionClosedException) ex).getReason())
				.isEqualTo(CloseReason.DEAD_LINK));
		// The server heard nothing (the close signal was cut too) and times out on its own.
		assertThat(serverSide.closed.get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.IDLE_TIMEOUT);
	}

	@Test
	void closeOverALossyLinkStillDeliversEverythingFirstAndTellsThePeer() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, serverSide);
		LossyUdpRelay relay = relay(server.localAddress());
		relay.setImpairment(LinkImpairment.builder().loss(0.2).delay(Duration.ofMillis(5)).seed(99).build());
		KcpSession client = client(FAST, RecordingHandler.recorder(), relay.localAddress());
		for (int i = 0; i < 200; i++) {
			client.send(message(i, 1000));
		}
		assertThat(client.close().get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(serverSide.messagesBeforeClose).isEqualTo(200);
		for (int i = 0; i < 200; i++) {
			assertThat(serverSide.messages.poll()).isEqualTo(message(i, 1000));
		}
		assertThat(relay.stats().droppedByLoss()).isPositive();
	}

	@Test
	void serverThatIsGoneEndsInDeadLinkNotInAnError() throws Exception {
		// Nobody listens on this port any more: the kernel answers with ICMP port unreachable, which must not be
		// mistaken for a failed socket (UDP is unreliable; KCP retransmits and eventually gives up).
		RawUdpPeer gone = new RawUdpPeer();
		java.net.InetSocketAddress address = gone.localAddress();
		gone.close();
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST.toBuilder().deadLink(5).build(), clientSide, address);
		CompletableFuture<Void> lost = client.send(new byte[100]);
		assertThat(clientSide.closed.get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.DEAD_LINK);
		assertThat(clientSide.closeCause).isNull();
		assertThatThrownBy(lost::join).cause().isInstanceOf(KcpSessionClosedException.class);
	}

	@Test
	void serverShutdownDeliversWhatTheServerSentThenClosesEverySession() throws Exception {
		int clients = 3;
		List<RecordingHandler> serverSides = new ArrayList<>();
		CompletableFuture<Void> allHeard = new CompletableFuture<>();
		KcpServer server = KcpServer.builder().config(FAST).handlerFactory(() -> {
			RecordingHandler handler = new RecordingHandler(false) {
				@Override
				public void onMessage(KcpSession session, byte[] message) {
					super.onMessage(session, message);
					for (int i = 0; i < 50; i++) {
						session.send(message(i, 500));
					}
				}
			};
			synchronized (serverSides) {
				serverSides.add(handler);
				if (serverSides.size() == clients) {
					allHeard.complete(null);
				}
			}
			return handler;
		}).bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ZERO));
		List<RecordingHandler> clientSides = new ArrayList<>();
		for (int i = 0; i < clients; i++) {
			RecordingHandler clientSide = RecordingHandler.recorder();
			clientSides.add(clientSide);
			client(FAST, clientSide, server.localAddress()).send(new byte[] { 1 }).get(5, TimeUnit.SECONDS);
		}
		allHeard.get(5, TimeUnit.SECONDS);
		// Shut down while the servers' replies are still being delivered.
		CompletableFuture<Void> shutdown = server.shutdown(Duration.ofSeconds(5));
		assertThat(server.isClosing()).isTrue();
		shutdown.get(5, TimeUnit.SECONDS);
		for (RecordingHandler serverSide : serverSides) {
			assertThat(serverSide.closed.get(1, TimeUnit.SECONDS)).isEqualTo(CloseReason.SERVER_SHUTDOWN);
		}
		for (RecordingHandler clientSide : clientSides) {
			assertThat(clientSide.closed.get(1, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(clientSide.messagesBeforeClose).isEqualTo(50);
		}
		assertThat(server.sessionCount()).isZero();
		assertThat(server.closeFuture()).isDone();
	}

	@Test
	void shutdownGracePeriodBoundsHowLongAnUnresponsivePeerDelaysIt() throws Exception {
		RecordingHandler serverSide = new RecordingHandler(false) {
			@Override
			public void onMessage(KcpSession session, byte[] message) {
				super.onMessage(session, message);
				// Never acknowledged by the raw peer below: the drain cannot finish.
				session.send(new byte[100]);
			}
		};
		KcpServer server = server(FAST, serverSide);
		RawUdpPeer peer = raw();
		peer.send(server.localAddress(), RawUdpPeer.push(77, 0, new byte[1]));
		KcpSession session = serverSide.opened.get(5, TimeUnit.SECONDS);
		CompletableFuture<Void> unacknowledged = session.send(new byte[10]);
		long started = System.nanoTime();
		server.shutdown(Duration.ofMillis(300)).get(5, TimeUnit.SECONDS);
		Duration took = Duration.ofNanos(System.nanoTime() - started);
		assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(2));
		assertThat(serverSide.closed.get()).isEqualTo(CloseReason.SERVER_SHUTDOWN);
		assertThatThrownBy(unacknowledged::join).cause().isInstanceOf(KcpSessionClosedException.class);
		// The peer was told.
		peer.awaitDatagram((d) -> RawUdpPeer.isCloseSignal(d, 77, io.github.kcp.core.protocol.KcpCodec.CMD_CLOSE),
				WAIT);
	}

	@Test
	void lostServerSocketClosesSessionsWithError() throws Exception {
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = server(FAST, serverSide);
		KcpSession client = client(FAST, RecordingHandler.recorder(), server.localAddress());
		client.send(new byte[] { 1 }).get(5, TimeUnit.SECONDS);
		serverSide.opened.get(5, TimeUnit.SECONDS);
		// Package-private: the socket closes underneath the server, as on an I/O failure.
		server.closeSocketUnexpectedly();
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.ERROR);
		assertThat(serverSide.closeCause).as("ERROR comes with its cause").isNotNull();
		server.closeFuture().get(5, TimeUnit.SECONDS);
		assertThat(server.sessionCount()).isZero();
	}

	@Test
	void closeCrossesARealLinkInAboutOneWayDelay() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, serverSide);
		LossyUdpRelay relay = relay(server.localAddress());
		relay.setImpairment(LinkImpairment.builder().delay(Duration.ofMillis(40)).build());
		KcpSession client = client(FAST, RecordingHandler.recorder(), relay.localAddress());
		// Everything acknowledged: the close signal goes out at once.
		client.send(message(1, 100)).get(5, TimeUnit.SECONDS);
		long started = System.nanoTime();
		client.close();
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		Duration took = Duration.ofNanos(System.nanoTime() - started);
		// One way is 40 ms; the promise is within one round trip (80 ms) plus one interval (10 ms), with room
		// for a busy machine.
		assertThat(took).isBetween(Duration.ofMillis(35), Duration.ofMillis(80 + 10 + 400));
		assertThat(client.closeFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
	}

	@Test
	void peerTrafficKeepsASessionAliveAndItsSilenceEndsIt() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		Duration idle = Duration.ofMillis(500);
		KcpServer server = server(FAST.toBuilder().idleTimeout(idle).build(), serverSide);
		KcpSession client = client(FAST, RecordingHandler.recorder(), server.localAddress());
		// The client talks every 50 ms for more than three idle timeouts.
		long started = System.nanoTime();
		long lastSent = started;
		int sent = 0;
		while (lastSent - started < TimeUnit.MILLISECONDS.toNanos(1600)) {
			client.send(new byte[] { (byte) sent++ });
			lastSent = System.nanoTime();
			// Paces the loop; returns early (and fails below) if the server gave up on the session.
			serverSide.closed.copy().completeOnTimeout(null, 50, TimeUnit.MILLISECONDS).join();
		}
		assertThat(serverSide.closed).as("alive while the peer talks").isNotDone();
		// Then it falls silent: the server times out on it (and tells it), an idle timeout after it last heard.
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.IDLE_TIMEOUT);
		Duration silence = Duration.ofNanos(System.nanoTime() - lastSent);
		assertThat(silence).isBetween(idle, Duration.ofSeconds(2));
		assertThat(serverSide.messages).hasSize(sent);
		assertThat(client.closeFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
	}

	/**
	 * A handler that throws is the application's bug, not the session's: it is logged and counted
	 * ({@link KcpServer#handlerFailures()}), the message is not redelivered, and the session goes on. Closing with
	 * {@link CloseReason#ERROR} would let one bad message kill a connection and lose what follows it.
	 */
	@Test
	void handlerThatThrowsIsCountedAndTheSessionGoesOn() throws Exception {
		RecordingHandler serverSide = new RecordingHandler(true) {
			@Override
			public void onOpen(KcpSession session) {
				super.onOpen(session);
				throw new IllegalStateException("onOpen fails");
			}

			@Override
			public void onMessage(KcpSession session, byte[] message) {
				if (message[0] == 'X') {
					throw new IllegalStateException("cannot handle " + text(message));
				}
				super.onMessage(session, message);
			}

			@Override
			public void onClose(KcpSession session, CloseReason reason, Throwable cause) {
				super.onClose(session, reason, cause);
				throw new IllegalStateException("onClose fails");
			}
		};
		KcpServer server = server(FAST, serverSide);
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, server.localAddress());
		client.send("a".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
		client.send("X1".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
		client.send("b".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
		assertThat(text(clientSide.nextMessage(WAIT))).isEqualTo("a");
		assertThat(text(clientSide.nextMessage(WAIT))).isEqualTo("b");
		KcpSession serverSession = serverSide.opened.get(1, TimeUnit.SECONDS);
		assertThat(serverSession.isOpen()).isTrue();
		assertThat(serverSide.closed).isNotDone();
		assertThat(server.handlerFailures()).isEqualTo(2);

		client.close();
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(serverSession.closeFuture().get(1, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		await().atMost(WAIT).until(() -> server.handlerFailures() == 3);
		await().atMost(WAIT).until(() -> server.sessionCount() == 0);
	}

	// ---------------------------------------------------------------- helpers

	static byte[] message(int index, int size) {
		ByteBuffer buffer = ByteBuffer.allocate(size);
		buffer.putInt(index);
		while (buffer.hasRemaining()) {
			buffer.put((byte) (index * 31 + buffer.position()));
		}
		return buffer.array();
	}

	private static String text(byte[] bytes) {
		return new String(bytes, StandardCharsets.UTF_8);
	}

}
