package io.github.kcp.spring.core;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * A request of a {@link KcpTemplate} waiting for its reply: the caller's future, the reply type, and the timer
 * that fails it when no reply comes in time. Settled once: by its reply, by a failure, or by the timeout.
 *
 * @param <T> the reply type
 */
final class PendingReply<T> {

	/** The caller's future; completed only on the callback executor. */
	final CompletableFuture<T> future = new CompletableFuture<>();

	final Class<T> replyType;

	final Duration timeout;

	private final Executor callbacks;

	/** The correlation id the request went out with (0 when replies are matched in order). */
	volatile int correlationId;

	private final AtomicBoolean settled = new AtomicBoolean();

	private volatile @Nullable ScheduledFuture<?> timeoutTask;

	/**
	 * @param replyType the type to read the reply as
	 * @param timeout how long the request may wait
	 * @param callbacks completes the future (never inline on a network thread)
	 */
	PendingReply(Class<T> replyType, Duration timeout, Executor callbacks) {
		this.replyType = replyType;
		this.timeout = timeout;
		this.callbacks = callbacks;
	}

	/** Fails the future on the callback executor. Call after winning {@link #settle()}. */
	void fail(Throwable failure) {
		this.callbacks.execute(() -> this.future.completeExceptionally(failure));
	}

	/** Runs {@code completion} (which completes the future) on the callback executor. */
	void completeWith(Runnable completion) {
		this.callbacks.execute(completion);
	}

	/**
	 * Takes this request out of the waiting ones; only the first caller wins.
	 * @return whether this call settled it
	 */
	boolean settle() {
		return this.settled.compareAndSet(false, true);
	}

	boolean isSettled() {
		return this.settled.get();
	}

	/** Arms the timeout: after {@code delayNanos} {@code onTimeout} runs unless the future completed first. */
	void armTimer(ScheduledExecutorService timer, long delayNanos, Consumer<PendingReply<T>> onTimeout) {
		if (this.future.isDone()) {
			return;
		}
		try {
			this.timeoutTask = timer.schedule(() -> onTimeout.accept(this), delayNanos, TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// The template is being destroyed: closing its sessions fails the future.
			return;
		}
		// A reply that arrived before the timer was armed must still cancel it.
		this.future.whenComplete((value, failure) -> cancelTimer());
	}

	private void cancelTimer() {
		ScheduledFuture<?> task = this.timeoutTask;
		if (task != null) {
			task.cancel(false);
		}
	}

}
