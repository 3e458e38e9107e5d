package io.github.kcp.core.crypto;

/**
 * Thrown by {@link PacketCipher#encrypt(byte[], int, int)} when a datagram cannot be encrypted,
 * typically because the JCE provider refused an operation.
 * <p>
 * No ciphertext or plaintext is produced in that case: the transport drops the datagram rather
 * than ever sending it unencrypted, and the protocol's retransmission recovers if the failure
 * was transient.
 */
public class PacketEncryptionException extends PacketCipherException {

	private static final long serialVersionUID = 1L;

	/**
	 * Create a new exception.
	 * @param message what went wrong
	 * @param cause the underlying JCE failure
	 */
	public PacketEncryptionException(String message, Throwable cause) {
		super(message, cause);
	}

}
