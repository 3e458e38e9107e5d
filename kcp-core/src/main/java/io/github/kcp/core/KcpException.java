package io.github.kcp.core;

import org.jspecify.annotations.Nullable;

/**
 * The root of the unchecked exceptions of this library: engine ({@code protocol}), packet ciphers
 * ({@code crypto}), settings and connection ({@code connection}) and transport ({@code transport}). Catch it to
 * handle every KCP failure at once. The blocking socket API throws {@link java.io.IOException}s instead, as
 * {@link java.net.Socket} does.
 */
public class KcpException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 * @param message what went wrong and, where it helps, what to do
	 */
	public KcpException(String message) {
		super(message);
	}

	/**
	 * Creates the exception.
	 * @param message what went wrong and, where it helps, what to do
	 * @param cause the underlying failure
	 */
	public KcpException(String message, @Nullable Throwable cause) {
		super(message, cause);
	}

}
