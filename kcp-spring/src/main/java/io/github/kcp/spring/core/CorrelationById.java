package io.github.kcp.spring.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * Replies matched by correlation id, with the messaging envelope: each request gets the next id of its session
 * (1, 2, ... wrapping past 2^32 - 1 and never 0 or an id still waiting), and a reply or error frame goes to the
 * request with its id, in any order. A request that times out is simply forgotten: its late reply finds no one and
 * is dropped, so the session stays open.
 */
final class CorrelationById implements ReplyCorrelation {

	private final Map<Integer, PendingReply<?>> waiting = new ConcurrentHashMap<>();

	/** Only touched under the session's write lock. */
	private int lastId;

	@Override
	public int register(PendingReply<?> request) {
		int id;
		do {
			id = ++this.lastId;
		}
		while (id == 0 || this.waiting.putIfAbsent(id, request) != null);
		return id;
	}

	@Override
	public void withdraw(PendingReply<?> request) {
		this.waiting.remove(request.correlationId, request);
	}

	@Override
	public @Nullable PendingReply<?> take(int correlationId) {
		return this.waiting.remove(correlationId);
	}

	@Override
	public boolean timedOut(PendingReply<?> request) {
		this.waiting.remove(request.correlationId, request);
		return false;
	}

	@Override
	public boolean isOrdered() {
		return false;
	}

	@Override
	public List<PendingReply<?>> drain() {
		List<PendingReply<?>> all = new ArrayList<>();
		for (Integer id : List.copyOf(this.waiting.keySet())) {
			PendingReply<?> request = this.waiting.remove(id);
			if (request != null) {
				all.add(request);
			}
		}
		return all;
	}

}
