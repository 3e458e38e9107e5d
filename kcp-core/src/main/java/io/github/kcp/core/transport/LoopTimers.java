package io.github.kcp.core.transport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deadlines of the sessions of one socket, behind one event-loop timer: a binary heap of {@link Timer}s keyed
 * by their deadline in milliseconds, and one Netty scheduled task armed at the earliest.
 * <p>
 * Why not one Netty task per session: a server with thousands of sessions re-arms a session's timer after almost
 * every message (its deadline moves from the idle timeout to the retransmission tick and back). With a Netty task
 * per arm that is an allocation, a removal from Netty's queue, and — since each task has its own nanosecond
 * deadline — a wake-up of the loop per session; a deadline moved later leaves the old task to fire for nothing.
 * Here re-arming moves the timer within the heap (no allocation), a deadline moved later is moved, not left to fire,
 * and every timer due in the same millisecond runs in one wake-up, whose datagrams leave with one flush.
 * <p>
 * Confined to the event loop.
 */
final class LoopTimers {

	private static final Logger logger = LoggerFactory.getLogger(LoopTimers.class);

	private static final long NOT_ARMED = Long.MAX_VALUE;

	/** {@link Timer}'s index while it waits to run in the current batch. */
	private static final int DUE = -2;

	private final EventLoop loop;

	/** Runs before each batch of due timers (the socket holds its flushes). */
	private final Runnable beforeBatch;

	/** Runs after each batch of due timers (the socket flushes once). */
	private final Runnable afterBatch;

	private Timer[] heap = new Timer[16];

	private int size;

	/** Reused list of the timers due in one wake-up. */
	private final List<Timer> due = new ArrayList<>();

	/** Whether a batch of due timers is running (the loop timer is armed once, after it). */
	private boolean firing;

	private @Nullable ScheduledFuture<?> wakeup;

	/** The deadline (milliseconds) {@link #wakeup} is armed for, or {@link #NOT_ARMED}. */
	private long wakeupDeadline = NOT_ARMED;

	private long batches;

	private long fired;

	/**
	 * @param beforeBatch run before every batch of due timers (the socket holds back its flushes)
	 * @param afterBatch run after every batch of due timers (the socket flushes), also when one of them threw
	 */
	LoopTimers(EventLoop loop, Runnable beforeBatch, Runnable afterBatch) {
		this.loop = loop;
		this.beforeBatch = beforeBatch;
		this.afterBatch = afterBatch;
	}

	/** A timer that runs {@code task} on the loop at the deadline it is {@link Timer#arm armed} for. */
	Timer newTimer(Runnable task) {
		return new Timer(task);
	}

	/** Timers armed (tests). */
	int size() {
		return this.size;
	}

	/** How many wake-ups of the loop timer found timers due (tests and diagnostics). */
	long batches() {
		return this.batches;
	}

	/** How many timers ran (tests and diagnostics). */
	long fired() {
		return this.fired;
	}

	/** The loop timer: runs every timer due by now, then re-arms at the earliest deadline left. */
	private void onWakeup() {
		this.wakeup = null;
		this.wakeupDeadline = NOT_ARMED;
		long now = MonotonicClock.nowMillis();
		// Take the due ones out first: a task that re-arms its timer for now runs again in the next wake-up, not in
		// this loop forever.
		while (this.size > 0 && this.heap[0].deadline <= now) {
			Timer timer = this.heap[0];
			removeAt(0);
			timer.index = DUE;
			this.due.add(timer);
		}
		if (this.due.isEmpty()) {
			armWakeup();
			return;
		}
		this.batches++;
		this.beforeBatch.run();
		// The tasks re-arm their timers: one loop timer for all of them once the batch is over, not one per task.
		this.firing = true;
		try {
			for (int i = 0; i < this.due.size(); i++) {
				Timer timer = this.due.get(i);
				if (timer.index != DUE) {
					// Cancelled or re-armed by a task that ran before it in this batch.
					continue;
				}
				timer.index = -1;
				this.fired++;
				try {
					timer.task.run();
				}
				catch (RuntimeException ex) {
					logger.warn("A session timer failed; the other timers go on", ex);
				}
			}
		}
		finally {
			this.firing = false;
			for (int i = 0; i < this.due.size(); i++) {
				Timer timer = this.due.get(i);
				if (timer.index == DUE) {
					// Not run: a task before it threw an Error. Left disarmed.
					timer.index = -1;
				}
			}
			this.due.clear();
			try {
				this.afterBatch.run();
			}
			finally {
				armWakeup();
			}
		}
	}

	/** Arms the loop timer at the earliest deadline, unless it is armed for that deadline or an earlier one. */
	private void armWakeup() {
		if (this.size == 0 || this.firing) {
			return;
		}
		long earliest = this.heap[0].deadline;
		if (this.wakeupDeadline <= earliest) {
			// Early is harmless: the wake-up finds nothing due and re-arms.
			return;
		}
		if (this.wakeup != null) {
			this.wakeup.cancel(false);
		}
		this.wakeupDeadline = earliest;
		// At the start of the deadline's millisecond (the clock's own nanoseconds), so that timers due in the same
		// millisecond share this wake-up.
		long delayNanos = Math.max(0, earliest * 1_000_000L - System.nanoTime());
		this.wakeup = this.loop.schedule(this::onWakeup, delayNanos, TimeUnit.NANOSECONDS);
	}

	// ---------------------------------------------------------------- the heap

	private void insert(Timer timer) {
		if (this.size == this.heap.length) {
			this.heap = Arrays.copyOf(this.heap, this.size * 2);
		}
		this.heap[this.size] = timer;
		timer.index = this.size;
		this.size++;
		siftUp(timer.index);
	}

	private void removeAt(int index) {
		Timer removed = this.heap[index];
		removed.index = -1;
		this.size--;
		if (index == this.size) {
			this.heap[index] = null;
			return;
		}
		Timer last = this.heap[this.size];
		this.heap[this.size] = null;
		this.heap[index] = last;
		last.index = index;
		reposition(index);
	}

	private void reposition(int index) {
		if (index > 0 && this.heap[index].deadline < this.heap[(index - 1) >>> 1].deadline) {
			siftUp(index);
		}
		else {
			siftDown(index);
		}
	}

	private void siftUp(int index) {
		Timer timer = this.heap[index];
		while (index > 0) {
			int parent = (index - 1) >>> 1;
			Timer above = this.heap[parent];
			if (above.deadline <= timer.deadline) {
				break;
			}
			this.heap[index] = above;
			above.index = index;
			index = parent;
		}
		this.heap[index] = timer;
		timer.index = index;
	}

	private void siftDown(int index) {
		Timer timer = this.heap[index];
		int half = this.size >>> 1;
		while (index < half) {
			int child = 2 * index + 1;
			int right = child + 1;
			if (right < this.size && this.heap[right].deadline < this.heap[child].deadline) {
				child = right;
			}
			Timer below = this.heap[child];
			if (timer.deadline <= below.deadline) {
				break;
			}
			this.heap[index] = below;
			below.index = index;
			index = child;
		}
		this.heap[index] = timer;
		timer.index = index;
	}

	/** One deadline of one owner (a session): armed, moved or cancelled on the loop, without allocating. */
	final class Timer {

		private final Runnable task;

		/** Position in the heap, {@link #DUE} while waiting to run in the current batch, or -1 when not armed. */
		private int index = -1;

		private long deadline;

		private Timer(Runnable task) {
			this.task = task;
		}

		/**
		 * Runs the task at {@code deadline} (milliseconds of {@link MonotonicClock}; in the past: at the loop's next
		 * turn), replacing the deadline it was armed for, earlier or later.
		 */
		void arm(long deadline) {
			if (this.index == DUE) {
				// Due in the running batch: it runs at the new deadline instead.
				this.index = -1;
			}
			if (this.index >= 0) {
				if (deadline == this.deadline) {
					return;
				}
				this.deadline = deadline;
				reposition(this.index);
			}
			else {
				this.deadline = deadline;
				insert(this);
			}
			armWakeup();
		}

		/** Disarms it (nothing if not armed). */
		void cancel() {
			if (this.index >= 0) {
				removeAt(this.index);
			}
			else if (this.index == DUE) {
				this.index = -1;
			}
		}

		/** Whether it is armed. */
		boolean isArmed() {
			return this.index != -1;
		}

		/** The deadline it is armed for (meaningful while {@link #isArmed()}). */
		long deadline() {
			return this.deadline;
		}

	}

}
