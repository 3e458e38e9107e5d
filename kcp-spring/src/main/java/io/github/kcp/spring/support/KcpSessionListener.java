package io.github.kcp.spring.support;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;

/**
 * Observes the sessions of a {@link io.github.kcp.spring.listener.KcpServerContainer} or a
 * {@link io.github.kcp.spring.core.KcpTemplate}: each session opening, each round-trip sample of its engine, its
 * close. The seam for metrics ({@code support.micrometer}) and diagnostics; it sees every session, including those
 * a stopping server refuses.
 * <p>
 * Called on the session's event-loop thread: a listener must be quick and must not block. {@link KcpSession#stats()}
 * is cheap there, so {@link #sessionClosed} can take the session's final counters. An exception a listener throws is
 * logged and otherwise ignored.
 */
public interface KcpSessionListener {

	/**
	 * A session opened.
	 * @param session the session
	 */
	default void sessionOpened(KcpSession session) {
	}

	/**
	 * The session's engine took a round-trip time sample (one per acknowledgement it received).
	 * @param session the session
	 * @param rttMillis the round trip of one segment, in milliseconds
	 */
	default void rttSampled(KcpSession session, int rttMillis) {
	}

	/**
	 * A session closed; its {@link KcpSession#stats() counters} are final.
	 * @param session the session
	 * @param reason why it closed
	 */
	default void sessionClosed(KcpSession session, CloseReason reason) {
	}

}
