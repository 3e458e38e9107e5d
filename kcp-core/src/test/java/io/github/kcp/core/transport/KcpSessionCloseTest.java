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
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.protocol.KcpCodec;
import io.github.kcp.testsupport.relay.LinkImpairment;
import io.github.kcp.testsupport.relay.LossyUdpRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Every way a session ends is reported over real sockets with the right {@link CloseReason} on both sides, after
 * the data sent before it, and with unacknowledged sends failed rather than left hanging. The rules and their
 * timing (signal retries, idle timeout, dead link, close timeout, grace period) are tested in virtual time in
 * {@code io.github.kcp.core.connection}; here what needs a socket: the shell's futures and handler calls, the
 * server's shutdown over UDP, ICMP errors, a lost socket.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KcpSessionCloseTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).windowSize(256, 256).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	@Test
	void clientCloseIsSeenByTheServerAfterAllDataSentBeforeIt() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, serverSide);
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, server.localAddress());
		List<CompletableFuture<Void>> sends = new ArrayList<>();
		for (int i = 0; i < 100; i++) {
			sends.add(client.send(message(i, 200)));
		}
		CompletableFuture<CloseReason> closed = client.close();
		assertThat(client.isOpen()).isFalse();
		assertThatThrownBy(() -> client.send(new byte[1]).get(5, TimeUnit.SECONDS))
			.hasCauseInstanceOf(KcpSessionClosedException.class);

		assertThat(closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
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
		// The raw peer never acknowledges, so it stays unproven: without an amplification limit, so that the
		// retransmissions the drain makes do not use up what the server may send it before the final signal.
		KcpServer server = KcpServer.builder().config(FAST).handler(serverSide).amplificationFactor(0).bind("127.0.0.1",
				0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		RawUdpPeer peer = raw();
		peer.send(server.localAddress(), RawUdpPeer.concat(RawUdpPeer.push(77, 0, new byte[1]), RawUdpPeer.offer(77)));
		KcpSession session = serverSide.opened.get(5, TimeUnit.SECONDS);
		CompletableFuture<Void> unacknowledged = session.send(new byte[10]);
		server.shutdown(Duration.ofMillis(300)).get(5, TimeUnit.SECONDS);
		assertThat(serverSide.closed.get()).isEqualTo(CloseReason.SERVER_SHUTDOWN);
		assertThatThrownBy(unacknowledged::join).cause().isInstanceOf(KcpSessionClosedException.class);
		// The peer (which offered the close handshake) was told.
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

	/**
	 * {@link KcpServer#stopReceiving()} (the start of {@link KcpServer#shutdown}) over UDP: a data segment that arrives
	 * afterwards is neither acknowledged nor delivered, while the server's own send still goes out and carries its
	 * cumulative acknowledgement, which stops before the refused segment.
	 */
	@Test
	void afterStopReceivingTheServerAcknowledgesNoNewDataButStillSends() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, serverSide);
		RawUdpPeer peer = raw();
		int conv = 0x77;
		peer.send(server.localAddress(), RawUdpPeer.push(conv, 0, new byte[] { 1 }));
		assertThat(serverSide.nextMessage(WAIT)).containsExactly(1);
		peer.awaitDatagram((d) -> RawUdpPeer.cmd(d) == KcpCodec.CMD_ACK, WAIT);
		KcpSession session = serverSide.opened.get();

		server.stopReceiving().get(5, TimeUnit.SECONDS);
		peer.send(server.localAddress(), RawUdpPeer.push(conv, 1, new byte[] { 2 }));
		await().atMost(WAIT).until(() -> session.stats().datagramsIn() == 2);
		session.send(new byte[] { 3 });

		byte[] reply = peer.awaitDatagram((d) -> RawUdpPeer.cmd(d) == KcpCodec.CMD_PUSH, WAIT);
		assertThat(KcpCodec.readInt(reply, 16)).as("una: segment 1 not acknowledged").isEqualTo(1);
		assertThat(serverSide.messages).as("nor delivered").isEmpty();
		assertThat(session.isOpen()).isTrue();
		// A new conversation is refused meanwhile.
		peer.send(server.localAddress(), RawUdpPeer.push(conv + 1, 0, new byte[] { 4 }));
		await().atMost(WAIT).until(() -> server.droppedDatagrams(DropReason.SHUTTING_DOWN) == 1);
		assertThat(server.sessionCount()).isEqualTo(1);
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
