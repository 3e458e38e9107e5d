package io.github.kcp.spring.support;

import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared executor: one instance per KCP session gives
 * per-session order with sessions in parallel, without a thread per session.
 * <p>
 * A task never runs concurrently with another task of the same instance, and each task happens-before the next.
 * After a batch of tasks the worker hands its thread back to the shared executor (and re-submits itself), so a
 * busy session cannot starve others on a bounded pool.
 * <p>
 * <b>A shared executor that refuses work</b> (a bounded pool whose queue is full) is handled in one of two ways.
 * {@link #execute(Runnable)} follows the {@link Executor} contract: the new task is discarded and
 * {@link RejectedExecutionException} thrown. {@link #enqueue(Runnable)} never discards: the task stays queued, the
 * {@linkplain #SerialExecutor(Executor, int, Consumer) stall listener} is told, and the queue runs once
 * {@link #resume()} finds room — the caller applies back-pressure meanwhile.
 */
public final class SerialExecutor implements Executor {

	private static final Logger logger = LoggerFactory.getLogger(SerialExecutor.class);

	/** Tasks run per turn on the shared executor by default. */
	public static final int DEFAULT_BATCH_SIZE = 32;

	private final Executor delegate;

	private final int batchSize;

	private final @Nullable Consumer<SerialExecutor> stallListener;

	private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

	/** Whether the worker is submitted or running; only the holder may poll {@link #tasks}. */
	private final AtomicBoolean scheduled = new AtomicBoolean();

	/** Whether the shared executor refused the worker and tasks wait for {@link #resume()}. */
	private volatile boolean stalled;

	private final Runnable worker = this::runBatch;

	/**
	 * A serial executor over {@code delegate} with the {@link #DEFAULT_BATCH_SIZE default batch size}.
	 * @param delegate the shared executor; it must run tasks on other threads (not inline)
	 */
	public SerialExecutor(Executor delegate) {
		this(delegate, DEFAULT_BATCH_SIZE, null);
	}

	/**
	 * A serial executor over {@code delegate} without a stall listener.
	 * @param delegate the shared executor; it must run tasks on other threads (not inline)
	 * @param batchSize tasks run per turn before the thread is handed back
	 */
	public SerialExecutor(Executor delegate, int batchSize) {
		this(delegate, batchSize, null);
	}

	/**
	 * A serial executor over {@code delegate}.
	 * @param delegate the shared executor; it must run tasks on other threads (not inline)
	 * @param batchSize tasks run per turn before the thread is handed back
	 * @param stallListener told (on the thread that saw it) each time the shared executor refuses to run queued
	 * tasks, so that the caller can apply back-pressure and call {@link #resume()} later; may be {@code null}
	 */
	public SerialExecutor(Executor delegate, int batchSize, @Nullable Consumer<SerialExecutor> stallListener) {
		this.delegate = Objects.requireNonNull(delegate, "delegate");
		if (batchSize < 1) {
			throw new IllegalArgumentException("batchSize must be positive but was " + batchSize);
		}
		this.batchSize = batchSize;
		this.stallListener = stallListener;
	}

	/**
	 * Queues a task behind the tasks submitted before it.
	 * @throws RejectedExecutionException if the shared executor refused to run the queue; the task is then
	 * discarded (tasks queued earlier stay queued)
	 */
	@Override
	public void execute(Runnable task) {
		Objects.requireNonNull(task, "task");
		this.tasks.add(task);
		if (this.scheduled.compareAndSet(false, true)) {
			try {
				this.delegate.execute(this.worker);
			}
			catch (RejectedExecutionException ex) {
				this.scheduled.set(false);
				this.tasks.remove(task);
				throw ex;
			}
		}
	}

	/**
	 * Queues a task behind the tasks submitted before it and never discards it: if the shared executor refuses to
	 * run the queue now, the task stays queued, the stall listener is told, and the queue runs after a successful
	 * {@link #resume()}.
	 * @param task the task
	 * @return {@code false} if the queue is stalled (the shared executor refused it)
	 */
	public boolean enqueue(Runnable task) {
		Objects.requireNonNull(task, "task");
		this.tasks.add(task);
		return this.stalled ? false : schedule();
	}

	/**
	 * Tries again to run a queue the shared executor refused.
	 * @return {@code true} if the queue runs (or has nothing to run), {@code false} if it is still refused
	 */
	public boolean resume() {
		if (!this.stalled) {
			return true;
		}
		this.stalled = false;
		return schedule();
	}

	/** Whether the shared executor refused to run this queue and it waits for {@link #resume()}. */
	public boolean isStalled() {
		return this.stalled;
	}

	/** Whether no task is queued or running. */
	public boolean isIdle() {
		return !this.scheduled.get() && this.tasks.isEmpty();
	}

	private boolean schedule() {
		if (this.tasks.isEmpty() || !this.scheduled.compareAndSet(false, true)) {
			return true;
		}
		try {
			this.delegate.execute(this.worker);
			return true;
		}
		catch (RejectedExecutionException ex) {
			this.scheduled.set(false);
			stall(ex);
			return false;
		}
	}

	private void stall(RejectedExecutionException ex) {
		this.stalled = true;
		Consumer<SerialExecutor> listener = this.stallListener;
		if (listener != null) {
			listener.accept(this);
		}
		else {
			logger.error("Executor {} refused to run {} queued task(s); they run when resume() is called",
					this.delegate, this.tasks.size(), ex);
		}
	}

	private void runBatch() {
		try {
			for (int i = 0; i < this.batchSize; i++) {
				Runnable task = this.tasks.poll();
				if (task == null) {
					break;
				}
				try {
					task.run();
				}
				catch (Throwable ex) {
					logger.error("Task {} failed in a serial executor; the following tasks still run", task, ex);
				}
			}
		}
		finally {
			this.scheduled.set(false);
			if (!this.tasks.isEmpty()) {
				schedule();
			}
		}
	}

}
