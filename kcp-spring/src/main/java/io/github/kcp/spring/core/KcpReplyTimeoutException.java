package io.github.kcp.spring.core;

import java.net.InetSocketAddress;
import java.time.Duration;

import io.github.kcp.core.KcpException;

/**
 * No reply to a {@link KcpOperations#sendAndReceive sendAndReceive} request arrived within its timeout.
 * <p>
 * When replies are matched to requests in order (raw messages), a reply that is late would be taken for the
 * answer to the next request. The template therefore closes the session of a request that timed out; the other
 * requests outstanding on it fail with a {@link io.github.kcp.core.transport.KcpSessionClosedException}, and the
 * next request to the same target opens a new session. With correlation ids (the messaging envelope) the session
 * stays open and a late reply is dropped.
 */
public class KcpReplyTimeoutException extends KcpException {

	private static final long serialVersionUID = 1L;

	private final transient InetSocketAddress target;

	private final Duration timeout;

	/**
	 * Create an exception for a request to {@code target} that got no reply within {@code timeout}.
	 * @param target where the request went
	 * @param conv the conversation id of the session it went on
	 * @param timeout how long the request waited
	 * @param sessionClosed whether the session was closed because of it
	 */
	public KcpReplyTimeoutException(InetSocketAddress target, int conv, Duration timeout, boolean sessionClosed) {
		super("No reply from " + target + " (session conv=" + Integer.toUnsignedString(conv) + ") within "
				+ timeout.toMillis() + " ms" + (sessionClosed ? "; the session was closed so that a late reply "
						+ "cannot be taken for the answer to a later request, and the next request opens a new one"
						: ""));
		this.target = target;
		this.timeout = timeout;
	}

	/** Where the request went. */
	public InetSocketAddress getTarget() {
		return this.target;
	}

	/** How long the request waited for its reply. */
	public Duration getTimeout() {
		return this.timeout;
	}

}
