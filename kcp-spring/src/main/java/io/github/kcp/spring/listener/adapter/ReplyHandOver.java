package io.github.kcp.spring.listener.adapter;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.github.kcp.core.transport.KcpSendBufferFullException;
import io.github.kcp.core.transport.KcpSession;
import org.jspecify.annotations.Nullable;

/**
 * Hands replies to a session without ever dropping one because its send buffer is full: a reply that does not fit
 * waits, without blocking a thread, until the peer has acknowledged enough earlier data, then goes out.
 * <p>
 * The future {@link #handOver} returns completes once the session took the reply (or failed for good, for example
 * because the session closed). Callers keep the session's message counted as in progress until then, so a session
 * whose replies wait stops being read: its receive window closes and its peer slows down to the pace at which it
 * takes our replies. That is the back-pressure; without it a fast sender and a slow reader of replies made the
 * server drop replies (each a message the server had acknowledged and handled).
 * <p>
 * A reply waits for the oldest unacknowledged reply of its session to complete, the first moment room can appear;
 * when the session's buffer is held by sends made elsewhere (pushes, user code), it looks again every
 * {@value #RECHECK_MILLIS} ms.
 */
final class ReplyHandOver {

	/** How often a reply looks again for room held by sends this class does not track. */
	static final long RECHECK_MILLIS = 2;

	private static final String ATTRIBUTE = ReplyHandOver.class.getName() + ".unacknowledged";

	private static final Executor RECHECK = CompletableFuture.delayedExecutor(RECHECK_MILLIS, TimeUnit.MILLISECONDS);

	private final LongAdder waitedForRoom = new LongAdder();

	/** Replies that found their session's send buffer full and waited for room (each counted once). */
	long waitedForRoom() {
		return this.waitedForRoom.sum();
	}

	/**
	 * Hands {@code bytes} to {@code session}, waiting for room if need be.
	 * @param session the session to reply on
	 * @param bytes the reply as it goes on the wire
	 * @return two futures: the first completes once the session took the reply (exceptionally if it never will),
	 * the second once the peer acknowledged it
	 */
	HandOver handOver(KcpSession session, byte[] bytes) {
		Unacknowledged unacknowledged = (Unacknowledged) session.attributes()
			.computeIfAbsent(ATTRIBUTE, (key) -> new Unacknowledged());
		HandOver handOver = new HandOver(new CompletableFuture<>(), new CompletableFuture<>());
		attempt(session, bytes, unacknowledged, handOver, true);
		return handOver;
	}

	private void attempt(KcpSession session, byte[] bytes, Unacknowledged unacknowledged, HandOver handOver,
			boolean first) {
		CompletableFuture<Void> acknowledged = session.send(bytes);
		if (acknowledged.isCompletedExceptionally() && failedForRoom(acknowledged)) {
			if (first) {
				this.waitedForRoom.increment();
			}
			CompletableFuture<Void> oldest = unacknowledged.oldest();
			if (oldest != null) {
				oldest.whenComplete((ignored, ex) -> attempt(session, bytes, unacknowledged, handOver, false));
			}
			else {
				CompletableFuture.runAsync(() -> attempt(session, bytes, unacknowledged, handOver, false), RECHECK);
			}
			return;
		}
		unacknowledged.add(acknowledged);
		acknowledged.whenComplete((ignored, ex) -> {
			unacknowledged.remove(acknowledged);
			if (ex != null) {
				handOver.acknowledged().completeExceptionally(ex);
			}
			else {
				handOver.acknowledged().complete(null);
			}
		});
		if (acknowledged.isCompletedExceptionally()) {
			// Refused for another reason (the session closed): taking it will never happen.
			acknowledged.whenComplete((ignored, ex) -> handOver.taken().completeExceptionally(ex));
		}
		else {
			handOver.taken().complete(null);
		}
	}

	private static boolean failedForRoom(CompletableFuture<Void> failed) {
		try {
			failed.getNow(null);
			return false;
		}
		catch (RuntimeException ex) {
			return KcpHandlerMessageListenerAdapter.unwrap(ex) instanceof KcpSendBufferFullException;
		}
	}

	/**
	 * A reply on its way: {@code taken} completes when the session took it, {@code acknowledged} when the peer
	 * acknowledged it (either exceptionally if that never happens).
	 */
	record HandOver(CompletableFuture<Void> taken, CompletableFuture<Void> acknowledged) {
	}

	/** The replies of one session that the peer has not acknowledged yet, oldest first. */
	private static final class Unacknowledged {

		private final ArrayDeque<CompletableFuture<Void>> futures = new ArrayDeque<>();

		synchronized void add(CompletableFuture<Void> future) {
			if (!future.isDone()) {
				this.futures.addLast(future);
			}
		}

		synchronized void remove(CompletableFuture<Void> future) {
			// Acknowledgements complete sends in order, so this is nearly always the first.
			this.futures.remove(future);
		}

		/** The oldest reply not yet acknowledged, or {@code null}; never one that is already done. */
		synchronized @Nullable CompletableFuture<Void> oldest() {
			CompletableFuture<Void> oldest;
			while ((oldest = this.futures.peekFirst()) != null && oldest.isDone()) {
				this.futures.pollFirst();
			}
			return oldest;
		}

	}

}
