package io.github.kcp.core.connection;

import java.time.Duration;
import java.util.List;

import io.github.kcp.core.connection.KcpConnectionCloseTest.Pair;
import io.github.kcp.core.connection.VirtualNetwork.Endpoint;
import io.github.kcp.core.connection.VirtualNetwork.Sent;
import io.github.kcp.core.connection.VirtualNetwork.Server;
import io.github.kcp.core.protocol.KcpCodec;
import org.junit.jupiter.api.Test;

import static io.github.kcp.core.connection.KcpConnectionCloseTest.CONV;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.FAST;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.message;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.pair;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Liveness, in virtual time: the idle timeout counts only what the peer sends (our own traffic is no sign of life)
 * and closes exactly one timeout after the peer was last heard, telling it; the dead link closes after the set number
 * of transmissions of one segment.
 */
class KcpConnectionLivenessTest {

	@Test
	void aSilentPeerTimesOutEvenWhileWeKeepSending() {
		VirtualNetwork net = new VirtualNetwork(11);
		Pair pair = pair(net, FAST.toBuilder().idleTimeout(Duration.ofMillis(300)).build());
		Endpoint a = pair.a();
		// A black hole: everything reaches it, nothing comes back.
		pair.b().link.cut(true);
		long opened = net.now();
		while (a.session.closed == null) {
			a.session.send(new byte[] { 42 });
			net.advance(20);
		}
		assertThat(a.session.closed).isEqualTo(CloseReason.IDLE_TIMEOUT);
		assertThat(a.session.closedAt - opened).isEqualTo(300);
		assertThat(a.session.acknowledged).isZero();
		assertThat(a.session.failedSends).isEqualTo(a.session.sends);
		// A peer never heard from never offered the close handshake: it is sent nothing it might not understand.
		assertThat(KcpConnectionCloseTest.signals(net, "a", KcpCodec.CMD_CLOSE)).isEmpty();
	}

	@Test
	void peerTrafficKeepsTheSessionAliveAndItsSilenceEndsItOneTimeoutLater() {
		VirtualNetwork net = new VirtualNetwork(12);
		Endpoint a = net.endpoint("a", "b", CONV, FAST.toBuilder().idleTimeout(Duration.ofMillis(500)).build());
		Endpoint b = net.endpoint("b", "a", CONV, FAST);
		a.link.delay(20);
		b.link.delay(20);
		long started = net.now();
		int sent = 0;
		// The peer talks every 50 ms for more than three idle timeouts.
		while (net.now() - started < 1600) {
			b.session.send(new byte[] { (byte) sent++ });
			net.advance(50);
		}
		assertThat(a.session.closed).as("alive while the peer talks").isNull();
		List<Sent> fromPeer = net.sent().stream().filter((s) -> s.from().equals("b")).toList();
		long lastHeard = fromPeer.get(fromPeer.size() - 1).at() + 20;

		net.runUntil("timed out", 10_000, () -> a.session.closed != null);

		assertThat(a.session.closed).isEqualTo(CloseReason.IDLE_TIMEOUT);
		assertThat(a.session.closedAt).isEqualTo(lastHeard + 500);
		assertThat(a.session.messages).hasSize(sent);
		net.runUntil("the peer heard", 1000, () -> b.session.closed != null);
		assertThat(b.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
	}

	@Test
	void aZeroIdleTimeoutNeverCloses() {
		VirtualNetwork net = new VirtualNetwork(13);
		Pair pair = pair(net, FAST.toBuilder().idleTimeout(Duration.ZERO).build());
		pair.a().session.send(message(1, 10));
		net.runUntil("acknowledged", 1000, () -> pair.a().session.acknowledged == 1);
		assertThat(pair.a().session.connection.pollTimeout()).isEqualTo(KcpConnection.NO_DEADLINE);
		net.advance(Duration.ofHours(2).toMillis());
		assertThat(pair.a().session.closed).isNull();
		assertThat(pair.b().session.closed).isNull();
	}

	@Test
	void aCutLinkWithDataInFlightEndsInDeadLinkAfterTheSetNumberOfTransmissions() {
		VirtualNetwork net = new VirtualNetwork(14);
		Endpoint a = net.endpoint("a", "b", CONV, FAST.toBuilder().deadLink(5).build());
		Endpoint b = net.endpoint("b", "a", CONV, FAST.toBuilder().idleTimeout(Duration.ofSeconds(2)).build());
		a.link.delay(20);
		b.link.delay(20);
		a.session.send(message(1, 100));
		net.runUntil("acknowledged", 1000, () -> a.session.acknowledged == 1);

		net.cutAll();
		int pushesBefore = net.sent("a", KcpCodec.CMD_PUSH).size();
		a.session.send(message(2, 1000));
		net.runUntil("dead link", 60_000, () -> a.session.closed != null);

		assertThat(a.session.closed).isEqualTo(CloseReason.DEAD_LINK);
		assertThat(net.sent("a", KcpCodec.CMD_PUSH).size() - pushesBefore).as("transmissions of the lost segment")
			.isEqualTo(5);
		assertThat(a.session.failedSends).isEqualTo(1);
		// The peer heard nothing (its close signal was cut too) and times out on its own.
		net.runUntil("the peer timed out", 10_000, () -> b.session.closed != null);
		assertThat(b.session.closed).isEqualTo(CloseReason.IDLE_TIMEOUT);
	}

	@Test
	void aServerClosesAnIdleSessionAndTellsItsClient() {
		VirtualNetwork net = new VirtualNetwork(15);
		Server server = net.server("server", FAST.toBuilder().idleTimeout(Duration.ofMillis(300)).build(),
				new SessionLimits<>(10, 0), 60_000);
		server.onOpen = (session) -> session.onMessage = session::send;
		Endpoint client = net.endpoint("client", "server", CONV, FAST);
		server.link.delay(10);
		client.link.delay(10);
		client.session.send(message(1, 64));
		net.runUntil("echoed", 1000, () -> client.session.messages.size() == 1);
		VirtualNetwork.Session serverSession = server.opened.get(0);

		// The client stays quiet (KCP has no keep-alive): the server gives up on it and says so.
		net.runUntil("both closed", 10_000, () -> serverSession.closed != null && client.session.closed != null);
		assertThat(serverSession.closed).isEqualTo(CloseReason.IDLE_TIMEOUT);
		assertThat(client.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(server.table.isEmpty()).isTrue();
		assertThat(server.table.rememberedClosed()).isEqualTo(1);
	}

}
