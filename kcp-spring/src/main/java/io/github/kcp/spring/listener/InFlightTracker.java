package io.github.kcp.spring.listener;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts work in progress (a message between its arrival and its reply being sent, a session event not yet
 * published) so that a graceful stop can wait for it.
 */
final class InFlightTracker {

	private final AtomicInteger count = new AtomicInteger();

	private final List<CompletableFuture<Void>> idleWaiters = new ArrayList<>();

	/** Starts a piece of work; {@link #end()} must follow. */
	void begin() {
		this.count.incrementAndGet();
	}

	/** Ends a piece of work started by {@link #begin()}. */
	void end() {
		if (this.count.decrementAndGet() == 0) {
			signalIdle();
		}
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
