package io.github.kcp.core.transport;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.CloseReason;

/**
 * The session is closed (or closing): data can no longer be sent, and data not yet acknowledged will not be.
 */
public class KcpSessionClosedException extends KcpException {

	private static final long serialVersionUID = 1L;

	private final transient CloseReason reason;

	public KcpSessionClosedException(String message, CloseReason reason) {
		super(message);
		this.reason = reason;
	}

	/** Why the session closed, or {@code null} if it is still closing gracefully. */
	public CloseReason getReason() {
		return this.reason;
	}

}
