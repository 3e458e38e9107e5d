package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.github.kcp.core.protocol.SimulatedLink.Receiver;
import io.github.kcp.core.protocol.SimulatedLink.Sender;
import io.github.kcp.core.protocol.SimulatedLink.WireSegment;

import static io.github.kcp.core.protocol.KcpCodec.CMD_ACK;
import static io.github.kcp.core.protocol.KcpCodec.CMD_PUSH;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each rule of {@link EngineMode#TUNED}, in virtual time, on a loss pattern where it fires, next to
 * {@link EngineMode#IKCP} on the same pattern: early retransmit, timeouts at their exact deadline, the timer restart
 * on progress, kcp-go's backoff, trimmed acknowledgements and the urgent-acknowledgement signal.
 */
class KcpTunedRecoveryTest {

	private static final int CONV = 7;

	/** Records what an engine emits, with the time it was emitted at. */
	private static final class Wire implements KcpOutput {

		final List<byte[]> datagrams = new ArrayList<>();

		final List<Integer> times = new ArrayList<>();

		int now;

		@Override
		public void output(byte[] buffer, int length) {
			this.datagrams.add(Arrays.copyOf(buffer, length));
			this.times.add(this.now);
		}

		/** Times at which a PUSH of {@code sn} left. */
		List<Integer> pushTimes(int sn) {
			List<Integer> result = new ArrayList<>();
			for (int i = 0; i < this.datagrams.size(); i++) {
				byte[] datagram = this.datagrams.get(i);
				for (WireSegment segment : SimulatedLink.segments(datagram, datagram.length)) {
					if (segment.cmd() == CMD_PUSH && segment.sn() == sn) {
						result.add(this.times.get(i));
					}
				}
			}
			return result;
		}

		byte[] takeLast() {
			this.times.remove(this.times.size() - 1);
			return this.datagrams.remove(this.datagrams.size() - 1);
		}

		void clear() {
			this.datagrams.clear();
			this.times.clear();
		}

	}

	private static Kcp engine(Wire wire, EngineMode mode, int nodelay, int interval, int resend) {
		Kcp kcp = new Kcp(CONV, wire);
		kcp.setMode(mode);
		kcp.setNoDelay(nodelay, interval, resend, true);
		return kcp;
	}

	private static byte[] ack(int sn, int ts, int una) {
		byte[] segment = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeHeader(segment, 0, CONV, CMD_ACK, 0, 128, ts, sn, una, 0);
		return segment;
	}

	private static void input(Kcp kcp, byte[] datagram, int now) {
		assertThat(kcp.input(datagram, 0, datagram.length, now)).isEqualTo(InputResult.OK);
	}

	// ---------------------------------------------------------------- early retransmit

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "TUNED, true", "IKCP, false" })
	void oneDuplicateAcknowledgementResendsALostSegmentAtTheNextFlush(EngineMode mode, boolean resent) {
		Wire wire = new Wire();
		// Fast resend off: only early retransmit can resend before the timeout.
		Kcp sender = engine(wire, mode, 1, 10, 0);
		sender.send(new byte[sender.mss()]);
		sender.send(new byte[sender.mss()]);
		wire.now = 1000;
		sender.flush(1000);
		assertThat(wire.pushTimes(0)).containsExactly(1000);

		// sn 0 is lost; sn 1 arrives and is acknowledged: one duplicate acknowledgement for sn 0.
		input(sender, ack(1, 1000, 0), 1020);
		wire.now = 1021;
		sender.flush(1021);

		if (resent) {
			assertThat(wire.pushTimes(0)).containsExactly(1000, 1021);
			assertThat(sender.earlyRetransmissions()).isEqualTo(1);
		}
		else {
			assertThat(wire.pushTimes(0)).containsExactly(1000);
			assertThat(sender.earlyRetransmissions()).isZero();
		}
		assertThat(sender.timeoutRetransmissions() + sender.fastRetransmissions()).isZero();
	}

	@Test
	void earlyRetransmitWaitsWhileNewDataLeaves() {
		Wire wire = new Wire();
		Kcp sender = engine(wire, EngineMode.TUNED, 1, 10, 0);
		sender.send(new byte[sender.mss()]);
		sender.send(new byte[sender.mss()]);
		sender.flush(1000);
		input(sender, ack(1, 1000, 0), 1020);
		// New data to send: the flush sends it, and leaves sn 0 for the next flush without new data.
		sender.send(new byte[10]);
		wire.now = 1021;
		sender.flush(1021);
		assertThat(wire.pushTimes(0)).hasSize(1);
		assertThat(wire.pushTimes(2)).containsExactly(1021);
		wire.now = 1022;
		sender.flush(1022);
		assertThat(wire.pushTimes(0)).hasSize(2);
		assertThat(sender.earlyRetransmissions()).isEqualTo(1);
	}

	// ---------------------------------------------------------------- exact deadlines

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "TUNED, 200", "IKCP, 210" })
	void aTimeoutBetweenTicksIsServedAtItsDeadline(EngineMode mode, int expectedResend) {
		Wire wire = new Wire();
		// Ticks every 70 ms (0, 70, 140, 210); the first RTO (200 ms, nodelay 1 adds nothing) falls between two.
		Kcp sender = engine(wire, mode, 1, 70, 0);
		sender.send(new byte[10]);
		int now = 0;
		for (int step = 0; step < 100 && wire.pushTimes(0).size() < 2; step++) {
			wire.now = now;
			sender.update(now);
			int next = sender.check(now);
			// ikcp names the next tick; the tuned engine, waiting for nothing but the acknowledgement, its deadline
			// (200 ms, then the backed-off 300 ms after the retransmission).
			assertThat(next - now).isBetween(0, (mode == EngineMode.TUNED) ? 300 : 70);
			now = (next == now) ? now + 1 : next;
		}
		assertThat(wire.pushTimes(0)).containsExactly(0, expectedResend);
	}

	// ---------------------------------------------------------------- tail loss probe

	/** An engine with one RTT sample of 4 ms (srtt 4, RTO the nodelay minimum 30), then sn 1 sent at 1010. */
	private static Kcp loneSegmentInFlight(Wire wire, EngineMode mode) {
		Kcp sender = engine(wire, mode, 1, 10, 0);
		sender.send(new byte[10]);
		wire.now = 1000;
		sender.update(1000);
		input(sender, ack(0, 1000, 1), 1004);
		sender.send(new byte[10]);
		wire.now = 1010;
		sender.update(1010);
		assertThat(wire.pushTimes(1)).containsExactly(1010);
		assertThat(sender.rto()).isEqualTo(30);
		return sender;
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "TUNED, '1010, 1028, 1040', 1", "IKCP, '1010, 1040', 0" })
	void aLoneUnacknowledgedSegmentIsProbedBeforeItsTimeoutWhichStillComes(EngineMode mode, String pushes,
			int probes) {
		Wire wire = new Wire();
		Kcp sender = loneSegmentInFlight(wire, mode);

		// Nothing comes back: the probe two smoothed RTTs and the peer's interval after the send (1010 + 8 + 10),
		// then the timeout at the segment's own deadline (1010 + 30), which the probe did not move.
		updatesUntil(sender, wire, 1010, 1045);

		List<Integer> expected = Arrays.stream(pushes.split(",")).map(String::trim).map(Integer::valueOf).toList();
		assertThat(wire.pushTimes(1)).isEqualTo(expected);
		assertThat(sender.tailProbes()).isEqualTo(probes);
		assertThat(sender.timeoutRetransmissions()).isEqualTo(1);
		assertThat(sender.fastRetransmissions() + sender.earlyRetransmissions()).isZero();
	}

	@Test
	void theProbeCarriesThePresentTimeAndOnlyOnePerSend() {
		Wire wire = new Wire();
		Kcp sender = loneSegmentInFlight(wire, EngineMode.TUNED);
		updatesUntil(sender, wire, 1010, 1030);
		assertThat(wire.pushTimes(1)).containsExactly(1010, 1028);
		byte[] probe = wire.datagrams.get(wire.datagrams.size() - 1);
		WireSegment copy = SimulatedLink.segments(probe, probe.length).get(0);
		assertThat(copy.ts()).as("its acknowledgement is a true RTT sample").isEqualTo(1028);

		// The probe's acknowledgement: a 2 ms sample, nothing left in flight, nothing more sent.
		input(sender, ack(1, 1028, 2), 1030);
		assertThat(sender.srtt()).isLessThanOrEqualTo(4);
		updatesUntil(sender, wire, 1030, 1200);
		assertThat(wire.pushTimes(1)).containsExactly(1010, 1028);
		assertThat(sender.tailProbes()).isEqualTo(1);
	}

	@Test
	void noProbeWhenTheAcknowledgementComesFirstOrBeforeAnyRttSample() {
		Wire wire = new Wire();
		Kcp sender = loneSegmentInFlight(wire, EngineMode.TUNED);
		input(sender, ack(1, 1010, 2), 1015);
		updatesUntil(sender, wire, 1015, 1200);
		assertThat(wire.pushTimes(1)).containsExactly(1010);

		// A fresh engine has no RTT sample: its first segment waits for the initial RTO (200 ms), as ikcp.
		Wire fresh = new Wire();
		Kcp first = engine(fresh, EngineMode.TUNED, 1, 10, 0);
		first.send(new byte[10]);
		fresh.now = 0;
		first.update(0);
		updatesUntil(first, fresh, 0, 199);
		assertThat(fresh.pushTimes(0)).containsExactly(0);
		assertThat(first.tailProbes()).isZero();
	}

	// ---------------------------------------------------------------- no ticks while only waiting

	/** How many updates a driver that follows {@link Kcp#check} makes from {@code from} until {@code until}. */
	private static int updatesUntil(Kcp kcp, Wire wire, int from, int until) {
		int updates = 0;
		int now = from;
		for (int step = 0; step < 10_000; step++) {
			int next = kcp.check(now);
			now = (next - now <= 0) ? now + 1 : next;
			if (now - until > 0) {
				return updates;
			}
			wire.now = now;
			kcp.update(now);
			updates++;
		}
		throw new AssertionError("the engine asked for more than 10,000 updates");
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "TUNED, 1", "IKCP, 20" })
	void dataWaitingOnlyForItsAcknowledgementIsNotTickedEveryInterval(EngineMode mode, int updates) {
		Wire wire = new Wire();
		// nodelay 1, interval 10: the first RTO is 200 ms (no RTT sample yet); nothing acknowledges.
		Kcp sender = engine(wire, mode, 1, 10, 0);
		sender.send(new byte[10]);
		wire.now = 0;
		sender.update(0);
		assertThat(wire.pushTimes(0)).containsExactly(0);
		if (mode == EngineMode.TUNED) {
			assertThat(sender.check(1)).isEqualTo(200);
		}
		else {
			assertThat(sender.check(1)).isEqualTo(10);
		}

		// Up to the first retransmission (200 ms; ikcp serves it at its tick, 200 too): the tuned engine needs the
		// one update that retransmits, ikcp ticks every 10 ms.
		assertThat(updatesUntil(sender, wire, 0, 200)).isEqualTo(updates);
		assertThat(wire.pushTimes(0)).containsExactly(0, 200);
		assertThat(wire.datagrams).hasSize(2);
	}

	@Test
	void theTickStaysWhileAcknowledgementsWaitOrDataWaitsForTheWindow() {
		Wire wire = new Wire();
		Kcp sender = engine(wire, EngineMode.TUNED, 1, 10, 0);
		sender.setWindowSize(1, 128);
		sender.send(new byte[10]);
		sender.send(new byte[10]);
		wire.now = 0;
		sender.update(0);
		// One segment in flight (window 1), one queued behind it: the tick looks for room every interval.
		assertThat(wire.pushTimes(0)).containsExactly(0);
		assertThat(sender.check(1)).isEqualTo(10);

		// The first acknowledged, the second in flight, and a data segment of the peer's to acknowledge: the tick
		// (not the 200 ms deadline) sends that acknowledgement.
		input(sender, ack(0, 0, 1), 5);
		wire.now = 10;
		sender.update(10);
		assertThat(wire.pushTimes(1)).containsExactly(10);
		byte[] push = new byte[KcpCodec.OVERHEAD + 1];
		KcpCodec.writeHeader(push, 0, CONV, CMD_PUSH, 0, 128, 11, 0, 0, 1);
		input(sender, push, 11);
		assertThat(sender.check(12)).isEqualTo(20);
		wire.now = 20;
		sender.update(20);
		// Acknowledged: now only the second segment is left to wait for. It left at 10 with the RTO of the first
		// sample (5 ms), the nodelay minimum of 30 ms; alone in flight with nothing queued, its tail probe comes
		// first: two smoothed RTTs and the peer's interval after it left.
		assertThat(sender.rto()).isEqualTo(30);
		assertThat(sender.check(21)).isEqualTo(10 + 2 * 5 + 10);
	}

	// ---------------------------------------------------------------- timer restart on progress

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "TUNED", "IKCP" })
	void acknowledgementsThatMakeProgressRestartTheTimer(EngineMode mode) {
		Wire wire = new Wire();
		Kcp sender = engine(wire, mode, 1, 10, 0);
		for (int i = 0; i < 4; i++) {
			sender.send(new byte[sender.mss()]);
		}
		int now = 0;
		// A slow link: the four segments, sent together at 0 (RTO 200), are acknowledged one by one at 150, 190,
		// 230 and 270, as a bottleneck drains them.
		int[] ackAt = { 150, 190, 230, 270 };
		int acked = 0;
		for (; now <= 300; now++) {
			wire.now = now;
			while (acked < 4 && ackAt[acked] == now) {
				input(sender, ack(acked, 0, acked + 1), now);
				acked++;
			}
			sender.update(now);
		}
		assertThat(sender.waitSnd()).isZero();
		if (mode == EngineMode.TUNED) {
			// Progress at 150 and 190 pushed the deadlines of the rest to 390 and beyond: nothing resent.
			assertThat(sender.timeoutRetransmissions()).isZero();
			assertThat(sender.spuriousRetransmissions()).isZero();
		}
		else {
			// ikcp resends sn 2 and 3 at 200 although they arrive; the acknowledgements of the first copies
			// (echoing time 0, older than the resend) show it.
			assertThat(sender.timeoutRetransmissions()).isEqualTo(2);
			assertThat(sender.spuriousRetransmissions()).isEqualTo(2);
		}
	}

	// ---------------------------------------------------------------- backoff

	@ParameterizedTest(name = "{0}, nodelay {1}")
	@CsvSource({ "TUNED, 0, 225, 625, 1225, 2025", "TUNED, 1, 200, 500, 900, 1400",
			"IKCP, 0, 230, 630, 1430, 3030", "IKCP, 1, 200, 500, 950, 1630" })
	void timeoutsBackOffAsTheModeSays(EngineMode mode, int nodelay, int first, int second, int third, int fourth) {
		Wire wire = new Wire();
		Kcp sender = engine(wire, mode, nodelay, 10, 0);
		sender.send(new byte[10]);
		// No acknowledgement ever: RTO stays at its initial 200 ms. nodelay 0 adds 200 >> 3 to the first deadline.
		for (int now = 0; now <= 4000 && wire.pushTimes(0).size() < 5; now++) {
			wire.now = now;
			sender.update(now);
		}
		// TUNED (kcp-go) adds the RTO (nodelay 0) or half of it per timeout, served at the deadline; ikcp doubles
		// (nodelay 0) or grows the segment's own RTO by half (nodelay 1), served at the next 10 ms tick.
		assertThat(wire.pushTimes(0)).containsExactly(0, first, second, third, fourth);
	}

	// ---------------------------------------------------------------- acknowledgements

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "TUNED, 1", "IKCP, 4" })
	void acknowledgementsBelowRcvNxtAreTrimmedToTheLatest(EngineMode mode, int expectedAcks) {
		Wire wire = new Wire();
		Kcp receiver = engine(wire, mode, 1, 10, 0);
		byte[] four = KcpHostileInputTest.concat(KcpHostileInputTest.push(0, 0, new byte[5]),
				KcpHostileInputTest.push(1, 0, new byte[5]), KcpHostileInputTest.push(2, 0, new byte[5]),
				KcpHostileInputTest.push(3, 0, new byte[5]));
		input(receiver, four, 1000);
		receiver.flushAcks(1001);
		List<WireSegment> acks = SimulatedLink.segments(wire.datagrams.get(0), wire.datagrams.get(0).length);
		assertThat(acks).hasSize(expectedAcks).allSatisfy((segment) -> assertThat(segment.una()).isEqualTo(4));
		assertThat(acks.get(acks.size() - 1).sn()).isEqualTo(3);
		assertThat(receiver.trimmedAcks()).isEqualTo(4 - expectedAcks);
	}

	@Test
	void onlyOutOfOrderOrRepeatedDataOrAProbeAskForAnAcknowledgementAtOnce() {
		Kcp receiver = engine(new Wire(), EngineMode.TUNED, 1, 10, 0);
		input(receiver, KcpHostileInputTest.push(0, 0, new byte[5]), 1000);
		assertThat(receiver.hasPendingAcks()).isTrue();
		assertThat(receiver.hasUrgentAcks()).as("in order: may be coalesced").isFalse();

		input(receiver, KcpHostileInputTest.push(2, 0, new byte[5]), 1001);
		assertThat(receiver.hasUrgentAcks()).as("a gap: the sender must learn of it").isTrue();
		receiver.flushAcks(1002);
		assertThat(receiver.hasUrgentAcks()).isFalse();

		input(receiver, KcpHostileInputTest.push(0, 0, new byte[5]), 1003);
		assertThat(receiver.hasUrgentAcks()).as("again: our acknowledgement was lost").isTrue();
	}

	// ---------------------------------------------------------------- all together

	@ParameterizedTest(name = "{0}% loss each way")
	@CsvSource({ "5", "10", "20" })
	void tunedModeRecoversALossyTransferWithFewerTimeoutsAndDatagrams(int lossPercent) {
		Result tuned = transfer(EngineMode.TUNED, lossPercent / 100.0);
		Result ikcp = transfer(EngineMode.IKCP, lossPercent / 100.0);
		System.out.printf("%d%% loss: tuned %s; ikcp %s%n", lossPercent, tuned, ikcp);
		// Losses are mostly recovered early, not by timeouts, with hardly more datagrams (a tuned engine driven as
		// check() asks, at once after input, resends early as soon as it can; with these seeds: as many at 5 %, 2 %
		// more at 10 %, a fifth fewer at 20 %). The completion time is not asserted (with these seeds about the same
		// at 5 and 10 %, shorter at 20 %).
		assertThat(tuned.early).isPositive();
		assertThat(tuned.timeouts).isLessThan(ikcp.timeouts);
		assertThat(tuned.datagrams).isLessThanOrEqualTo(ikcp.datagrams * 105 / 100);
	}

	private record Result(long millis, long timeouts, long fast, long early, long probes, long spurious,
			long datagrams) {
	}

	private static Result transfer(EngineMode mode, double loss) {
		SimulatedLink link = new SimulatedLink(77, 0);
		link.impairBoth((settings) -> settings.loss(loss).delay(20, 5));
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			kcp.setMode(mode);
			kcp.setNoDelay(1, 20, 2, true);
			kcp.setWindowSize(64, 128);
		}
		long total = 512 * 1024;
		Sender sender = new Sender(sending, 9, total, 2000, 128);
		Receiver receiver = new Receiver(receiving, 9, total, 2000, true);
		long took = link.runUntil("512 KB delivered", 600_000, 2_000_000,
				() -> receiver.complete() && sending.waitSnd() == 0, (now) -> {
					sender.pump();
					receiver.drain();
				});
		return new Result(took, sending.timeoutRetransmissions(), sending.fastRetransmissions(),
				sending.earlyRetransmissions(), sending.tailProbes(), sending.spuriousRetransmissions(),
				link.left().sent());
	}

}
