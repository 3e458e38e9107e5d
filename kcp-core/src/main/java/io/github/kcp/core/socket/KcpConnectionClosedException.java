package io.github.kcp.core.socket;

import java.net.SocketException;

import io.github.kcp.core.connection.CloseReason;
import org.jspecify.annotations.Nullable;

/**
 * The KCP session under a {@link KcpSocket} has closed, so the operation cannot go on: a receive after the session
 * ended for another reason than the peer's close (idle timeout, dead link, server shutdown, error), or a send after
 * the session closed for any reason. {@link #getReason()} says why.
 */
public class KcpConnectionClosedException extends SocketException {

	private static final long serialVersionUID = 1L;

	private final transient @Nullable CloseReason reason;

	/**
	 * Creates the exception.
	 * @param message what failed and why
	 * @param reason why the session closed, or {@code null} if it was still closing
	 * @param cause the transport's exception, if any
	 */
	public KcpConnectionClosedException(String message, @Nullable CloseReason reason, @Nullable Throwable cause) {
		super(message);
		this.reason = reason;
		if (cause != null) {
			initCause(cause);
		}
	}

	/** Why the session closed, or {@code null} if it was still closing when the operation failed. */
	public @Nullable CloseReason getReason() {
		return this.reason;
	}

}
