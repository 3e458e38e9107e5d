package io.github.kcp.core.connection;

import io.github.kcp.core.protocol.ReceiveBudget;
import org.jspecify.annotations.Nullable;

/**
 * A number of bytes that buffers may hold, shared by whoever reserves from it, optionally within a larger budget
 * (its parent): a reservation must fit this budget and every budget above it. A server has one for all its
 * sessions (see {@link KcpSettings#MEMORY_BUDGET}); within it, one for its unproven sessions together (a quarter of
 * it), and within that, one per unproven session ({@link KcpSettings#UNPROVEN_RECEIVE_BUDGET}).
 * <p>
 * The engine reserves from it before it parks out-of-order data ({@link ReceiveBudget}); a connection also charges
 * what waits in order in its receive queue, and the shell what its sends hold until acknowledged. Refusable
 * reservations ({@link #tryReserve}) are for what may be dropped and come again — out-of-order data, new sends —
 * while {@link #reserve} takes what must be kept (data acknowledged already), so the figure may be exceeded by
 * that, never by refusable data.
 * <p>
 * Not thread-safe: confine it to the thread of the connections using it (a server's event loop).
 */
public final class MemoryBudget implements ReceiveBudget {

	private final long limit;

	private final @Nullable MemoryBudget parent;

	private long used;

	private long peak;

	private long refusals;

	/**
	 * Creates a budget.
	 * @param limit the bytes it holds at most ({@link Long#MAX_VALUE} for no limit of its own)
	 * @param parent the budget it is part of, or {@code null}
	 */
	public MemoryBudget(long limit, @Nullable MemoryBudget parent) {
		if (limit < 0) {
			throw new IllegalArgumentException("A memory budget must not be negative but was " + limit);
		}
		this.limit = limit;
		this.parent = parent;
	}

	/** A budget of {@code limit} bytes on its own. */
	public static MemoryBudget of(long limit) {
		return new MemoryBudget(limit, null);
	}

	@Override
	public boolean tryReserve(int bytes) {
		if (bytes > available()) {
			this.refusals++;
			return false;
		}
		reserve(bytes);
		return true;
	}

	@Override
	public void reserve(int bytes) {
		for (MemoryBudget budget = this; budget != null; budget = budget.parent) {
			budget.used += bytes;
			budget.peak = Math.max(budget.peak, budget.used);
		}
	}

	@Override
	public void release(int bytes) {
		for (MemoryBudget budget = this; budget != null; budget = budget.parent) {
			budget.used -= bytes;
		}
	}

	@Override
	public long available() {
		long room = this.limit - this.used;
		for (MemoryBudget budget = this.parent; budget != null; budget = budget.parent) {
			room = Math.min(room, budget.limit - budget.used);
		}
		return Math.max(0, room);
	}

	/** Whether more is held than the limit (by reservations that had to be kept). */
	public boolean isExceeded() {
		return this.used > this.limit;
	}

	/** The bytes it holds at most. */
	public long limit() {
		return this.limit;
	}

	/** The bytes held now (including those of the budgets within it). */
	public long used() {
		return this.used;
	}

	/** The most bytes held at once so far. */
	public long peak() {
		return this.peak;
	}

	/** How many {@link #tryReserve} calls on this budget (not those within it) were refused. */
	public long refusals() {
		return this.refusals;
	}

	@Override
	public String toString() {
		return "MemoryBudget{used=" + this.used + ", limit=" + this.limit + "}";
	}

}
