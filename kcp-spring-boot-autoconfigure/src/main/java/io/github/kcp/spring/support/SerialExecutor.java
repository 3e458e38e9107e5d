package io.github.kcp.spring.support;

import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared executor: one instance per KCP session gives
 * per-session order with sessions in parallel, without a thread per session.
 * <p>
 * A task never runs concurrently with another task of the same instance, and each task happens-before the next.
 * After a batch of tasks the worker hands its thread back to the shared executor (and re-submits itself), so a
 * busy session cannot starve others on a bounded pool.
 */
public final class SerialExecutor implements Executor {

	private static final Logger logger = LoggerFactory.getLogger(SerialExecutor.class);

	/** Tasks run per turn on the shared executor by default. */
	public static final int DEFAULT_BATCH_SIZE = 32;

	private final Executor delegate;

	private final int batchSize;

	private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

	private final AtomicBoolean scheduled = new AtomicBoolean();

	private final Runnable worker = this::runBatch;

	/**
	 * A serial executor over {@code delegate} with the {@link #DEFAULT_BATCH_SIZE default batch size}.
	 * @param delegate the shared executor; it must run tasks on other threads (not inline)
	 */
	public SerialExecutor(Executor delegate) {
		this(delegate, DEFAULT_BATCH_SIZE);
	}

	/**
	 * A serial executor over {@code delegate}.
	 * @param delegate the shared executor; it must run tasks on other threads (not inline)
	 * @param batchSize tasks run per turn before the thread is handed back
	 */
	public SerialExecutor(Executor delegate, int batchSize) {
		this.delegate = Objects.requireNonNull(delegate, "delegate");
		if (batchSize < 1) {
			throw new IllegalArgumentException("batchSize must be positive but was " + batchSize);
		}
		this.batchSize = batchSize;
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

	/** Whether no task is queued or running. */
	public boolean isIdle() {
		return !this.scheduled.get() && this.tasks.isEmpty();
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
			if (!this.tasks.isEmpty() && this.scheduled.compareAndSet(false, true)) {
				try {
					this.delegate.execute(this.worker);
				}
				catch (RejectedExecutionException ex) {
					this.scheduled.set(false);
					logger.error("Executor {} refused to run {} queued task(s); they run when the next task is queued",
							this.delegate, this.tasks.size(), ex);
				}
			}
		}
	}

}
