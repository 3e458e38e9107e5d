package io.github.kcp.core.transport;

/**
 * Base class of the unchecked exceptions of the KCP transport.
 */
public class KcpException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	public KcpException(String message) {
		super(message);
	}

	public KcpException(String message, Throwable cause) {
		super(message, cause);
	}

}
