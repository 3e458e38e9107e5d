package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.github.kcp.core.protocol.SimulatedLink.WireSegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fast retransmission, one acknowledgement at a time: the test plays the receiver by hand, so that it controls
 * exactly how many duplicate acknowledgements the sender sees and when. A segment is resent early once
 * {@code resend} acknowledgements of later segments have arrived, never earlier, and at most {@code fastLimit}
 * times; an acknowledgement of data sent before the segment's latest copy does not count (ikcp's
 * IKCP_FASTACK_CONSERVE).
 */
class KcpFastResendTest {

	private static final int CONV = 0x0badcafe;

	/** Every datagram the sender emitted, copied. */
	private final List<byte[]> wire = new ArrayList<>();

	private final Kcp sender = new Kcp(CONV, (data, length) -> this.wire.add(Arrays.copyOf(data, length)));

	{
		// ikcp's fast resend alone: the tuned mode would resend early after the first duplicate acknowledgement.
		this.sender.setMode(EngineMode.IKCP);
	}

	/**
	 * The lost segment is sn 0; at each millisecond i = 1, 2, ... the sender sends segment i and receives the
	 * acknowledgement of it, one more duplicate acknowledgement for sn 0. Everything happens within 40 ms, far
	 * below the 200 ms timeout, so every retransmission is a fast one.
	 */
	@ParameterizedTest(name = "resend {0}, fast limit {1}")
	@CsvSource({ "1, 5", "2, 5", "3, 5", "2, 1", "2, 3", "3, 0" })
	void segmentIsResentAfterResendDuplicateAcksAndAtMostFastLimitTimes(int resend, int fastLimit) {
		this.sender.setNoDelay(0, 10, resend, true);
		this.sender.setFastLimit(fastLimit);
		// Room for all 41 segments while sn 0 holds the window back.
		this.sender.setWindowSize(64, 128);
		this.sender.send(new byte[] { 0 });
		this.sender.flush(0);
		assertThat(transmissionsOf(0)).isEqualTo(1);
		assertThat(this.sender.rto()).isEqualTo(Kcp.RTO_DEFAULT);

		int acks = 40;
		for (int now = 1; now <= acks; now++) {
			this.sender.send(new byte[] { (byte) now });
			this.sender.flush(now);
			acknowledge(now, now, now);
			this.sender.flush(now);

			// After n duplicate acknowledgements, n / resend fast retransmissions, up to the limit (0: no limit).
			int expectedFast = (fastLimit > 0) ? Math.min(now / resend, fastLimit) : now / resend;
			assertThat(transmissionsOf(0)).as("transmissions of sn 0 after %d duplicate acknowledgements", now)
				.isEqualTo(1 + expectedFast);
		}
		assertThat(this.sender.fastRetransmissions()).isEqualTo(transmissionsOf(0) - 1);
		assertThat(this.sender.timeoutRetransmissions()).isZero();
		assertThat(this.sender.inFlight()).as("only sn 0 is still unacknowledged").isEqualTo(1);

		// A segment past its fast limit is not abandoned: its timeout still resends it.
		int before = transmissionsOf(0);
		for (int now = acks + 1; now <= 1000 && this.sender.timeoutRetransmissions() == 0; now++) {
			this.sender.update(now);
		}
		assertThat(this.sender.timeoutRetransmissions()).isEqualTo(1);
		assertThat(transmissionsOf(0)).isEqualTo(before + 1);
	}

	@Test
	void acknowledgementOfDataOlderThanTheLatestCopyDoesNotCount() {
		this.sender.setNoDelay(0, 10, 2, true);
		for (int sn = 0; sn < 6; sn++) {
			this.sender.send(new byte[] { (byte) sn });
		}
		this.sender.flush(0);
		assertThat(transmissionsOf(0)).isEqualTo(1);

		// Two later segments acknowledged: sn 0 is resent at 2 ms.
		acknowledge(1, 0, 1);
		this.sender.flush(1);
		acknowledge(2, 0, 2);
		this.sender.flush(2);
		assertThat(transmissionsOf(0)).isEqualTo(2);
		// ikcp_flush after a fast resend: ssthresh = (snd_nxt - snd_una) / 2 = 6 / 2, cwnd = ssthresh + resend.
		assertThat(this.sender.slowStartThreshold()).isEqualTo(3);
		assertThat(this.sender.congestionWindow()).isEqualTo(3 + 2);

		// Three more acknowledgements, but of segments sent at 0 ms, before the copy of 2 ms: none counts.
		for (int sn = 3; sn < 6; sn++) {
			acknowledge(sn, 0, sn);
			this.sender.flush(sn);
		}
		assertThat(transmissionsOf(0)).as("no resend for acknowledgements older than the copy").isEqualTo(2);

		// Acknowledgements of segments sent after the copy count again.
		this.sender.send(new byte[] { 6 });
		this.sender.send(new byte[] { 7 });
		this.sender.flush(6);
		acknowledge(6, 6, 7);
		this.sender.flush(7);
		acknowledge(7, 6, 8);
		this.sender.flush(8);
		assertThat(transmissionsOf(0)).isEqualTo(3);
		assertThat(this.sender.fastRetransmissions()).isEqualTo(2);
	}

	@Test
	void acknowledgementsBeforeAShortTailStillCount() {
		this.sender.setNoDelay(0, 10, 1, true);
		this.sender.send(new byte[] { 0 });
		this.sender.send(new byte[] { 1 });
		this.sender.flush(0);

		byte[] datagram = new byte[KcpCodec.OVERHEAD + 10];
		KcpCodec.writeHeader(datagram, 0, CONV, KcpCodec.CMD_ACK, 0, 128, 0, 1, 0, 0);
		assertThat(this.sender.input(datagram, 0, datagram.length, 5)).isEqualTo(InputResult.TRUNCATED);
		this.sender.flush(5);

		assertThat(this.sender.inputErrors(InputResult.TRUNCATED)).isEqualTo(1);
		assertThat(this.sender.inFlight()).as("sn 1 acknowledged").isEqualTo(1);
		assertThat(transmissionsOf(0)).as("the acknowledgement of sn 1 counted for sn 0").isEqualTo(2);
	}

	/** Feeds the sender one datagram acknowledging {@code sn}, which it sent at {@code ts}; sn 0 stays missing. */
	private void acknowledge(int sn, int ts, int now) {
		byte[] ack = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeHeader(ack, 0, CONV, KcpCodec.CMD_ACK, 0, 128, ts, sn, 0, 0);
		assertThat(this.sender.input(ack, 0, ack.length, now)).isEqualTo(InputResult.OK);
	}

	private int transmissionsOf(int sn) {
		int count = 0;
		for (byte[] datagram : this.wire) {
			for (WireSegment segment : SimulatedLink.segments(datagram, datagram.length)) {
				if (segment.cmd() == KcpCodec.CMD_PUSH && segment.sn() == sn) {
					count++;
				}
			}
		}
		return count;
	}

}
