package io.github.kcp.core.connection;

/**
 * When a {@link KcpConnection} flushes its engine: the pacing policy, kept apart so that it can be tested on a
 * virtual clock and tuned without touching the rest of the connection.
 * <p>
 * With eager flushing, a send or a batch of received datagrams asks for a flush at once. A full flush walks the
 * whole send window (up to thousands of segments), so doing one per received datagram or per send made a busy
 * sender fall behind its own acknowledgements and retransmit spuriously: full flushes are limited to one per
 * millisecond. A flush asked for in the millisecond of the last full one sends the acknowledgements at once and
 * leaves the data to a full flush one millisecond later. Without eager flushing, the engine's own interval ticks
 * do all the flushing.
 */
final class FlushPacing {

	/** What to do about a flush that was asked for. */
	enum Flush {

		/** Flush everything: acknowledgements, probes, new data and retransmissions. */
		FULL,

		/** Send only the acknowledgements now; a full flush follows at {@link #deferredDeadline()}. */
		ACKS_ONLY

	}

	private boolean eager;

	private long lastFullFlush;

	private long deferredDeadline = KcpConnection.NO_DEADLINE;

	FlushPacing(boolean eager, long now) {
		this.eager = eager;
		this.lastFullFlush = now - 1;
	}

	/** Whether sends and input ask for a flush at once (else the interval ticks flush). */
	boolean isEager() {
		return this.eager;
	}

	void setEager(boolean eager) {
		this.eager = eager;
	}

	/** A flush was asked for at {@code now}: decides its kind. */
	Flush flushAt(long now) {
		if (now != this.lastFullFlush) {
			this.lastFullFlush = now;
			return Flush.FULL;
		}
		if (this.deferredDeadline == KcpConnection.NO_DEADLINE) {
			this.deferredDeadline = now + 1;
		}
		return Flush.ACKS_ONLY;
	}

	/** When the full flush that an {@link Flush#ACKS_ONLY} flush put off is due, or {@code NO_DEADLINE}. */
	long deferredDeadline() {
		return this.deferredDeadline;
	}

	/** Whether the put-off full flush is due at {@code now}; if so it is taken (counts as the full flush of now). */
	boolean takeDeferred(long now) {
		if (this.deferredDeadline > now) {
			return false;
		}
		this.deferredDeadline = KcpConnection.NO_DEADLINE;
		this.lastFullFlush = now;
		return true;
	}

}
