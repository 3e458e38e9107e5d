package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.List;

import io.github.kcp.core.protocol.SimulatedLink.Receiver;
import io.github.kcp.core.protocol.SimulatedLink.Sender;
import io.github.kcp.core.protocol.SimulatedLink.WireSegment;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flow control when the receiving application stops reading: the receive queue fills, the receiver announces a
 * zero window, the sender stops sending data and probes the window (WASK) at growing intervals, each probe is
 * answered (WINS, still zero), and nothing is lost. When the application reads again the receiver announces the
 * reopened window by itself, without waiting for a probe, and the transfer completes byte for byte.
 */
class KcpZeroWindowTest {

	private static final long TOTAL = 1024 * 1024;

	private static final int INTERVAL = 10;

	/** ikcp's IKCP_PROBE_INIT: the first probe waits this long after the window closed. */
	private static final int PROBE_INIT = 7000;

	private static final long STALL = 40_000;

	@Test
	void senderProbesAClosedWindowAndResumesWhenTheReceiverReadsAgain() {
		SimulatedLink link = new SimulatedLink(5, 0);
		link.impairBoth((settings) -> settings.delay(20, 0));
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			kcp.setNoDelay(1, INTERVAL, 2, true);
			kcp.setWindowSize(64, 128);
		}
		List<Long> probes = new ArrayList<>();
		List<Long> windowTells = new ArrayList<>();
		List<Integer> toldWindows = new ArrayList<>();
		List<Long> pushes = new ArrayList<>();
		link.tap((from, now, data, length) -> {
			for (WireSegment segment : SimulatedLink.segments(data, length)) {
				if (from == link.left() && segment.cmd() == KcpCodec.CMD_WASK) {
					probes.add(link.elapsed());
				}
				else if (from == link.left() && segment.cmd() == KcpCodec.CMD_PUSH) {
					pushes.add(link.elapsed());
				}
				else if (from == link.right() && segment.cmd() == KcpCodec.CMD_WINS) {
					windowTells.add(link.elapsed());
					toldWindows.add(segment.wnd());
				}
			}
		});
		Sender sender = new Sender(sending, 3, TOTAL, 4096, 256);
		Receiver receiver = new Receiver(receiving, 3, TOTAL, 4096, true);

		// The application does not read: the receive queue fills and the window closes.
		link.runUntil("the window closed", 10_000, 100_000, () -> sending.remoteWindow() == 0, (now) -> sender.pump());
		long closedAt = link.elapsed();
		assertThat(receiving.receiveQueueSize()).isEqualTo(receiving.receiveWindow());

		// Stalled: the sender keeps offering data, but sends none; only probes cross the link.
		int stalledAt = sending.sendNext();
		link.advance(STALL, (now) -> {
			sender.pump();
			assertThat(sending.remoteWindow()).as("remote window while stalled").isZero();
		});
		assertThat(sending.sendNext()).as("no new segment while the window is closed").isEqualTo(stalledAt);
		assertThat(sending.inFlight()).as("everything sent is acknowledged and held by the receiver").isZero();
		assertThat(sending.waitSnd()).as("data still waiting to be sent").isPositive();
		assertThat(pushes).as("data segments sent long after the window closed")
			.noneMatch((time) -> time > closedAt + 1000);
		// ikcp probes PROBE_INIT after the window closed, then 1.5 times as long each time: 7 s, 10.5 s, 15.75 s.
		assertThat(probes).hasSize(3);
		assertThat(probes.get(0) - closedAt).isBetween((long) PROBE_INIT, (long) PROBE_INIT + 2 * INTERVAL);
		assertThat(probes.get(1) - probes.get(0)).isBetween(10_500L, 10_500L + INTERVAL);
		assertThat(probes.get(2) - probes.get(1)).isBetween(15_750L, 15_750L + INTERVAL);
		// Each probe is answered with the (still closed) window.
		assertThat(windowTells).hasSameSizeAs(probes);
		assertThat(toldWindows).containsOnly(0);
		assertThat(sending.timeoutRetransmissions() + sending.fastRetransmissions()).isZero();

		// The application reads again: the receiver tells the sender at its next flush, before any probe.
		long resumedAt = link.elapsed();
		int probesBefore = probes.size();
		int tellsBefore = windowTells.size();
		link.runUntil("1 MB delivered after the stall", 60_000, 200_000,
				() -> receiver.complete() && sending.waitSnd() == 0, (now) -> {
					sender.pump();
					receiver.drain();
				});

		assertThat(windowTells.size()).isGreaterThan(tellsBefore);
		assertThat(windowTells.get(tellsBefore) - resumedAt).as("delay of the unsolicited window update")
			.isBetween(0L, (long) INTERVAL);
		assertThat(toldWindows.get(tellsBefore)).isEqualTo(receiving.receiveWindow());
		assertThat(probes).as("no probe needed to resume").hasSize(probesBefore);
		assertThat(receiver.receivedBytes()).isEqualTo(TOTAL);
		assertThat(sending.remoteWindow()).isPositive();
	}

}
