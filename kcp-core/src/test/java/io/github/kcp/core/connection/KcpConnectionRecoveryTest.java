package io.github.kcp.core.connection;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.kcp.core.connection.KcpConnectionCloseTest.Pair;
import io.github.kcp.core.connection.VirtualNetwork.Sent;
import io.github.kcp.core.protocol.EngineMode;
import io.github.kcp.core.protocol.KcpCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.github.kcp.core.connection.KcpConnectionCloseTest.CONV;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.FAST;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.message;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.pair;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loss recovery as the connection serves it, in virtual time: with the engine in {@link EngineMode#TUNED} (the
 * default) a timeout retransmission leaves at its exact deadline and a single duplicate acknowledgement resends a
 * lost segment one round trip after it was sent; {@link EngineMode#IKCP}, chosen by the setting, waits for the
 * interval tick and for the timeout. The connection's timer is never due again right after it was served, and the
 * statistics count early and spurious retransmissions.
 */
class KcpConnectionRecoveryTest {

	private static final long ONE_WAY = 20;

	/** Sends one message and waits for its acknowledgement, so that both ends have an RTT estimate. */
	private static void warmUp(VirtualNetwork net, Pair pair) {
		pair.a().session.send(message(0, 100));
		net.runUntil("warmed up", 1000, () -> pair.a().session.acknowledged == 1);
		net.advance(50);
	}

	/** The transmissions of data segment {@code sn} by {@code from}, in order. */
	private static List<Sent> transmissionsOf(VirtualNetwork net, String from, int sn) {
		return net.sent(from, KcpCodec.CMD_PUSH).stream().filter((d) -> KcpCodec.readInt(d.data(), 12) == sn).toList();
	}

	@ParameterizedTest
	@EnumSource(EngineMode.class)
	void aTimeoutRetransmissionLeavesAtItsDeadlineInTunedModeAndAtATickInIkcpMode(EngineMode mode) {
		VirtualNetwork net = new VirtualNetwork(31);
		Pair pair = pair(net, FAST.toBuilder().engineMode(mode).interval(50).build());
		warmUp(net, pair);
		AtomicBoolean dropped = new AtomicBoolean();
		pair.a().link.drop((d) -> d.cmd() == KcpCodec.CMD_PUSH && !dropped.getAndSet(true));
		int rto = pair.a().session.connection.stats().rto();
		long t = net.now();
		pair.a().session.send(message(1, 100));

		net.runUntil("acknowledged", 5000, () -> pair.a().session.acknowledged == 2);

		List<Sent> sends = transmissionsOf(net, "a", 1);
		assertThat(sends).hasSize(2);
		assertThat(sends.get(0).at()).isEqualTo(t);
		long resent = sends.get(1).at();
		if (mode == EngineMode.TUNED) {
			assertThat(resent).as("at the deadline, rto %d ms after the send", rto).isEqualTo(t + rto);
			assertThat(pair.a().session.zeroDelayTimers).isZero();
		}
		else {
			assertThat(resent).as("not before the deadline").isGreaterThanOrEqualTo(t + rto);
		}
		assertThat(pair.a().session.connection.stats().timeoutRetransmissions()).isEqualTo(1);
	}

	@ParameterizedTest
	@EnumSource(EngineMode.class)
	void theStatisticsCountATailProbeAsARetransmissionOfItsOwnKind(EngineMode mode) {
		VirtualNetwork net = new VirtualNetwork(37);
		Pair pair = pair(net, FAST.toBuilder().engineMode(mode).build());
		warmUp(net, pair);
		AtomicBoolean dropped = new AtomicBoolean();
		pair.a().link.drop((d) -> d.cmd() == KcpCodec.CMD_PUSH && !dropped.getAndSet(true));
		pair.a().session.send(message(1, 100));

		net.runUntil("acknowledged", 5000, () -> pair.a().session.acknowledged == 2);

		// A lone lost segment with nothing behind it: the tuned engine probes it two smoothed RTTs (and the peer's
		// interval) after the send, before its timeout; ikcp knows no probe and waits for the timeout.
		KcpSessionStats stats = pair.a().session.connection.stats();
		int resends = transmissionsOf(net, "a", 1).size() - 1;
		assertThat(stats.tailProbes()).isEqualTo((mode == EngineMode.TUNED) ? 1 : 0);
		assertThat(stats.retransmissions()).as("every copy after the first counted once, whatever sent it")
			.isEqualTo(resends)
			.isEqualTo(stats.timeoutRetransmissions() + stats.fastRetransmissions() + stats.earlyRetransmissions()
					+ stats.tailProbes());
	}

	@ParameterizedTest
	@EnumSource(EngineMode.class)
	void oneDuplicateAcknowledgementResendsALostSegmentOneRoundTripLaterInTunedMode(EngineMode mode) {
		VirtualNetwork net = new VirtualNetwork(32);
		Pair pair = pair(net, FAST.toBuilder().engineMode(mode).build());
		warmUp(net, pair);
		AtomicBoolean dropped = new AtomicBoolean();
		pair.a().link.drop((d) -> d.cmd() == KcpCodec.CMD_PUSH && !dropped.getAndSet(true));
		int rto = pair.a().session.connection.stats().rto();
		long t = net.now();
		pair.a().session.send(message(1, 100));
		pair.a().session.send(message(2, 100));

		net.runUntil("acknowledged", 5000, () -> pair.a().session.acknowledged == 3);

		List<Sent> sends = transmissionsOf(net, "a", 1);
		assertThat(sends).hasSize(2);
		KcpSessionStats stats = pair.a().session.connection.stats();
		if (mode == EngineMode.TUNED) {
			// sn 2 arrives alone: its acknowledgement leaves at once (a gap) and is the one duplicate needed.
			assertThat(sends.get(1).at()).as("one round trip after the send").isEqualTo(t + 2 * ONE_WAY);
			assertThat(stats.earlyRetransmissions()).isEqualTo(1);
			assertThat(stats.timeoutRetransmissions()).isZero();
		}
		else {
			// ikcp needs two duplicates (resend 2): it waits for the timeout.
			assertThat(sends.get(1).at()).isGreaterThanOrEqualTo(t + rto);
			assertThat(stats.earlyRetransmissions()).isZero();
			assertThat(stats.timeoutRetransmissions()).isEqualTo(1);
		}
		assertThat(stats.retransmissions()).isEqualTo(1);
	}

	@Test
	void aRetransmissionOvertakenByALateAcknowledgementCountsAsSpurious() {
		VirtualNetwork net = new VirtualNetwork(33);
		Pair pair = pair(net, FAST);
		warmUp(net, pair);
		int rto = pair.a().session.connection.stats().rto();
		// The acknowledgement of the next segment comes far too late: the sender resends, then hears of the first copy.
		pair.b().link.delay(rto + 100);
		pair.a().session.send(message(1, 100));

		net.runUntil("acknowledged", 10_000, () -> pair.a().session.acknowledged == 2);

		KcpSessionStats stats = pair.a().session.connection.stats();
		assertThat(stats.timeoutRetransmissions()).isPositive();
		assertThat(stats.spuriousRetransmissions()).isPositive();
		assertThat(pair.b().session.connection.stats().duplicateSegments()).isPositive();
	}

	@Test
	void aLossyTransferNeverLeavesTheTimerDueRightAfterItWasServed() {
		VirtualNetwork net = new VirtualNetwork(34);
		Pair pair = pair(net, FAST);
		pair.a().link.loss(0.1);
		pair.b().link.loss(0.1);
		int messages = 300;
		for (int i = 0; i < messages; i++) {
			pair.a().session.send(message(i, 1000));
		}

		net.runUntil("all acknowledged", 60_000, () -> pair.a().session.acknowledged == messages);

		assertThat(pair.b().session.messages).hasSize(messages);
		for (int i = 0; i < messages; i++) {
			assertThat(pair.b().session.messages.get(i)).isEqualTo(message(i, 1000));
		}
		KcpSessionStats stats = pair.a().session.connection.stats();
		assertThat(stats.retransmissions()).isPositive();
		assertThat(stats.earlyRetransmissions() + stats.fastRetransmissions()).isPositive();
		assertThat(pair.b().session.connection.stats().trimmedAcks()).isPositive();
		assertThat(pair.a().session.zeroDelayTimers).isZero();
		assertThat(pair.b().session.zeroDelayTimers).isZero();
	}

	@Test
	void anEchoAtTenPercentLossHasAShorterTailInTunedMode() {
		Map<EngineMode, List<Long>> rtts = new EnumMap<>(EngineMode.class);
		for (EngineMode mode : EngineMode.values()) {
			rtts.put(mode, echoRoundTrips(mode, 2000));
		}
		List<Long> tuned = rtts.get(EngineMode.TUNED);
		List<Long> ikcp = rtts.get(EngineMode.IKCP);
		// A loss is repaired by early retransmit once the next message shows the gap (10 ms later), a second loss by
		// the next one or by the timeout at its exact deadline (the minimum RTO, 30 ms); ikcp waits for two duplicates
		// and for its ticks.
		assertThat(percentile(tuned, 50)).isZero();
		assertThat(percentile(tuned, 90)).isLessThanOrEqualTo(10);
		assertThat(percentile(tuned, 99)).isLessThanOrEqualTo(30);
		assertThat(percentile(ikcp, 99)).isGreaterThan(percentile(tuned, 99));
	}

	/** Round trips of an echo, one 64-byte message every 10 ms, at 10 % loss each way and no delay. */
	private static List<Long> echoRoundTrips(EngineMode mode, int count) {
		KcpConfig config = FAST.toBuilder().windowSize(1024, 1024).engineMode(mode).build();
		VirtualNetwork net = new VirtualNetwork(35);
		VirtualNetwork.Endpoint client = net.endpoint("client", "server", CONV, config);
		VirtualNetwork.Endpoint server = net.endpoint("server", "client", CONV, config);
		client.link.loss(0.1);
		server.link.loss(0.1);
		server.session.onMessage = server.session::send;
		long[] sentAt = new long[count];
		List<Long> rtts = new ArrayList<>();
		client.session.onMessage = (echo) -> rtts.add(net.now() - sentAt[ByteBuffer.wrap(echo).getInt()]);
		for (int i = 0; i < count; i++) {
			sentAt[i] = net.now();
			client.session.send(message(i, 64));
			net.advance(10);
		}
		net.runUntil("every echo back", 60_000, () -> rtts.size() == count);
		Collections.sort(rtts);
		return rtts;
	}

	private static long percentile(List<Long> sorted, int p) {
		return sorted.get((int) Math.ceil(p / 100.0 * sorted.size()) - 1);
	}

}
