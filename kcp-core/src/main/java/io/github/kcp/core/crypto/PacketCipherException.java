package io.github.kcp.core.crypto;

import io.github.kcp.core.KcpException;

/**
 * Base class of the exceptions a {@link PacketCipher} throws for one datagram.
 * <p>
 * Unchecked on purpose: a failure concerns a single datagram, which the transport simply
 * drops and counts, so forcing every caller to declare it would add noise and no safety.
 * Catch this type to handle both directions at once.
 *
 * @see PacketAuthenticationException
 * @see PacketEncryptionException
 */
public class PacketCipherException extends KcpException {

	private static final long serialVersionUID = 1L;

	/**
	 * Create a new exception.
	 * @param message what went wrong, never containing key material or plaintext
	 */
	public PacketCipherException(String message) {
		super(message);
	}

	/**
	 * Create a new exception.
	 * @param message what went wrong, never containing key material or plaintext
	 * @param cause the underlying JCE failure
	 */
	public PacketCipherException(String message, Throwable cause) {
		super(message, cause);
	}

}
