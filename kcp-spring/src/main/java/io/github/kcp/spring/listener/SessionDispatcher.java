package io.github.kcp.spring.listener;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.SerialExecutor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.scheduling.concurrent.CustomizableThreadFactory;

/**
 * The work queue of a {@link KcpServerContainer}: takes the messages and session events of the server's sessions
 * on their event loops and runs them on the handler executor, per session one at a time in arrival order.
 * <p>
 * <b>Back-pressure, never a drop.</b> A message the server delivered has been acknowledged to its sender, so it is
 * never discarded here. When more than {@code maxQueuedPerSession} messages of a session wait (to be handled, or for
 * their reply to be taken by the session's full send buffer), the session stops reading (its receive window closes and the peer slows down) until half of them are handled. When the handler
 * executor refuses work (a bounded pool whose queue is full), the session's messages stay queued, the session stops
 * reading, and the queue is offered to the executor again every {@link #STALL_RETRY_MILLIS} ms until it is taken.
 * <p>
 * <b>Drain.</b> Every message counts as in flight from its arrival until the listener's stage completes (its reply
 * handed to the session); {@link #whenIdle()} completes when none is.
 * <p>
 * Thread-safe; the session callbacks run on the event loops and never block.
 */
final class SessionDispatcher {

	private static final Logger logger = LoggerFactory.getLogger(SessionDispatcher.class);

	/** How often a queue the handler executor refused is offered again. */
	static final long STALL_RETRY_MILLIS = 5;

	private final KcpMessageListener listener;

	private final Executor executor;

	private final int maxQueuedPerSession;

	private final Map<KcpSession, SessionQueue> sessions = new ConcurrentHashMap<>();

	private final InFlightTracker inFlight = new InFlightTracker();

	/** Sessions opened and not yet announced closed. */
	private final InFlightTracker openSessions = new InFlightTracker();

	private final Set<SessionQueue> stalled = ConcurrentHashMap.newKeySet();

	private final Object retryMonitor = new Object();

	private @Nullable ScheduledExecutorService retryTimer;

	private @Nullable ScheduledFuture<?> retryTask;

	private final LongAdder dispatchedMessages = new LongAdder();

	private final LongAdder listenerFailures = new LongAdder();

	private final LongAdder stalls = new LongAdder();

	/**
	 * @param listener handles each message
	 * @param executor runs the listener; must not run tasks on the calling thread (the event loop)
	 * @param maxQueuedPerSession messages of one session that may wait before it stops reading, at least 1
	 */
	SessionDispatcher(KcpMessageListener listener, Executor executor, int maxQueuedPerSession) {
		this.listener = Objects.requireNonNull(listener, "listener");
		this.executor = Objects.requireNonNull(executor, "executor");
		if (maxQueuedPerSession < 1) {
			throw new IllegalArgumentException("maxQueuedPerSession must be positive but was " + maxQueuedPerSession);
		}
		this.maxQueuedPerSession = maxQueuedPerSession;
	}

	/** A session opened: runs {@code announce} on its queue, before any of its messages. On the event loop. */
	void sessionOpened(KcpSession session, Runnable announce) {
		this.openSessions.begin();
		SessionQueue queue = queueOf(session);
		queue.opened = true;
		runInOrder(queue, announce);
	}

	/** A message arrived: queues it behind the session's earlier ones. On the event loop; never blocks or drops. */
	void dispatch(KcpSession session, byte[] message) {
		this.inFlight.begin();
		this.dispatchedMessages.increment();
		SessionQueue queue = queueOf(session);
		int queued = queue.queued.incrementAndGet();
		if (queued >= this.maxQueuedPerSession) {
			queue.pause();
		}
		queue.serial.enqueue(() -> {
			CompletionStage<?> done = null;
			try {
				done = handle(session, message);
			}
			finally {
				// A message leaves the session's count only once its stage is done (its reply handed to the
				// session, which may wait for room in the session's send buffer): a session whose replies wait stops
				// being read, so its peer cannot outrun the replies. And before the message stops counting as in
				// flight: once the dispatcher is idle, every session it paused has been told to resume (a graceful
				// stop relies on it).
				if (done == null) {
					dequeued(queue);
					this.inFlight.end();
				}
				else {
					done.whenComplete((ignored, ex) -> {
						dequeued(queue);
						this.inFlight.end();
					});
				}
			}
		});
	}

	/**
	 * A session closed: runs {@code announce} on its queue after its last message, then forgets the session. On
	 * the event loop; does nothing for a session {@link #sessionOpened} was not called for.
	 */
	void sessionClosed(KcpSession session, Runnable announce) {
		SessionQueue queue = this.sessions.get(session);
		if (queue == null || !queue.opened) {
			this.sessions.remove(session);
			return;
		}
		runInOrder(queue, () -> {
			try {
				this.sessions.remove(session, queue);
				this.stalled.remove(queue);
				announce.run();
			}
			finally {
				this.openSessions.end();
			}
		});
	}

	/** Completes once every message is handled and replied to, and every queued session event has run. */
	CompletableFuture<Void> whenIdle() {
		return this.inFlight.whenIdle();
	}

	/** Completes once every session {@link #sessionOpened opened} here has been {@link #sessionClosed closed}. */
	CompletableFuture<Void> whenSessionsClosed() {
		return this.openSessions.whenIdle();
	}

	/** Messages and session events in progress (queued, being handled, or waiting for their reply). */
	int inFlight() {
		return this.inFlight.inFlight();
	}

	/** Messages taken from the sessions so far. */
	long dispatchedMessages() {
		return this.dispatchedMessages.sum();
	}

	/** Listener calls that threw (the {@code @KcpHandler} adapter never throws; a custom listener may). */
	long listenerFailures() {
		return this.listenerFailures.sum();
	}

	/** Times the handler executor refused a session's queue (each time the session stopped reading meanwhile). */
	long stalls() {
		return this.stalls.sum();
	}

	/** Stops the retry timer; call when the container is done with this dispatcher. */
	void close() {
		synchronized (this.retryMonitor) {
			if (this.retryTimer != null) {
				this.retryTimer.shutdownNow();
				this.retryTimer = null;
				this.retryTask = null;
			}
		}
	}

	private SessionQueue queueOf(KcpSession session) {
		return this.sessions.computeIfAbsent(session, SessionQueue::new);
	}

	private void runInOrder(SessionQueue queue, Runnable task) {
		this.inFlight.begin();
		queue.serial.enqueue(() -> {
			try {
				task.run();
			}
			finally {
				this.inFlight.end();
			}
		});
	}

	/** Runs on the session's serial executor; the stage of the message, or {@code null} when it is done. */
	private @Nullable CompletionStage<?> handle(KcpSession session, byte[] message) {
		try {
			return this.listener.onMessage(session, message);
		}
		catch (RuntimeException | Error ex) {
			this.listenerFailures.increment();
			if (ex instanceof VirtualMachineError) {
				throw ex;
			}
			logger.error("KCP message listener {} failed on a message of {} bytes from session {}", this.listener,
					message.length, KcpHeaders.sessionId(session), ex);
			return null;
		}
	}

	private void dequeued(SessionQueue queue) {
		int queued = queue.queued.decrementAndGet();
		if (queued <= this.maxQueuedPerSession / 2 && !queue.serial.isStalled()) {
			queue.resume();
		}
	}

	/** The handler executor refused a session's queue: hold the session back and offer the queue again later. */
	private void stalled(SessionQueue queue) {
		this.stalls.increment();
		queue.pause();
		this.stalled.add(queue);
		logger.debug("Handler executor {} is saturated; session {} waits (its receive window closes)", this.executor,
				KcpHeaders.sessionId(queue.session));
		synchronized (this.retryMonitor) {
			if (this.retryTask == null || this.retryTask.isDone()) {
				if (this.retryTimer == null) {
					CustomizableThreadFactory threads = new CustomizableThreadFactory("kcp-handler-retry-");
					threads.setDaemon(true);
					ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, threads);
					timer.setRemoveOnCancelPolicy(true);
					this.retryTimer = timer;
				}
				this.retryTask = this.retryTimer.scheduleWithFixedDelay(this::retryStalled, STALL_RETRY_MILLIS,
						STALL_RETRY_MILLIS, TimeUnit.MILLISECONDS);
			}
		}
	}

	private void retryStalled() {
		for (SessionQueue queue : this.stalled) {
			this.stalled.remove(queue);
			if (!queue.serial.resume()) {
				// Refused again: resume() called stalled(queue), which put it back.
				return;
			}
			if (queue.queued.get() <= this.maxQueuedPerSession / 2) {
				queue.resume();
			}
		}
		synchronized (this.retryMonitor) {
			if (this.stalled.isEmpty() && this.retryTask != null) {
				this.retryTask.cancel(false);
				this.retryTask = null;
			}
		}
	}

	@Override
	public String toString() {
		return "SessionDispatcher [" + this.listener + ", sessions=" + this.sessions.size() + ", inFlight="
				+ inFlight() + "]";
	}

	/** The queue and read state of one session. */
	private final class SessionQueue {

		final KcpSession session;

		final SerialExecutor serial;

		final AtomicInteger queued = new AtomicInteger();

		final AtomicBoolean readingPaused = new AtomicBoolean();

		/** Set on the event loop by sessionOpened, read there by sessionClosed. */
		boolean opened;

		SessionQueue(KcpSession session) {
			this.session = session;
			this.serial = new SerialExecutor(SessionDispatcher.this.executor, SerialExecutor.DEFAULT_BATCH_SIZE,
					(refused) -> stalled(this));
		}

		void pause() {
			if (this.readingPaused.compareAndSet(false, true)) {
				this.session.pauseReading();
			}
		}

		void resume() {
			if (this.readingPaused.compareAndSet(true, false)) {
				this.session.resumeReading();
			}
		}

	}

}
