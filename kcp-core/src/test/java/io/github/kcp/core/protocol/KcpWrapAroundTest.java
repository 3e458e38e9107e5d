package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.List;

import io.github.kcp.core.protocol.SimulatedLink.Receiver;
import io.github.kcp.core.protocol.SimulatedLink.Sender;
import io.github.kcp.core.protocol.SimulatedLink.WireSegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sequence numbers and timestamps are unsigned 32-bit values kept in {@code int}s: a transfer whose sn starts just
 * below 2^32 on a clock that also passes 2^32 mid-transfer must behave exactly like any other, with no stall, no
 * corruption and no absurd RTT sample. The same runs just below 2^31, where an {@code int} turns negative, catch
 * the other way to get it wrong (comparing with {@code <} instead of by the sign of the difference).
 */
class KcpWrapAroundTest {

	/** 256 sequence numbers, and 2 s of the clock, before the boundary. */
	private static final int BEFORE_BOUNDARY_SN = -256;

	private static final int BEFORE_BOUNDARY_MS = -2000;

	private static final long TOTAL = 3L * 1024 * 1024;

	static List<Arguments> boundaries() {
		List<Arguments> cases = new ArrayList<>();
		for (int bits : new int[] { 32, 31 }) {
			cases.add(Arguments.of(bits, false, 1, 2, true));
			cases.add(Arguments.of(bits, true, 0, 0, false));
		}
		return cases;
	}

	@ParameterizedTest(name = "across 2^{0}, stream={1}, nodelay={2}")
	@MethodSource("boundaries")
	void transferCrossesTheSequenceAndClockWrap(int boundaryBits, boolean stream, int nodelay, int resend,
			boolean nc) {
		// 1 MB/s keeps 3 MB busy for more than 3 s, so that sn and clock pass the boundary with data in flight.
		int boundary = (int) (1L << boundaryBits);
		int initialSn = boundary + BEFORE_BOUNDARY_SN;
		SimulatedLink link = new SimulatedLink(2024, boundary + BEFORE_BOUNDARY_MS);
		link.impairBoth((settings) -> settings.loss(0.10).delay(20, 10).reorder(0.03, 30).bandwidth(1000, 0));
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			kcp.setNoDelay(nodelay, 10, resend, nc);
			kcp.setWindowSize(128, 128);
			kcp.setStream(stream);
			kcp.initialSequence(initialSn);
		}
		boolean[] ackedAcrossBoundary = new boolean[1];
		link.tap((from, now, data, length) -> {
			if (from == link.right() && now - boundary >= 0) {
				for (WireSegment segment : SimulatedLink.segments(data, length)) {
					// An acknowledgement echoing a timestamp from before the boundary, sent after it: its RTT sample
					// spans the boundary.
					if (segment.cmd() == KcpCodec.CMD_ACK && segment.ts() - boundary < 0) {
						ackedAcrossBoundary[0] = true;
					}
				}
			}
		});
		Sender sender = new Sender(sending, 11, TOTAL, 16 * 1024, 256);
		Receiver receiver = new Receiver(receiving, 11, TOTAL, 16 * 1024, !stream);
		boolean[] snStraddled = new boolean[1];
		int[] srttRange = { Integer.MAX_VALUE, Integer.MIN_VALUE };

		link.runUntil("3 MB across the wrap", 1_200_000, 2_000_000,
				() -> receiver.complete() && sending.waitSnd() == 0, (now) -> {
					sender.pump();
					receiver.drain();
					if (sending.sendUnacknowledged() - boundary < 0 && sending.sendNext() - boundary >= 0) {
						snStraddled[0] = true;
					}
					if (sending.srtt() != 0) {
						srttRange[0] = Math.min(srttRange[0], sending.srtt());
						srttRange[1] = Math.max(srttRange[1], sending.srtt());
					}
				});

		assertThat(receiver.receivedBytes()).isEqualTo(TOTAL);
		assertThat(link.now() - boundary).as("the clock passed the boundary during the run").isPositive();
		assertThat(ackedAcrossBoundary[0]).as("an RTT sample spanned the boundary").isTrue();
		assertThat(snStraddled[0]).as("segments in flight on both sides of the boundary").isTrue();
		assertThat(sending.sendNext() - boundary).as("sn passed the boundary by a little").isBetween(0, 10_000);
		assertThat(receiving.receiveNext()).isEqualTo(sending.sendNext());
		assertThat(sending.sendUnacknowledged()).isEqualTo(sending.sendNext());
		assertThat(srttRange[0]).as("smallest srtt").isPositive();
		assertThat(srttRange[1]).as("largest srtt").isLessThan(1000);
		assertThat(sending.rto()).isBetween(sending.minRto(), 2000);
		assertThat(sending.timeoutRetransmissions() + sending.fastRetransmissions()).isPositive();
	}

}
