package io.github.kcp.core.crypto;

/**
 * Encrypts and decrypts one whole UDP datagram: the SPI of the packet encryption stage.
 * <p>
 * The transport calls {@link #encrypt(byte[], int, int)} on each datagram the KCP engine
 * outputs, just before it is sent, and {@link #decrypt(byte[], int, int)} on each datagram
 * received, before it is given to the engine. Implement this interface to plug in any scheme,
 * as aiokcp lets users pass any object with {@code encrypt}/{@code decrypt}; built-in
 * implementations are {@link AesCbcHmacCipher} and {@link AesGcmCipher}, created most simply
 * through {@link PacketCiphers}.
 *
 * <h2>Contract</h2>
 * <ul>
 * <li><b>Thread safety:</b> implementations must be safe for concurrent use. One instance is
 * shared by every session of an endpoint and called from several event-loop threads at the same
 * time, so any mutable {@code javax.crypto.Cipher} or {@code Mac} must be confined to a thread
 * (the built-in ciphers keep one per thread) or created per call.</li>
 * <li><b>Overhead:</b> {@link #encrypt} never returns more than {@code length + overhead()}
 * bytes; the transport takes {@link #overhead()} off the KCP mtu so that encrypted datagrams
 * still fit the configured size.</li>
 * <li><b>Ownership:</b> neither method modifies the input range or keeps a reference to the
 * input array; both return a new array that the caller owns.</li>
 * <li><b>Failure:</b> {@code encrypt} either returns the complete ciphertext or throws (a
 * {@link PacketEncryptionException} for the built-in ciphers); it never returns plaintext
 * or a partial result. The transport then drops the datagram, so plaintext is never sent.
 * {@code decrypt} throws {@link PacketAuthenticationException} for anything that is not an
 * authentic datagram, never returning unauthenticated bytes, and may throw its subtype
 * {@link PacketReplayException} for an authentic datagram it refuses as a replay; the transport
 * drops and counts both.</li>
 * <li><b>Arguments:</b> a {@code null} array is a programming error and causes a
 * {@link NullPointerException}; an {@code offset}/{@code length} outside the array causes an
 * {@link IndexOutOfBoundsException}. Neither is ever caused by the content of a datagram.</li>
 * </ul>
 *
 * @see PacketCiphers
 */
public interface PacketCipher {

	/**
	 * A pass-through cipher for "no encryption" ({@code none}): {@link #overhead()} is 0 and
	 * both directions return a copy of the input range unchanged. The transport may recognise
	 * this instance ({@code cipher == PacketCipher.NONE}) and skip the stage altogether.
	 */
	PacketCipher NONE = PlainPacketCipher.INSTANCE;

	/**
	 * Return a short name for logs and metrics, such as {@code aes-gcm}; never key material.
	 * @return the name of this cipher
	 */
	String name();

	/**
	 * Return the maximum number of bytes that {@link #encrypt(byte[], int, int)} adds to a
	 * datagram; the transport subtracts it from the KCP mtu.
	 * @return the maximum expansion per datagram, zero or more
	 */
	int overhead();

	/**
	 * Encrypt one datagram.
	 * @param plaintext the array holding the datagram to encrypt
	 * @param offset where the datagram starts in {@code plaintext}
	 * @param length the number of bytes of the datagram, zero or more
	 * @return a new array holding the whole datagram to send, at most
	 * {@code length + overhead()} bytes
	 * @throws PacketEncryptionException (or another runtime exception from a user
	 * implementation) if the datagram could not be encrypted; nothing must be sent then
	 * @throws IndexOutOfBoundsException if the range is outside {@code plaintext}
	 */
	byte[] encrypt(byte[] plaintext, int offset, int length);

	/**
	 * Decrypt and authenticate one received datagram.
	 * @param datagram the array holding the datagram as received
	 * @param offset where the datagram starts in {@code datagram}
	 * @param length the number of bytes of the datagram
	 * @return a new array holding the plaintext
	 * @throws PacketAuthenticationException if the datagram is malformed, too short, fails
	 * authentication or does not decrypt to well-formed plaintext
	 * @throws IndexOutOfBoundsException if the range is outside {@code datagram}
	 */
	byte[] decrypt(byte[] datagram, int offset, int length);

	/**
	 * Return a view of this cipher for an endpoint playing {@code role}, for ciphers that bind datagrams to the
	 * direction they travel ({@link AesGcmCipher} refuses, in a server, datagrams a server sent). Transports call
	 * it once per endpoint. The default returns this cipher.
	 * @param role the side the endpoint plays
	 * @return the cipher the endpoint should use
	 */
	default PacketCipher forRole(EndpointRole role) {
		return this;
	}

	/**
	 * Encrypt a whole array; shorthand for {@code encrypt(plaintext, 0, plaintext.length)}.
	 * @param plaintext the datagram to encrypt
	 * @return a new array holding the datagram to send
	 * @throws PacketEncryptionException if the datagram could not be encrypted
	 */
	default byte[] encrypt(byte[] plaintext) {
		return encrypt(plaintext, 0, plaintext.length);
	}

	/**
	 * Decrypt a whole array; shorthand for {@code decrypt(datagram, 0, datagram.length)}.
	 * @param datagram the datagram as received
	 * @return a new array holding the plaintext
	 * @throws PacketAuthenticationException if the datagram is not authentic
	 */
	default byte[] decrypt(byte[] datagram) {
		return decrypt(datagram, 0, datagram.length);
	}

}
