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
 * The initiator (a client; both ends of a pair) marks its first datagram that has room, then one datagram every
 * {@value #OFFER_INTERVAL} ms, at most {@value #MAX_OFFERS} in all, until it sees the peer's mark (so a burst of
 * datagrams does not spend every offer before the peer could answer, and a lost answer is asked for again). Either
 * end owes an answer for each offer it receives: it marks its next {@value #ANSWERS} datagrams. A responder (a
 * server's connection) marks nothing else, so a peer that does not offer never sees a mark. Offers are looked for
 * until the peer is known to understand and has sent {@value #QUIET} datagrams without one since. A peer that sends
 * a close signal understands it too.
 */
final class CloseSignalOffer {

	/** The fragment number marking an offer (standard ends send 0 on a window announcement). */
	static final int MARK_FRG = KcpCodec.CLOSE_OFFER_FRG;

	/** The sequence number marking an offer ("KCPC" in ASCII on the wire). */
	static final int MARK_SN = KcpCodec.CLOSE_OFFER_SN;

	/** The most datagrams an initiator marks. */
	static final int MAX_OFFERS = 8;

	/** The least time between two offers of an initiator, in milliseconds. */
	static final int OFFER_INTERVAL = 50;

	/** How many datagrams answer one offer. */
	static final int ANSWERS = 2;

	/** Unmarked datagrams after which a peer known to understand is no longer looked at for offers. */
	static final int QUIET = 64;

	private boolean initiator = true;

	private boolean peerUnderstands;

	private int answersOwed;

	private int offersSent;

	private long lastOfferAt;

	private int quiet;

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
		if (this.peerUnderstands && this.quiet >= QUIET) {
			return;
		}
		if (isMarked(data, offset, length)) {
			this.peerUnderstands = true;
			this.answersOwed = ANSWERS;
			this.quiet = 0;
		}
		else if (this.peerUnderstands) {
			this.quiet++;
		}
	}

	/**
	 * Appends the mark to a datagram of the engine when this end owes an answer or, as the initiator, offers now, and
	 * the datagram has room for it.
	 * @param buffer the datagram from index 0, with room after it
	 * @param length its length
	 * @param mtu the largest datagram allowed
	 * @param now the current time in milliseconds
	 * @return the datagram's new length
	 */
	int offer(byte[] buffer, int length, int mtu, long now) {
		boolean offering = this.initiator && !this.peerUnderstands && this.offersSent < MAX_OFFERS
				&& (this.offersSent == 0 || now - this.lastOfferAt >= OFFER_INTERVAL);
		if (!offering && this.answersOwed == 0) {
			return length;
		}
		int marked = KcpCodec.appendMark(buffer, length, mtu, MARK_SN, KcpCodec.readInt(buffer, 8));
		if (marked == length) {
			return length;
		}
		if (this.answersOwed > 0) {
			this.answersOwed--;
		}
		if (offering) {
			this.offersSent++;
			this.lastOfferAt = now;
		}
		return marked;
	}

	/** Whether a datagram carries an offer (a marked window announcement among well-formed segments). */
	static boolean isMarked(byte[] data, int offset, int length) {
		return KcpCodec.findMark(data, offset, length, MARK_SN) >= 0;
	}

	@Override
	public String toString() {
		return "CloseSignalOffer{" + (this.initiator ? "initiator" : "responder") + ", peerUnderstands="
				+ this.peerUnderstands + "}";
	}

}
