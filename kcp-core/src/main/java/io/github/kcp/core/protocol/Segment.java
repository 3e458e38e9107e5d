package io.github.kcp.core.protocol;

/**
 * One KCP segment: the 24-byte header fields plus the sender-side retransmission state and the payload.
 * Mutable and pooled by {@link Kcp} so that a steady transfer allocates nothing per segment.
 */
final class Segment {

	int conv;

	int cmd;

	int frg;

	int wnd;

	int ts;

	int sn;

	int una;

	/** Payload length; the first {@code len} bytes of {@link #data} are the payload. */
	int len;

	/** Time (ms, wrapping) at which this segment is due for retransmission. */
	int resendts;

	/** Retransmission timeout of this segment, grown by backoff on each timeout. */
	int rto;

	/** Number of acknowledgements seen for later segments since this one was last sent. */
	int fastack;

	/** Number of times this segment has been transmitted. */
	int xmit;

	/** The bytes reserved from the receive budget while this received segment waits in rcv_buf; 0 if none. */
	int parkedCharge;

	byte[] data;

	Segment(int capacity) {
		this.data = new byte[capacity];
	}

	/** Makes room for {@code capacity} payload bytes, keeping the first {@code len} bytes. */
	void ensureCapacity(int capacity) {
		if (this.data.length < capacity) {
			byte[] larger = new byte[capacity];
			System.arraycopy(this.data, 0, larger, 0, this.len);
			this.data = larger;
		}
	}

}
