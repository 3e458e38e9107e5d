package io.github.kcp.spring.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Replies matched in order, for raw KCP messages that carry no correlation id: the oldest request waiting on the
 * session takes the next message. A request that times out must close the session, since its reply may still come
 * and would be taken for the next request's.
 */
final class InOrderCorrelation implements ReplyCorrelation {

	private final ArrayDeque<PendingReply<?>> waiting = new ArrayDeque<>();

	@Override
	public synchronized int register(PendingReply<?> request) {
		this.waiting.addLast(request);
		return 0;
	}

	@Override
	public synchronized void withdraw(PendingReply<?> request) {
		this.waiting.removeLastOccurrence(request);
	}

	@Override
	public synchronized @Nullable PendingReply<?> take(int correlationId) {
		return this.waiting.pollFirst();
	}

	@Override
	public synchronized boolean timedOut(PendingReply<?> request) {
		this.waiting.remove(request);
		return true;
	}

	@Override
	public boolean isOrdered() {
		return true;
	}

	@Override
	public synchronized List<PendingReply<?>> drain() {
		List<PendingReply<?>> all = new ArrayList<>(this.waiting);
		this.waiting.clear();
		return all;
	}

}
