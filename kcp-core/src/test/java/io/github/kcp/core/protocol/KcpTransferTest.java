package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.List;

import io.github.kcp.core.protocol.SimulatedLink.AfterInput;
import io.github.kcp.core.protocol.SimulatedLink.Receiver;
import io.github.kcp.core.protocol.SimulatedLink.Sender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Large transfers between two engines over a {@link SimulatedLink}, verified byte for byte: message mode (every
 * message arrives whole and with its own size) and stream mode (the concatenation is the sent stream), over a
 * perfect link and over links losing 10% and 30% of the datagrams each way, with the latency settings most
 * applications use ("fast": nodelay 1, interval 10, resend 2, no congestion window) and ikcp's defaults with a
 * 10 ms interval ("default", as ikcp's test.cpp names it: nodelay 0, resend 0, congestion window on).
 */
class KcpTransferTest {

	private static final long TEN_MB = 10L * 1024 * 1024;

	private static final int MAX_MESSAGE = 20 * 1024;

	private static final int MAX_STREAM_WRITE = 8 * 1024;

	enum Mode {

		MESSAGE, STREAM

	}

	enum Profile {

		FAST(1, 10, 2, true), DEFAULT(0, 10, 0, false);

		final int nodelay;

		final int interval;

		final int resend;

		final boolean noCongestionControl;

		Profile(int nodelay, int interval, int resend, boolean noCongestionControl) {
			this.nodelay = nodelay;
			this.interval = interval;
			this.resend = resend;
			this.noCongestionControl = noCongestionControl;
		}

		void apply(Kcp kcp, int window) {
			kcp.setNoDelay(this.nodelay, this.interval, this.resend, this.noCongestionControl);
			kcp.setWindowSize(window, window);
		}

	}

	static List<Arguments> transfers() {
		List<Arguments> cases = new ArrayList<>();
		for (double loss : new double[] { 0, 0.10, 0.30 }) {
			for (Mode mode : Mode.values()) {
				// Both window sizes of the fast profile get every loss rate: 1024 with messages, 256 with a stream.
				cases.add(Arguments.of(mode, loss, Profile.FAST, (mode == Mode.MESSAGE) ? 1024 : 256));
				cases.add(Arguments.of(mode, loss, Profile.DEFAULT, 128));
			}
		}
		return cases;
	}

	@ParameterizedTest(name = "{0} mode, loss {1}, {2}, window {3}")
	@MethodSource("transfers")
	void transfersTenMegabytesIntact(Mode mode, double loss, Profile profile, int window) {
		long seed = 31L * mode.ordinal() + 7L * profile.ordinal() + (long) (loss * 100);
		SimulatedLink link = new SimulatedLink(seed, 0);
		if (loss > 0) {
			link.impairBoth((settings) -> settings.loss(loss).delay(15, 10).reorder(0.05, 40).duplicate(0.02));
		}
		else {
			link.impairBoth((settings) -> settings.delay(15, 0));
		}
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			profile.apply(kcp, window);
			kcp.setStream(mode == Mode.STREAM);
		}
		int maxWrite = (mode == Mode.MESSAGE) ? MAX_MESSAGE : MAX_STREAM_WRITE;
		assertThat(maxWrite).isLessThanOrEqualTo(sending.maxMessageSize());
		Sender sender = new Sender(sending, seed, TEN_MB, maxWrite, 2 * window);
		Receiver receiver = new Receiver(receiving, seed, TEN_MB, maxWrite, mode == Mode.MESSAGE);

		long took = link.runUntil("10 MB delivered and acknowledged", 3_600_000, 5_000_000,
				() -> receiver.complete() && sending.waitSnd() == 0, (now) -> {
					sender.pump();
					receiver.drain();
				});

		assertThat(sender.handedOver()).isTrue();
		assertThat(receiver.receivedBytes()).isEqualTo(TEN_MB);
		if (mode == Mode.MESSAGE) {
			assertThat(receiver.reads()).isEqualTo(sender.writes());
		}
		assertThat(receiving.peekSize()).isEqualTo(-1);
		// Nothing left over: every duplicate was discarded rather than stored, every segment released.
		assertThat(receiving.receiveQueueSize()).isZero();
		assertThat(receiving.receiveBufferSize()).isZero();
		assertThat(sending.inFlight()).isZero();
		assertThat(receiving.receiveNext()).isEqualTo(sending.sendNext());
		if (loss > 0) {
			assertThat(sending.timeoutRetransmissions() + sending.fastRetransmissions()).isPositive();
			// Duplicated and needlessly retransmitted segments were recognised and dropped, not delivered twice.
			assertThat(receiving.duplicateSegments()).isPositive();
		}
		else {
			assertThat(sending.timeoutRetransmissions() + sending.fastRetransmissions()).isZero();
		}
		System.out.printf("transfer %s loss %.0f%% %s/%d: 10 MB in %.1f s virtual, %d datagrams, %d+%d resent%n",
				mode, loss * 100, profile, window, took / 1000.0, link.left().sent(),
				sending.timeoutRetransmissions(), sending.fastRetransmissions());
	}

	@Test
	void transfersBothWaysAtOnceOverACongestedLink() {
		long total = 2L * 1024 * 1024;
		SimulatedLink link = new SimulatedLink(99, 0).afterInput(AfterInput.FLUSH);
		// 2 MB/s each way with a 64 KB router queue: the windows overrun it, so drops come from congestion too.
		link.impairBoth((settings) -> settings.loss(0.05)
			.delay(20, 10)
			.reorder(0.05, 30)
			.duplicate(0.01)
			.bandwidth(2000, 64 * 1024));
		Kcp left = link.left().kcp();
		Kcp right = link.right().kcp();
		for (Kcp kcp : new Kcp[] { left, right }) {
			Profile.FAST.apply(kcp, 256);
		}
		Sender leftSender = new Sender(left, 1, total, MAX_MESSAGE, 512);
		Receiver rightReceiver = new Receiver(right, 1, total, MAX_MESSAGE, true);
		Sender rightSender = new Sender(right, 2, total, MAX_MESSAGE, 512);
		Receiver leftReceiver = new Receiver(left, 2, total, MAX_MESSAGE, true);

		link.runUntil("2 MB delivered each way", 600_000, 2_000_000, () -> rightReceiver.complete()
				&& leftReceiver.complete() && left.waitSnd() == 0 && right.waitSnd() == 0, (now) -> {
					leftSender.pump();
					rightSender.pump();
					rightReceiver.drain();
					leftReceiver.drain();
				});

		assertThat(rightReceiver.reads()).isEqualTo(leftSender.writes());
		assertThat(leftReceiver.reads()).isEqualTo(rightSender.writes());
		assertThat(link.left().overflowed() + link.right().overflowed()).as("datagrams dropped by the full queue")
			.isPositive();
	}

}
