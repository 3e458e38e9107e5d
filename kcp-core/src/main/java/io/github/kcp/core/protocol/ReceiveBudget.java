package io.github.kcp.core.protocol;

/**
 * Memory an engine may use to park out-of-order data, shared as the caller likes (per session, per unproven peer,
 * server-wide). The engine asks before it keeps a data segment in its receive buffer (rcv_buf: out of order, or
 * in order while the receive queue is full) and gives the bytes back when the segment leaves that buffer. A
 * segment refused is dropped without acknowledgement, as if lost, and counted ({@link Kcp#budgetRefusedSegments()});
 * the sender retransmits it later. The window the engine announces is kept within {@link #available()} so that
 * refusals stay rare. In-order data that goes straight to the receive queue never asks, so delivery
 * keeps working under any budget.
 * <p>
 * Called on the engine's thread; an implementation shared between engines on several threads must be thread-safe.
 */
public interface ReceiveBudget {

	/** A budget that never refuses (the default, as ikcp). */
	ReceiveBudget UNLIMITED = new ReceiveBudget() {

		@Override
		public boolean tryReserve(int bytes) {
			return true;
		}

		@Override
		public void reserve(int bytes) {
		}

		@Override
		public long available() {
			return Long.MAX_VALUE;
		}

		@Override
		public void release(int bytes) {
		}

	};

	/**
	 * Reserves room for a segment about to be parked.
	 * @param bytes the memory the segment holds: its buffer (the larger of its payload and the engine's mss, since
	 * segments are pooled at mss size) plus {@link KcpCodec#OVERHEAD} (its header and bookkeeping)
	 * @return whether the engine may park it; if {@code false}, it drops the segment unacknowledged
	 */
	boolean tryReserve(int bytes);

	/**
	 * How many bytes {@link #tryReserve} would grant now. The engine announces a receive window no larger than
	 * what this can park (plus the next in-order segment), so that a standard sender does not send data that would
	 * be refused; with a budget shared by many engines the figure is a hint, and {@link #tryReserve} decides.
	 * @return the room left, in bytes
	 */
	long available();

	/**
	 * Takes {@code bytes} whatever the room left: for data already acknowledged, which must be kept (when an engine
	 * moves to this budget from another, see {@link Kcp#setReceiveBudget}).
	 * @param bytes the amount to take
	 */
	void reserve(int bytes);

	/**
	 * Gives back what a {@link #tryReserve} or {@link #reserve} took, when the segment leaves the receive buffer
	 * (moved to the receive queue, or dropped by {@link Kcp#discardReceiveBuffer()}), or the engine moves to another
	 * budget.
	 * @param bytes the amount reserved
	 */
	void release(int bytes);

}
