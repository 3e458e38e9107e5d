package io.github.kcp.spring.listener;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts work in progress (a message between its arrival and its reply being sent, a session event not yet
 * published) so that a graceful stop can refuse new work and wait for the rest.
 * <p>
 * {@link #tryBegin()} increments before it reads the admission flag and {@link #stopAccepting()} clears the flag
 * before {@link #whenIdle()} reads the count, so every piece of work is either refused or waited for.
 */
final class InFlightTracker {

	private final AtomicInteger count = new AtomicInteger();

	private volatile boolean accepting = true;

	private final List<CompletableFuture<Void>> idleWaiters = new ArrayList<>();

	/**
	 * Starts a piece of work unless {@link #stopAccepting()} was called.
	 * @return whether the work may go ahead; if so {@link #end()} must follow
	 */
	boolean tryBegin() {
		this.count.incrementAndGet();
		if (!this.accepting) {
			end();
			return false;
		}
		return true;
	}

	/** Starts a piece of work that must be waited for even while stopping; {@link #end()} must follow. */
	void begin() {
		this.count.incrementAndGet();
	}

	/** Ends a piece of work started by {@link #tryBegin()} or {@link #begin()}. */
	void end() {
		if (this.count.decrementAndGet() == 0) {
			signalIdle();
		}
	}

	/** Refuses new work from now on ({@link #tryBegin()} returns false). */
	void stopAccepting() {
		this.accepting = false;
	}

	/** Accepts new work again (after a restart). */
	void startAccepting() {
		this.accepting = true;
	}

	/** Whether new work is accepted. */
	boolean isAccepting() {
		return this.accepting;
	}

	/** Work in progress now. */
	int inFlight() {
		return this.count.get();
	}

	/** A future completed once no work is in progress (at once if none is). */
	CompletableFuture<Void> whenIdle() {
		CompletableFuture<Void> idle = new CompletableFuture<>();
		synchronized (this.idleWaiters) {
			this.idleWaiters.add(idle);
		}
		if (this.count.get() == 0) {
			signalIdle();
		}
		return idle;
	}

	private void signalIdle() {
		List<CompletableFuture<Void>> waiters;
		synchronized (this.idleWaiters) {
			if (this.idleWaiters.isEmpty()) {
				return;
			}
			waiters = new ArrayList<>(this.idleWaiters);
			this.idleWaiters.clear();
		}
		waiters.forEach((waiter) -> waiter.complete(null));
	}

}
