package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import io.github.kcp.core.protocol.SimulatedLink.AfterInput;
import io.github.kcp.core.protocol.SimulatedLink.Content;
import io.github.kcp.core.protocol.SimulatedLink.Receiver;
import io.github.kcp.core.protocol.SimulatedLink.Sender;
import io.github.kcp.core.protocol.SimulatedLink.WireSegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loss handling seen on the wire: dead-link detection when the link is cut, the retransmission timeout's backoff
 * in each nodelay mode, fast retransmission after duplicate acknowledgements and its cap, and the congestion
 * window's reaction to a timeout. Expected values follow ikcp.c.
 */
class KcpLinkFailureTest {

	private static final int INTERVAL = 10;

	static List<Arguments> deadLinkSettings() {
		// A short limit with ikcp's default backoff, and the default limit (20) with nodelay's gentler backoff,
		// which keeps the twenty transmissions within a few minutes of virtual time.
		return List.of(Arguments.of(5, 0, 0, false), Arguments.of(Kcp.DEFAULT_DEAD_LINK, 1, 2, true));
	}

	@ParameterizedTest(name = "dead link {0}, nodelay {1}")
	@MethodSource("deadLinkSettings")
	void cutLinkIsDeclaredDeadAfterDeadLinkTransmissions(int deadLink, int nodelay, int resend, boolean nc) {
		SimulatedLink link = new SimulatedLink(8, 0);
		link.impairBoth((settings) -> settings.delay(20, 5));
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			kcp.setNoDelay(nodelay, INTERVAL, resend, nc);
			kcp.setWindowSize(128, 128);
			kcp.setDeadLink(deadLink);
		}
		Map<Integer, Integer> transmissions = new HashMap<>();
		int[] most = new int[1];
		link.tap((from, now, data, length) -> {
			if (from == link.left()) {
				for (WireSegment segment : SimulatedLink.segments(data, length)) {
					if (segment.cmd() == KcpCodec.CMD_PUSH) {
						most[0] = Math.max(most[0], transmissions.merge(segment.sn(), 1, Integer::sum));
					}
				}
			}
		});
		Sender sender = new Sender(sending, 4, Long.MAX_VALUE, 8 * 1024, 256);
		Receiver receiver = new Receiver(receiving, 4, Long.MAX_VALUE, 8 * 1024, true);
		IntConsumer application = (now) -> {
			sender.pump();
			receiver.drain();
			assertThat(sending.isDeadLink()).as("dead link after %d transmissions of one segment", most[0])
				.isEqualTo(most[0] >= deadLink);
		};

		link.advance(1000, application);
		assertThat(receiver.receivedBytes()).isPositive();
		assertThat(sending.isDeadLink()).isFalse();

		link.cut();
		long took = link.runUntil("dead link", 1_200_000, 1_000_000, sending::isDeadLink, application);

		assertThat(most[0]).isEqualTo(deadLink);
		assertThat(receiving.isDeadLink()).as("the receiver sent no data, so it has nothing to give up on")
			.isFalse();
		System.out.printf("dead link %d (nodelay %d) declared %.1f s after the cut%n", deadLink, nodelay,
				took / 1000.0);
	}

	@ParameterizedTest(name = "nodelay {0}")
	@ValueSource(ints = { 0, 1, 2 })
	void retransmissionTimeoutBacksOffAsIkcp(int nodelay) {
		SimulatedLink link = new SimulatedLink(9, 0);
		link.impairBoth((settings) -> settings.delay(25, 0));
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			kcp.setMode(EngineMode.IKCP);
			kcp.setNoDelay(nodelay, INTERVAL, 0, true);
			kcp.setDeadLink(1000);
		}
		warmUp(link);

		link.cut();
		// No acknowledgement can arrive any more, so the engine's RTO estimate stays what it is now.
		int rxRto = sending.rto();
		int sn = sending.sendNext();
		List<Long> times = new ArrayList<>();
		link.tap((from, now, data, length) -> {
			if (from == link.left()) {
				for (WireSegment segment : SimulatedLink.segments(data, length)) {
					if (segment.cmd() == KcpCodec.CMD_PUSH && segment.sn() == sn) {
						times.add(link.elapsed());
					}
				}
			}
		});
		sending.send(new byte[100]);
		List<Integer> expected = expectedGaps(nodelay, rxRto);
		link.runUntil("retransmissions of the lost segment", 1_200_000, 1_000_000,
				() -> times.size() > expected.size(), (now) -> {
				});

		List<Long> gaps = new ArrayList<>();
		for (int i = 1; i < times.size(); i++) {
			gaps.add(times.get(i) - times.get(i - 1));
		}
		// Retransmissions happen at flush ticks, so each gap is its timeout rounded to the interval.
		for (int i = 0; i < expected.size(); i++) {
			assertThat(gaps.get(i)).as("gap %d of %s (expected %s, rto %d)", i, gaps, expected, rxRto)
				.isBetween((long) expected.get(i) - INTERVAL, (long) expected.get(i) + INTERVAL);
		}
		assertThat(gaps).allMatch((gap) -> gap <= Kcp.RTO_MAX + INTERVAL);
		if (nodelay != 2) {
			assertThat(gaps.get(gaps.size() - 1)).as("capped").isGreaterThanOrEqualTo((long) Kcp.RTO_MAX);
		}
		assertThat(sending.timeoutRetransmissions()).isEqualTo(expected.size());
	}

	/**
	 * ikcp's backoff (ikcp_flush): the first timeout is the RTO (plus an eighth with nodelay 0); then on each
	 * timeout nodelay 0 adds max(rto, rx_rto) (at least doubling), nodelay 1 adds half the segment's rto (x1.5), and
	 * nodelay 2 adds half the estimated RTO (a constant step). The engine caps the result at 60 s. Returns gaps up to
	 * two capped ones, or 15 for the slow arithmetic growth of nodelay 2.
	 */
	private static List<Integer> expectedGaps(int nodelay, int rxRto) {
		List<Integer> gaps = new ArrayList<>();
		int rto = rxRto;
		gaps.add(rto + ((nodelay == 0) ? rxRto >> 3 : 0));
		int capped = 0;
		while ((nodelay == 2) ? gaps.size() < 15 : capped < 2) {
			if (nodelay == 0) {
				rto += Math.max(rto, rxRto);
			}
			else if (nodelay == 1) {
				rto += rto / 2;
			}
			else {
				rto += rxRto / 2;
			}
			rto = Math.min(rto, Kcp.RTO_MAX);
			capped += (rto == Kcp.RTO_MAX) ? 1 : 0;
			gaps.add(rto);
		}
		return gaps;
	}

	@Test
	void fastResendRecoversOneLostSegmentLongBeforeItsTimeout() {
		FastResendRun run = new FastResendRun(1, Kcp.DEFAULT_FAST_LIMIT);

		run.run();

		Transmission first = run.transmissions.get(0);
		Transmission retransmission = run.transmissions.get(1);
		assertThat(retransmission.fast()).isTrue();
		// The resend follows the second duplicate acknowledgement (resend = 2): at once (the tuned engine asks for an
		// update as soon as a retransmission is due), at the latest at the sender's next flush tick.
		assertThat(run.duplicateAcks).hasSizeGreaterThanOrEqualTo(FastResendRun.RESEND);
		long secondDuplicateArrival = run.duplicateAcks.get(FastResendRun.RESEND - 1) + FastResendRun.DELAY;
		assertThat(retransmission.elapsed() - secondDuplicateArrival).isBetween(0L, (long) INTERVAL);
		long gap = retransmission.elapsed() - first.elapsed();
		// nodelay 0: the first timeout is rto + rto/8 after the first transmission.
		int timeout = run.rtoAtFirstTransmission + (run.rtoAtFirstTransmission >> 3);
		assertThat(gap).as("fast resend after %d ms, timeout would have been %d ms", gap, timeout)
			.isLessThan(timeout / 2);
		// As in ikcp, duplicate acknowledgements that keep coming until the resent copy is acknowledged may
		// trigger further fast resends, within the fast limit; but the segment never waits for its timeout.
		assertThat(run.transmissions).hasSizeLessThanOrEqualTo(1 + Kcp.DEFAULT_FAST_LIMIT)
			.allMatch((transmission) -> !transmission.timeout());
		assertThat(run.sending.fastRetransmissions()).isEqualTo(run.transmissions.size() - 1);
		assertThat(run.sending.timeoutRetransmissions()).isZero();
	}

	@Test
	void fastResendOfASegmentStopsAtTheFastLimit() {
		int fastLimit = 3;
		FastResendRun run = new FastResendRun(6, fastLimit);

		run.run();

		List<Transmission> transmissions = run.transmissions;
		assertThat(transmissions).hasSize(7);
		int fast = 0;
		int probes = 0;
		for (int i = 1; i < transmissions.size(); i++) {
			Transmission transmission = transmissions.get(i);
			assertThat((transmission.fast() ? 1 : 0) + (transmission.timeout() ? 1 : 0) + (transmission.probe() ? 1 : 0))
				.as("transmission %d is one of fast, timeout or tail probe", i + 1)
				.isEqualTo(1);
			if (transmission.probe()) {
				// The tuned engine's tail probe (the burst was the last data): it leaves the segment's timer alone.
				probes++;
			}
			else if (transmission.fast()) {
				fast++;
				// ikcp resends early only a segment sent at most fastLimit times so far.
				assertThat(i).as("transmissions before fast retransmission %d", fast).isLessThanOrEqualTo(fastLimit);
			}
			else if (!transmissions.get(i - 1).probe()) {
				assertThat(transmission.elapsed() - transmissions.get(i - 1).elapsed()).as("timeout gap")
					.isGreaterThanOrEqualTo(run.sending.minRto());
			}
		}
		assertThat(fast).isBetween(1, fastLimit);
		assertThat(probes).isLessThanOrEqualTo(1);
		assertThat(transmissions.get(transmissions.size() - 1).timeout()).isTrue();
		assertThat(run.sending.fastRetransmissions()).isEqualTo(fast);
		assertThat(run.sending.tailProbes()).isEqualTo(probes);
		assertThat(run.sending.timeoutRetransmissions()).isEqualTo(transmissions.size() - 1 - fast - probes);
	}

	@Test
	void timeoutHalvesTheWindowInUseLikeIkcp() {
		SimulatedLink link = new SimulatedLink(10, 0);
		link.impairBoth((settings) -> settings.delay(20, 0));
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			kcp.setNoDelay(0, INTERVAL, 0, false);
			kcp.setWindowSize(32, 128);
		}
		Sender sender = new Sender(sending, 6, Long.MAX_VALUE, 4096, 64);
		Receiver receiver = new Receiver(receiving, 6, Long.MAX_VALUE, 4096, true);
		// The congestion window grows up to the remote window (128), past the send window (32) that caps sending.
		link.runUntil("congestion window above the send window", 600_000, 1_000_000,
				() -> sending.congestionWindow() >= 64, (now) -> {
					sender.pump();
					receiver.drain();
				});
		assertThat(sending.remoteWindow()).isGreaterThan(64);

		link.cut();
		long timeouts = sending.timeoutRetransmissions();
		link.runUntil("a timeout", 10_000, 10_000, () -> sending.timeoutRetransmissions() > timeouts, (now) -> {
		});

		// ikcp.c: ssthresh = cwnd / 2 where cwnd is the window flush used, min(snd_wnd, rmt_wnd, kcp->cwnd).
		assertThat(sending.slowStartThreshold()).isEqualTo(32 / 2);
		assertThat(sending.congestionWindow()).isEqualTo(1);
	}

	/** Exchanges a few messages so that the RTT estimate has settled, and waits until all are acknowledged. */
	private static void warmUp(SimulatedLink link) {
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		int[] sent = new int[1];
		link.runUntil("warm-up", 10_000, 100_000, () -> sent[0] == 20 && sending.waitSnd() == 0, (now) -> {
			if (sent[0] < 20 && link.elapsed() >= 50L * sent[0]) {
				sending.send(new byte[100]);
				sent[0]++;
			}
			while (receiving.receive() != null) {
				// Discard: only the timing matters here.
			}
		});
		link.advance(100, (now) -> {
		});
	}

	/** One transmission of the watched segment, and what kind of retransmission it was. */
	record Transmission(long elapsed, boolean fast, boolean timeout, boolean probe) {
	}

	/**
	 * A paced stream of one-segment messages in which the network drops the first {@code drops} transmissions of
	 * one chosen segment, so that the segments after it bring duplicate acknowledgements.
	 */
	private static final class FastResendRun {

		static final int RESEND = 2;

		static final int DELAY = 10;

		private static final int MESSAGES = 90;

		final SimulatedLink link = new SimulatedLink(12, 0);

		final Kcp sending = this.link.left().kcp();

		final Kcp receiving = this.link.right().kcp();

		final List<Transmission> transmissions = new ArrayList<>();

		/** When the receiver sent acknowledgements of segments after the watched one, before its first resend. */
		final List<Long> duplicateAcks = new ArrayList<>();

		int rtoAtFirstTransmission;

		private final int drops;

		FastResendRun(int drops, int fastLimit) {
			this.drops = drops;
			// Every data datagram is acknowledged at once, in its own datagram: each counts as a duplicate ACK.
			this.link.afterInput(AfterInput.FLUSH_ACKS);
			this.link.impairBoth((settings) -> settings.delay(DELAY, 0));
			for (Kcp kcp : new Kcp[] { this.sending, this.receiving }) {
				// nodelay 0 keeps the RTO at 100 ms or more, well above what fast resend needs on a 20 ms RTT.
				kcp.setNoDelay(0, INTERVAL, RESEND, true);
				kcp.setFastLimit(fastLimit);
			}
		}

		void run() {
			warmUp(this.link);
			int mss = this.sending.mss();
			// The first of a burst of three: the other two bring two duplicate acknowledgements at once.
			int watched = this.sending.sendNext() + 3;
			int[] dropped = new int[1];
			long[] counters = new long[3];
			this.link.tap((from, now, data, length) -> {
				if (from == this.link.left() && containsPush(data, length, watched)) {
					if (this.transmissions.isEmpty()) {
						this.rtoAtFirstTransmission = this.sending.rto();
					}
					// Only the watched segment is ever lost, so any retransmission counted now is its own.
					long fast = this.sending.fastRetransmissions();
					long timeout = this.sending.timeoutRetransmissions();
					long probe = this.sending.tailProbes();
					this.transmissions.add(new Transmission(this.link.elapsed(), fast > counters[0],
							timeout > counters[1], probe > counters[2]));
					counters[0] = fast;
					counters[1] = timeout;
					counters[2] = probe;
				}
				else if (from == this.link.right() && this.transmissions.size() == 1
						&& containsAckAfter(data, length, watched)) {
					this.duplicateAcks.add(this.link.elapsed());
				}
			});
			this.link.filter((from, now, data, length) -> {
				if (from == this.link.left() && dropped[0] < this.drops && containsPush(data, length, watched)) {
					dropped[0]++;
					return true;
				}
				return false;
			});
			Content sent = new Content(77);
			Content expected = new Content(77);
			byte[] message = new byte[mss];
			byte[] buffer = new byte[mss];
			int[] counts = new int[2];
			long start = this.link.elapsed();
			this.link.runUntil("all messages delivered", 60_000, 200_000,
					() -> counts[1] == MESSAGES && this.sending.waitSnd() == 0, (now) -> {
						// Three full segments every 10 ms, each in a datagram of its own.
						while (counts[0] < MESSAGES && this.link.elapsed() - start >= 10L * (counts[0] / 3)) {
							sent.fill(message, 0, mss);
							this.sending.send(message);
							counts[0]++;
						}
						int size;
						while ((size = this.receiving.receive(buffer, 0, buffer.length)) >= 0) {
							assertThat(size).isEqualTo(mss);
							expected.verify(buffer, 0, size);
							counts[1]++;
						}
					});
			assertThat(dropped[0]).isEqualTo(this.drops);
		}

		private static boolean containsAckAfter(byte[] data, int length, int sn) {
			for (WireSegment segment : SimulatedLink.segments(data, length)) {
				if (segment.cmd() == KcpCodec.CMD_ACK && segment.sn() - sn > 0) {
					return true;
				}
			}
			return false;
		}

		private static boolean containsPush(byte[] data, int length, int sn) {
			for (WireSegment segment : SimulatedLink.segments(data, length)) {
				if (segment.cmd() == KcpCodec.CMD_PUSH && segment.sn() == sn) {
					return true;
				}
			}
			return false;
		}

	}

}
