package io.github.kcp.core.transport;

import io.github.kcp.core.KcpException;
import org.jspecify.annotations.Nullable;

/**
 * A server stopped because it could not go on: an {@link Error} (an OutOfMemoryError, a StackOverflowError, an
 * assertion or another bug's Error, the handlers' included) was thrown on its event loop, or its event loop stopped
 * responding during a shutdown. Its {@link KcpServer#closeFuture() close future} completes exceptionally with this
 * exception (the Error, if any, is the cause); its sessions closed with
 * {@link io.github.kcp.core.connection.CloseReason#ERROR}, and it was logged at ERROR level.
 */
public class KcpServerFailedException extends KcpException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 * @param message what happened
	 * @param cause the Error thrown on the event loop, or {@code null}
	 */
	public KcpServerFailedException(String message, @Nullable Throwable cause) {
		super(message, cause);
	}

}
