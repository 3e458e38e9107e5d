package io.github.kcp.core.connection;

/**
 * When a {@link KcpConnection} flushes its engine: the pacing policy, kept apart so that it can be tested on a
 * virtual clock and tuned without touching the rest of the connection.
 * <p>
 * With eager flushing, a send or a burst of received datagrams asks for a flush at once, of one of two kinds:
 * <ul>
 * <li><b>Full</b>, when there is data to send (new data the windows let out, or a retransmission that is due): at
 * once if the last full flush was in an earlier millisecond or little is in flight, else one millisecond later. A
 * full flush walks the whole send window (up to thousands of segments), so doing one per received burst made a busy
 * sender fall behind its own acknowledgements; a flush over a few segments costs less than the wait, so the first
 * send after a quiet period, or an echo's reply, leaves at once.</li>
 * <li><b>Acknowledgements only</b>, otherwise. Those of data received in order leave at most once per
 * {@linkplain KcpConfig#ackDelay() ack delay}: the first at once, the next ones together when the delay since the
 * last has run (a bulk receiver sends one acknowledgement datagram per delay instead of one per read burst). Urgent
 * ones — data out of order or received again, a window probe — leave at once, so the sender learns of a loss without
 * waiting. A full flush carries every pending acknowledgement along.</li>
 * </ul>
 * Without eager flushing, the engine's own interval ticks do all the flushing.
 */
final class FlushPacing {

	/**
	 * Segments in flight up to which a full flush may follow another in the same millisecond: walking this few costs
	 * less than making the data wait a millisecond.
	 */
	static final int CHEAP_FLUSH_SEGMENTS = 32;

	/** What to flush now. */
	enum Flush {

		/** Everything: acknowledgements, probes, new data and retransmissions. */
		FULL,

		/** Only the acknowledgements (and window probes and answers). */
		ACKS,

		/** Nothing now; {@link #deadline()} says when. */
		NONE

	}

	private boolean eager;

	private long ackDelay;

	private long lastFullFlush;

	private long lastAckFlush;

	/** When a full flush put off by the once-per-millisecond rule is due, or {@code NO_DEADLINE}. */
	private long deferredFull = KcpConnection.NO_DEADLINE;

	/** When acknowledgements held back for coalescing are due, or {@code NO_DEADLINE}. */
	private long ackDeadline = KcpConnection.NO_DEADLINE;

	FlushPacing(boolean eager, long ackDelayMillis, long now) {
		this.eager = eager;
		this.ackDelay = ackDelayMillis;
		this.lastFullFlush = now - 1;
		this.lastAckFlush = now - ackDelayMillis;
	}

	/** Whether sends and input ask for a flush at once (else the interval ticks flush). */
	boolean isEager() {
		return this.eager;
	}

	void setEager(boolean eager) {
		this.eager = eager;
	}

	void setAckDelay(long ackDelayMillis) {
		this.ackDelay = ackDelayMillis;
	}

	/**
	 * A flush was asked for at {@code now}: decides what to flush. A {@link Flush#FULL} or {@link Flush#ACKS} answer
	 * counts as done; what is put off shows in {@link #deadline()}.
	 * @param dataDue whether there is data to send (new data with room in the windows, or a retransmission due)
	 * @param inFlight segments sent and not yet acknowledged
	 * @param acksPending whether acknowledgements (or window probes and answers) wait
	 * @param urgentAcks whether they must leave at once (data out of order or again, a probe)
	 */
	Flush decide(long now, boolean dataDue, int inFlight, boolean acksPending, boolean urgentAcks) {
		if (dataDue) {
			if (now != this.lastFullFlush || inFlight <= CHEAP_FLUSH_SEGMENTS) {
				fullFlushed(now);
				return Flush.FULL;
			}
			if (this.deferredFull == KcpConnection.NO_DEADLINE) {
				this.deferredFull = now + 1;
			}
		}
		if (!acksPending) {
			return Flush.NONE;
		}
		if (urgentAcks || now - this.lastAckFlush >= this.ackDelay) {
			acksFlushed(now);
			return Flush.ACKS;
		}
		if (this.ackDeadline == KcpConnection.NO_DEADLINE) {
			this.ackDeadline = this.lastAckFlush + this.ackDelay;
		}
		return Flush.NONE;
	}

	/** A full flush happened at {@code now} (asked for, put off, or the engine's tick): it carried every ack. */
	void fullFlushed(long now) {
		this.lastFullFlush = now;
		if (this.deferredFull <= now) {
			this.deferredFull = KcpConnection.NO_DEADLINE;
		}
		acksFlushed(now);
	}

	/** The acknowledgements left at {@code now}. */
	void acksFlushed(long now) {
		this.lastAckFlush = now;
		this.ackDeadline = KcpConnection.NO_DEADLINE;
	}

	/** Whether a full flush that was put off is due at {@code now}. */
	boolean isFullDue(long now) {
		return this.deferredFull <= now;
	}

	/** Whether acknowledgements held back are due at {@code now}. */
	boolean areAcksDue(long now) {
		return this.ackDeadline <= now;
	}

	/** When a full flush put off is due, or {@code NO_DEADLINE}. */
	long deferredFullDeadline() {
		return this.deferredFull;
	}

	/** When held-back acknowledgements are due, or {@code NO_DEADLINE}. */
	long ackDeadline() {
		return this.ackDeadline;
	}

}
