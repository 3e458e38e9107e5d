package io.github.kcp.core.transport;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.protocol.EngineMode;
import io.github.kcp.core.protocol.KcpMessageTooLargeException;
import io.github.kcp.testsupport.relay.LinkImpairment;
import io.github.kcp.testsupport.relay.LossyUdpRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * aiokcp's runtime setters ({@code set_mtu}, {@code set_wndsize}, {@code set_nodelay}, {@code set_stream}) change a
 * live session's behaviour on the wire, not only its reported configuration; on a server they shape the sessions
 * it opens from then on and leave the open ones alone.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KcpRuntimeSettersTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	@Test
	void setMtuShrinksTheDatagramsOfALiveSession() throws Exception {
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = server(FAST, serverSide);
		SniffingRelay relay = sniffer(server.localAddress());
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, relay.localAddress());
		byte[] message = KcpSessionCloseTest.message(1, 10_000);
		exchange(client, clientSide, message);
		assertThat(SniffingRelay.maxLength(relay.toTarget())).isEqualTo(1400);

		relay.clear();
		client.setMtu(600);
		assertThat(client.config().mtu()).isEqualTo(600);
		exchange(client, clientSide, message);
		assertThat(SniffingRelay.maxLength(relay.toTarget())).isEqualTo(600);
		// Only this side changed: the server's echo still comes in datagrams of its own mtu.
		assertThat(SniffingRelay.maxLength(relay.toClient())).isEqualTo(1400);
		// The largest message shrinks with the mtu (127 fragments of mtu - 24 bytes).
		assertThat(client.maxMessageSize()).isEqualTo(127 * (600 - 24));
		assertThatThrownBy(() -> client.send(new byte[127 * 576 + 1]).join()).cause()
			.isInstanceOf(KcpMessageTooLargeException.class);
	}

	@Test
	void setWindowSizeBoundsWhatIsInFlightAndIsAnnouncedToThePeer() throws Exception {
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = server(FAST, serverSide);
		LossyUdpRelay relay = relay(server.localAddress());
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, relay.localAddress());
		exchange(client, clientSide, new byte[] { 1 });
		KcpSession serverSession = serverSide.opened.get(1, TimeUnit.SECONDS);
		assertThat(serverSession.stats().remoteWindow()).as("the client's default receive window").isEqualTo(128);

		// A larger receive window is announced with the next segment the client sends.
		client.setWindowSize(32, 512);
		exchange(client, clientSide, new byte[] { 2 });
		assertThat(serverSession.stats().remoteWindow()).isEqualTo(512);
		assertThat(client.config().receiveWindow()).isEqualTo(512);

		// Nothing gets through any more: what is in flight is exactly what the send window allows.
		relay.setImpairment(LinkImpairment.cut());
		client.setWindowSize(8, 512);
		for (int i = 0; i < 50; i++) {
			client.send(new byte[100]);
		}
		await().atMost(WAIT).until(() -> client.stats().inFlight() == 8);
		client.setWindowSize(20, 512);
		await().atMost(WAIT).until(() -> client.stats().inFlight() == 20);
		assertThat(client.stats().waitingSegments()).isEqualTo(50);
		relay.setImpairment(LinkImpairment.none());
		for (int i = 0; i < 50; i++) {
			clientSide.nextMessage(WAIT);
		}
	}

	@Test
	void setNoDelayChangesRetransmissionBehaviourOfALiveSession() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, serverSide);
		LossyUdpRelay relay = relay(server.localAddress());
		relay.setImpairment(LinkImpairment.builder().lossToTarget(0.3).seed(11).build());
		// The exact ikcp engine: in the tuned one, early retransmission (one duplicate acknowledgement) may recover
		// every loss before the second duplicate that fast retransmission waits for, depending on timing.
		KcpSession client = client(FAST.toBuilder().engineMode(EngineMode.IKCP).build(), RecordingHandler.recorder(),
				relay.localAddress());
		sendAll(client, 100);
		KcpSessionStats fast = client.stats();
		assertThat(fast.fastRetransmissions()).as("resend 2 under 30 %% loss").isPositive();

		// resend 0 turns fast retransmission off; nodelay off raises the minimum RTO to 100 ms.
		client.setNoDelay(0, 20, 0, true);
		assertThat(client.config().nodelay()).isZero();
		assertThat(client.config().interval()).isEqualTo(20);
		assertThat(client.config().resend()).isZero();
		sendAll(client, 50);
		KcpSessionStats slow = client.stats();
		assertThat(slow.fastRetransmissions()).isEqualTo(fast.fastRetransmissions());
		assertThat(slow.timeoutRetransmissions()).isGreaterThanOrEqualTo(fast.timeoutRetransmissions());
		assertThat(slow.rto()).isGreaterThanOrEqualTo(100);
		assertThat(serverSide.messages).hasSize(150);
	}

	@Test
	void setStreamLetsALiveSessionSendMoreThanOneMessageCanHold() throws Exception {
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		CompletableFuture<Void> all = new CompletableFuture<>();
		int size = 1 << 20;
		KcpServer server = server(FAST, (session, message) -> {
			received.writeBytes(message);
			if (received.size() >= size) {
				all.complete(null);
			}
		});
		KcpSession client = client(FAST.toBuilder().windowSize(256, 256).build(), RecordingHandler.recorder(),
				server.localAddress());
		byte[] big = new byte[size];
		new Random(3).nextBytes(big);
		assertThatThrownBy(() -> client.send(big).join()).cause().isInstanceOf(KcpMessageTooLargeException.class);

		client.setStream(true);
		assertThat(client.config().stream()).isTrue();
		client.send(big).get(10, TimeUnit.SECONDS);
		all.get(10, TimeUnit.SECONDS);
		assertThat(received.toByteArray()).isEqualTo(big);
	}

	@Test
	void serverSettersShapeFutureSessionsAndLeaveOpenOnesAlone() throws Exception {
		List<KcpSession> serverSessions = new ArrayList<>();
		KcpServer server = KcpServer.builder().config(FAST).handler(new KcpSessionHandler() {
			@Override
			public void onOpen(KcpSession session) {
				synchronized (serverSessions) {
					serverSessions.add(session);
				}
			}

			@Override
			public void onMessage(KcpSession session, byte[] message) {
				session.send(message);
			}
		}).bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		SniffingRelay before = sniffer(server.localAddress());
		RecordingHandler earlySide = RecordingHandler.recorder();
		KcpSession early = client(FAST, earlySide, before.localAddress());
		byte[] message = KcpSessionCloseTest.message(7, 5000);
		exchange(early, earlySide, message);

		server.setMtu(700);
		server.setWindowSize(64, 256);
		server.setNoDelay(0, 40, 0, false);
		server.setStream(true);
		assertThat(server.config().mtu()).isEqualTo(700);
		assertThat(server.config().sendWindow()).isEqualTo(64);
		assertThat(server.config().receiveWindow()).isEqualTo(256);
		assertThat(server.config().nodelay()).isZero();
		assertThat(server.config().interval()).isEqualTo(40);
		assertThat(server.config().congestionControl()).isTrue();
		assertThat(server.config().stream()).isTrue();

		SniffingRelay after = sniffer(server.localAddress());
		RecordingHandler lateSide = RecordingHandler.recorder();
		KcpSession late = client(FAST, lateSide, after.localAddress());
		late.send(message).get(5, TimeUnit.SECONDS);
		// In stream mode the server's echo may come in several pieces: reassemble it.
		ByteArrayOutputStream echoed = new ByteArrayOutputStream();
		while (echoed.size() < message.length) {
			echoed.writeBytes(lateSide.nextMessage(WAIT));
		}
		assertThat(echoed.toByteArray()).isEqualTo(message);
		assertThat(SniffingRelay.maxLength(after.toClient())).isEqualTo(700);
		KcpConfig lateConfig = serverSessions.get(1).config();
		assertThat(lateConfig.mtu()).isEqualTo(700);
		assertThat(lateConfig.stream()).isTrue();
		assertThat(lateConfig.nodelay()).isZero();
		assertThat(lateConfig.receiveWindow()).isEqualTo(256);
		// The server announces its new receive window to the new client.
		assertThat(late.stats().remoteWindow()).isEqualTo(256);

		// The session opened before the change keeps its settings, on the wire too.
		before.clear();
		exchange(early, earlySide, message);
		assertThat(SniffingRelay.maxLength(before.toClient())).isEqualTo(1400);
		assertThat(serverSessions.get(0).config()).isSameAs(FAST);
		assertThat(early.stats().remoteWindow()).isEqualTo(128);
	}

	// ---------------------------------------------------------------- helpers

	private static void exchange(KcpSession client, RecordingHandler clientSide, byte[] message) throws Exception {
		client.send(message).get(5, TimeUnit.SECONDS);
		assertThat(clientSide.nextMessage(WAIT)).isEqualTo(message);
	}

	private static void sendAll(KcpSession client, int count) throws Exception {
		List<CompletableFuture<Void>> sends = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			sends.add(client.send(KcpSessionCloseTest.message(i, 1000)));
		}
		CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(15, TimeUnit.SECONDS);
	}

}
