package io.github.kcp.spring.support;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link KcpSessionListener}s of one container or template, called in the order they were added; one that
 * throws is logged (once per listener) and the others are still called. Listeners may be added at any time: a
 * listener added while sessions are open hears of their RTT samples and closes, not of their opening.
 */
public final class KcpSessionListeners implements KcpSessionListener {

	private static final Logger logger = LoggerFactory.getLogger(KcpSessionListeners.class);

	private final List<KcpSessionListener> listeners = new CopyOnWriteArrayList<>();

	private final Set<KcpSessionListener> failedOnce = ConcurrentHashMap.newKeySet();

	/**
	 * Adds a listener.
	 * @param listener the listener
	 */
	public void add(KcpSessionListener listener) {
		this.listeners.add(Objects.requireNonNull(listener, "listener"));
	}

	/**
	 * Removes a listener.
	 * @param listener the listener
	 */
	public void remove(KcpSessionListener listener) {
		this.listeners.remove(listener);
	}

	/** Whether no listener is registered. */
	public boolean isEmpty() {
		return this.listeners.isEmpty();
	}

	@Override
	public void sessionOpened(KcpSession session) {
		for (KcpSessionListener listener : this.listeners) {
			try {
				listener.sessionOpened(session);
			}
			catch (RuntimeException ex) {
				failed(listener, "sessionOpened", ex);
			}
		}
	}

	@Override
	public void rttSampled(KcpSession session, int rttMillis) {
		for (KcpSessionListener listener : this.listeners) {
			try {
				listener.rttSampled(session, rttMillis);
			}
			catch (RuntimeException ex) {
				failed(listener, "rttSampled", ex);
			}
		}
	}

	@Override
	public void sessionClosed(KcpSession session, CloseReason reason) {
		for (KcpSessionListener listener : this.listeners) {
			try {
				listener.sessionClosed(session, reason);
			}
			catch (RuntimeException ex) {
				failed(listener, "sessionClosed", ex);
			}
		}
	}

	private void failed(KcpSessionListener listener, String callback, RuntimeException ex) {
		if (this.failedOnce.add(listener)) {
			logger.warn("KcpSessionListener {} failed in {} (logged once per listener)", listener, callback, ex);
		}
	}

	@Override
	public String toString() {
		return "KcpSessionListeners" + this.listeners;
	}

}
