package io.github.kcp.core.transport;

import javax.net.ssl.SSLException;

import io.github.kcp.core.KcpException;

/**
 * The DTLS handshake of a session failed: the peer's certificate was refused (unknown issuer, expired, wrong
 * host name), the peer refused ours or sent none when one was required, or the handshake timed out. The
 * {@link #getCause() cause} is the JDK's {@link SSLException}.
 */
public class KcpHandshakeException extends KcpException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 * @param message what failed, naming the peer
	 * @param cause the TLS failure
	 */
	public KcpHandshakeException(String message, SSLException cause) {
		super(message, cause);
	}

}
