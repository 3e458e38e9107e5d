package io.github.kcp.core.connection;

import io.github.kcp.core.protocol.KcpCodec;

/**
 * The anti-amplification limit of QUIC (RFC 9000, section 8.1) for a server's connection to a peer it has not
 * validated: it sends the peer at most {@code factor} times the bytes it received from it, so that a forged source
 * address turns a small datagram into at most a few times as many bytes towards the victim (before, one spoofed
 * datagram to an echo server drew an acknowledgement and eleven retransmitted echoes: 12.5 times its size). Once the
 * peer proves that it receives our datagrams, the limit is {@link #lift() lifted}.
 * <p>
 * A datagram that does not fit is cut after the last whole segment that does (the engine packs acknowledgements
 * first, so they go before data), or withheld whole; the engine takes what was cut as lost and sends it again later,
 * when the peer has sent more or proved itself. Sizes are on the wire: the packet stage's overhead counts.
 */
final class AmplificationLimit {

	private final int factor;

	private long received;

	private long sent;

	private boolean lifted;

	/**
	 * @param factor how many times the bytes received may be sent, at least 1
	 */
	AmplificationLimit(int factor) {
		if (factor < 1) {
			throw new IllegalArgumentException("The amplification factor must be positive but was " + factor);
		}
		this.factor = factor;
	}

	/** A datagram of {@code wireBytes} arrived from the peer. */
	void received(int wireBytes) {
		this.received += wireBytes;
	}

	/** A datagram of {@code wireBytes} went to the peer. */
	void sent(int wireBytes) {
		this.sent += wireBytes;
	}

	/** The peer is proven: no limit from now on. */
	void lift() {
		this.lifted = true;
	}

	/** Whether the limit no longer applies. */
	boolean isLifted() {
		return this.lifted;
	}

	/**
	 * How much of a datagram may go now: all of it, the segments at its start that fit, or nothing.
	 * @param datagram a plaintext datagram of whole segments from index 0
	 * @param length its length
	 * @param overhead what the packet stage adds to it on the wire
	 * @return the length to send: {@code length}, a shorter prefix ending on a segment boundary, or 0
	 */
	int permitted(byte[] datagram, int length, int overhead) {
		if (this.lifted) {
			return length;
		}
		long room = this.factor * this.received - this.sent - overhead;
		if (length <= room) {
			return length;
		}
		int fits = 0;
		int position = 0;
		while (length - position >= KcpCodec.OVERHEAD) {
			int end = position + KcpCodec.OVERHEAD + KcpCodec.readInt(datagram, position + 20);
			if (end > length || end > room) {
				break;
			}
			fits = end;
			position = end;
		}
		return fits;
	}

	/** The bytes received from the peer while limited. */
	long received() {
		return this.received;
	}

	/** The bytes sent to the peer. */
	long sent() {
		return this.sent;
	}

	@Override
	public String toString() {
		return "AmplificationLimit{factor=" + this.factor + ", received=" + this.received + ", sent=" + this.sent
				+ (this.lifted ? ", lifted" : "") + "}";
	}

}
