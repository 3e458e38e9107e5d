package io.github.kcp.core.crypto;

/**
 * Thrown by {@link PacketCipher#decrypt(byte[], int, int)} when a datagram is malformed, too
 * short, fails authentication, or does not decrypt to well-formed plaintext.
 * <p>
 * The built-in ciphers deliberately report all of these with this one type (and no cause) so
 * that a receiver cannot be used as an oracle telling a wrong tag from bad padding. The
 * transport drops such a datagram and counts it; it never creates a session from it.
 */
public class PacketAuthenticationException extends PacketCipherException {

	private static final long serialVersionUID = 1L;

	/**
	 * Create a new exception.
	 * @param message why the datagram was rejected
	 */
	public PacketAuthenticationException(String message) {
		super(message);
	}

}
