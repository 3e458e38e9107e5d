package io.github.kcp.core.transport;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.util.IntSupplier;
import io.netty.util.concurrent.FastThreadLocal;
import org.jspecify.annotations.Nullable;

/**
 * The select strategy of our event loops: while a server on the loop serves many clients at once and asks for it
 * ({@link #request}), the loop waits before polling its sockets again until a pause has passed since the previous
 * poll, so that one wake-up reads the datagrams of many clients. A server of 10,000 clients that each send a message
 * a second otherwise wakes about 15,000 times a second for 20,000 datagrams, and those wake-ups (context switches,
 * waking the sender) were most of its CPU time: a pause of 0.5 ms took it from about 27 % to 14 % of a core, at a
 * cost of at most the pause in latency, only under that load. A loop nobody asks, or whose last request is older than
 * {@link #HOLD_NANOS}, polls as Netty's default strategy does; pending tasks are never held back (tasks submitted
 * from other threads during a pause wait for it to end).
 * <p>
 * One instance per event loop (Netty asks the factory for one per loop), used on the loop's thread only; a server
 * finds its loop's instance with {@link #ofCurrentLoop()}.
 */
final class ReadCoalescing implements SelectStrategy {

	/** How long one {@link #request} holds: the server renews it while the load lasts. */
	static final long HOLD_NANOS = 50_000_000L;

	/** The factory our event loop groups give Netty. */
	static final SelectStrategyFactory FACTORY = () -> new ReadCoalescing(System::nanoTime, LockSupport::parkNanos);

	private static final FastThreadLocal<ReadCoalescing> CURRENT = new FastThreadLocal<>();

	private final LongSupplier clock;

	private final LongConsumer park;

	private long pauseNanos;

	private long requestedAt;

	private boolean requested;

	private long lastPoll;

	private long pauses;

	private boolean registered;

	/**
	 * @param clock the time in nanoseconds ({@code System::nanoTime})
	 * @param park waits about the given nanoseconds (may return early)
	 */
	ReadCoalescing(LongSupplier clock, LongConsumer park) {
		this.clock = clock;
		this.park = park;
	}

	/** The instance of the event loop the calling thread runs, or {@code null} (not one of ours, or not yet run). */
	static @Nullable ReadCoalescing ofCurrentLoop() {
		return CURRENT.getIfExists();
	}

	/**
	 * Asks the loop to pause up to {@code pauseNanos} between two polls for the next {@link #HOLD_NANOS}.
	 * @param pauseNanos the pause, positive
	 */
	void request(long pauseNanos) {
		this.pauseNanos = pauseNanos;
		this.requestedAt = this.clock.getAsLong();
		this.requested = true;
	}

	/** Whether a request holds now. */
	boolean isActive() {
		return this.requested && this.clock.getAsLong() - this.requestedAt < HOLD_NANOS;
	}

	/** How many times the loop paused before a poll. */
	long pauses() {
		return this.pauses;
	}

	@Override
	public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
		if (!this.registered) {
			// Netty calls this on the loop's thread: from now on a server there finds this instance.
			CURRENT.set(this);
			this.registered = true;
		}
		if (hasTasks) {
			return selectNow.get();
		}
		if (!this.requested) {
			// Netty's default, without reading the clock.
			return SelectStrategy.SELECT;
		}
		long now = this.clock.getAsLong();
		if (now - this.requestedAt >= HOLD_NANOS) {
			this.requested = false;
			return SelectStrategy.SELECT;
		}
		long resume = this.lastPoll + this.pauseNanos;
		if (resume - now > 0) {
			this.pauses++;
			// parkNanos may return early: wait out the pause, in a bounded number of steps.
			for (int i = 0; i < 4 && resume - now > 0; i++) {
				this.park.accept(resume - now);
				now = this.clock.getAsLong();
			}
			this.lastPoll = now;
			// What arrived meanwhile is read now; with nothing, the loop blocks as usual.
			int ready = selectNow.get();
			return (ready > 0) ? ready : SelectStrategy.SELECT;
		}
		this.lastPoll = now;
		return SelectStrategy.SELECT;
	}

}
