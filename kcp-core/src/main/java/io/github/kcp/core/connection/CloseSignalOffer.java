package io.github.kcp.core.connection;

import io.github.kcp.core.protocol.KcpCodec;

/**
 * How two ends learn that both understand the close signal ({@link KcpCodec#CMD_CLOSE}), so that it is sent only to
 * a peer that understands it: standard peers do not know the command and complain about each one (aiokcp logs a
 * {@code KCPException: -3} traceback, kcp-netty a "Mismatch cmd" warning).
 * <p>
 * The offer is a window announcement (WINS, a standard command) appended to a datagram of the engine, copying the
 * window and cumulative acknowledgement of the datagram's first segment — so it tells a standard peer exactly what
 * the datagram told it already — and marked in two fields standard peers ignore on a window announcement and always
 * send as zero or an acknowledgement's copy: {@code frg} = {@value #MARK_FRG} and {@code sn} = {@value #MARK_SN}.
 * <p>
 * The initiator (a client; both ends of a pair) marks its first datagrams, at most {@value #MAX_OFFERS}, until it
 * sees the peer's mark. Either end marks a datagram while the peer's latest datagram was marked (the peer still waits
 * for an answer), among the peer's first {@value #WATCH} datagrams; a responder (a server's connection) marks
 * nothing else, so a peer that does not offer never sees a mark. A peer that sends a close signal understands it too.
 */
final class CloseSignalOffer {

	/** The fragment number marking an offer (standard ends send 0 on a window announcement). */
	static final int MARK_FRG = KcpCodec.CLOSE_OFFER_FRG;

	/** The sequence number marking an offer ("KCPC" in ASCII on the wire). */
	static final int MARK_SN = KcpCodec.CLOSE_OFFER_SN;

	/** The most datagrams an initiator marks. */
	static final int MAX_OFFERS = 8;

	/** How many received datagrams are looked at for offers. */
	static final int WATCH = 64;

	private boolean initiator = true;

	private boolean peerUnderstands;

	private boolean lastReceivedMarked;

	private int offersSent;

	private int watched;

	/** Makes this end a responder: it offers only in answer to the peer's offers. */
	void respondOnly() {
		this.initiator = false;
	}

	/** Whether the peer is known to understand the close signal. */
	boolean peerUnderstands() {
		return this.peerUnderstands;
	}

	/** The peer sent a close signal (or its confirmation): it understands them. */
	void peerSignalled() {
		this.peerUnderstands = true;
	}

	/** Looks at a received plaintext datagram for the peer's offer. */
	void received(byte[] data, int offset, int length) {
		if (this.watched >= WATCH) {
			// Offers are answered only among the peer's first datagrams.
			this.lastReceivedMarked = false;
			return;
		}
		this.watched++;
		boolean marked = isMarked(data, offset, length);
		this.peerUnderstands |= marked;
		this.lastReceivedMarked = marked;
	}

	/**
	 * Appends the offer to a datagram of the engine when this end offers now and the datagram has room for it.
	 * @param buffer the datagram from index 0, with room after it
	 * @param length its length
	 * @param mtu the largest datagram allowed
	 * @return the datagram's new length
	 */
	int offer(byte[] buffer, int length, int mtu) {
		// Answer the peer's offer (it still waits for ours), or, as the initiator, offer first.
		boolean offering = this.lastReceivedMarked
				|| (this.initiator && !this.peerUnderstands && this.offersSent < MAX_OFFERS);
		if (!offering || length < KcpCodec.OVERHEAD || length + KcpCodec.OVERHEAD > Math.min(mtu, buffer.length)) {
			return length;
		}
		KcpCodec.writeHeader(buffer, length, KcpCodec.readInt(buffer, 0), KcpCodec.CMD_WINS, MARK_FRG,
				KcpCodec.readShort(buffer, 6), KcpCodec.readInt(buffer, 8), MARK_SN, KcpCodec.readInt(buffer, 16), 0);
		if (this.initiator) {
			this.offersSent++;
		}
		return length + KcpCodec.OVERHEAD;
	}

	/** Whether a datagram carries an offer (a marked window announcement among well-formed segments). */
	static boolean isMarked(byte[] data, int offset, int length) {
		int position = offset;
		int end = offset + length;
		while (end - position >= KcpCodec.OVERHEAD) {
			int len = KcpCodec.readInt(data, position + 20);
			if (len < 0 || len > end - position - KcpCodec.OVERHEAD) {
				return false;
			}
			if ((data[position + 4] & 0xff) == KcpCodec.CMD_WINS && (data[position + 5] & 0xff) == MARK_FRG
					&& KcpCodec.readInt(data, position + 12) == MARK_SN) {
				return true;
			}
			position += KcpCodec.OVERHEAD + len;
		}
		return false;
	}

	@Override
	public String toString() {
		return "CloseSignalOffer{" + (this.initiator ? "initiator" : "responder") + ", peerUnderstands="
				+ this.peerUnderstands + "}";
	}

}
