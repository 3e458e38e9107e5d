package io.github.kcp.spring.core;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.github.kcp.core.connection.CloseReason;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions of a {@link KcpTemplate}, one per target: opened on first use, reused by every caller, replaced
 * once closed or retired.
 */
final class ClientSessionPool {

	private static final Logger logger = LoggerFactory.getLogger(ClientSessionPool.class);

	private final Function<InetSocketAddress, ClientSession> opener;

	private final Map<InetSocketAddress, ClientSession> sessions = new ConcurrentHashMap<>();

	/** One lock per target, so that concurrent first calls to a target open one session. */
	private final Map<InetSocketAddress, Object> connectLocks = new ConcurrentHashMap<>();

	private volatile boolean closed;

	/**
	 * @param opener opens a session to a target (blocking until its socket is bound)
	 */
	ClientSessionPool(Function<InetSocketAddress, ClientSession> opener) {
		this.opener = opener;
	}

	/**
	 * The usable session to a target, opening one if there is none.
	 * @throws IllegalStateException if the pool is closed
	 */
	ClientSession sessionFor(InetSocketAddress target) {
		if (this.closed) {
			throw new IllegalStateException("The KcpTemplate has been destroyed");
		}
		ClientSession existing = this.sessions.get(target);
		if (existing != null && existing.isUsable()) {
			return existing;
		}
		// Not ConcurrentHashMap.compute: connecting waits for the event loop, which may be removing a closed
		// session from the map at that moment.
		synchronized (this.connectLocks.computeIfAbsent(target, (key) -> new Object())) {
			ClientSession current = this.sessions.get(target);
			if (current != null && current.isUsable()) {
				return current;
			}
			ClientSession opened = this.opener.apply(target);
			this.sessions.put(target, opened);
			if (this.closed) {
				// close() ran meanwhile and may have missed it: nobody else would ever close this session.
				opened.retire(null, null, "the template was destroyed");
				throw new IllegalStateException("The KcpTemplate has been destroyed");
			}
			return opened;
		}
	}

	/** The usable session to a target, or {@code null} if none is open; opens nothing. */
	@Nullable ClientSession openSessionTo(InetSocketAddress target) {
		ClientSession existing = this.sessions.get(target);
		return (existing != null && existing.isUsable()) ? existing : null;
	}

	/** Forgets a session that is out of use (if it is still the one of its target). */
	void remove(ClientSession session) {
		this.sessions.remove(session.target, session);
	}

	/** The targets with a session. */
	Set<InetSocketAddress> targets() {
		return Set.copyOf(this.sessions.keySet());
	}

	/** The sessions now in the pool. */
	List<ClientSession> sessions() {
		return List.copyOf(this.sessions.values());
	}

	/**
	 * Refuses new sessions, closes every session gracefully and waits up to {@code timeout} for them; those still
	 * open then are aborted.
	 */
	void close(Duration timeout) {
		this.closed = true;
		List<ClientSession> open = sessions();
		List<CompletableFuture<CloseReason>> closing = new ArrayList<>();
		for (ClientSession session : open) {
			closing.add(session.retire(null, null, "the template was destroyed"));
		}
		this.sessions.clear();
		try {
			CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
				.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			for (ClientSession session : open) {
				if (session.session.closeReason() == null) {
					logger.debug("KCP template {} did not close within {} ms; aborting it", session.describe(),
							timeout.toMillis());
					session.session.abort();
				}
			}
		}
	}

}
