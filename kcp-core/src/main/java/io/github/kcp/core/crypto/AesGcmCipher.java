package io.github.kcp.core.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code aes-gcm} packet cipher: AES in Galois/Counter Mode with a random 96-bit nonce and
 * a 128-bit tag, without associated data (the layout kcp-go uses for AES-GCM).
 * <p>
 * A datagram is laid out as
 * <pre>
 * nonce (12 random bytes) || ciphertext (as long as the plaintext) || tag (16 bytes)
 * </pre>
 * so it grows by exactly {@value #OVERHEAD} bytes.
 * <p>
 * Create it from a raw AES key with {@link #withKey(byte[])}, or from a passphrase with
 * {@link #derive(byte[], byte[])}, which computes
 * {@code PBKDF2-HMAC-SHA256(password = key, salt, 480000 iterations, 32 bytes)} and uses the
 * result as an AES-256 key. Those 32 bytes equal the first half of aiokcp's key material, i.e.
 * the {@code aes-cbc-hmac} signing key for the same key and salt; use a different salt per mode
 * if both modes are ever configured with one passphrase.
 * <p>
 * Nonces are random, so one key should protect no more than about 2<sup>32</sup> datagrams
 * (NIST SP 800-38D) before it is changed.
 * <p>
 * Instances are immutable and safe for concurrent use: each thread gets its own
 * {@link Cipher} and {@link SecureRandom}.
 *
 * @see PacketCiphers#of(CipherMode, byte[], byte[])
 */
public final class AesGcmCipher implements PacketCipher {

	/** The name of this cipher in configuration and logs. */
	public static final String NAME = "aes-gcm";

	/** Number of bytes added to every datagram: nonce and tag. */
	public static final int OVERHEAD = 28;

	static final int NONCE_LENGTH = 12;

	private static final int TAG_LENGTH = 16;

	private static final int DERIVED_KEY_LENGTH = 32;

	// Keeps the output size computation (length + OVERHEAD) clear of int overflow
	private static final int MAX_PLAINTEXT_LENGTH = Integer.MAX_VALUE - 2 * OVERHEAD;

	private final SecretKeySpec key;

	private final int keyBits;

	// Cipher is stateful and not thread-safe; one per thread avoids locking and lookups
	private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(() -> JceSupport.cipher("AES/GCM/NoPadding"));

	private final ThreadLocal<SecureRandom> randoms = JceSupport.threadLocalRandom();

	private AesGcmCipher(byte[] key) {
		this.key = new SecretKeySpec(key, "AES");
		this.keyBits = key.length * 8;
		// Fail now, on the configuring thread, rather than on the first datagram
		this.ciphers.get();
	}

	/**
	 * Create a cipher from a raw AES key. The array is copied.
	 * @param key 16, 24 or 32 bytes, for AES-128, AES-192 or AES-256
	 * @return the cipher
	 */
	public static AesGcmCipher withKey(byte[] key) {
		Objects.requireNonNull(key, "key must not be null");
		if (key.length != 16 && key.length != 24 && key.length != 32) {
			throw new IllegalArgumentException("An " + NAME + " key must be 16, 24 or 32 bytes (AES-128, -192 or -256), not "
					+ key.length + "; to use a passphrase of any length call AesGcmCipher.derive(key, salt)");
		}
		return new AesGcmCipher(key);
	}

	/**
	 * Derive an AES-256 key from a passphrase and salt with PBKDF2-HMAC-SHA256 and 480,000
	 * iterations, as aiokcp does for its keys. Takes in the order of a second.
	 * @param key the raw passphrase bytes (any bytes, not necessarily UTF-8; may be empty)
	 * @param salt the raw salt bytes (may be empty)
	 * @return the cipher
	 */
	public static AesGcmCipher derive(byte[] key, byte[] salt) {
		return derive(key, salt, Pbkdf2.AIOKCP_ITERATIONS);
	}

	/**
	 * Derive an AES-256 key from a passphrase and salt with a chosen PBKDF2 iteration count,
	 * meant for tests; {@link #derive(byte[], byte[])} uses 480,000.
	 * @param key the raw passphrase bytes (any bytes, not necessarily UTF-8; may be empty)
	 * @param salt the raw salt bytes (may be empty)
	 * @param iterations the PBKDF2 iteration count, at least 1
	 * @return the cipher
	 */
	public static AesGcmCipher derive(byte[] key, byte[] salt, int iterations) {
		Objects.requireNonNull(key, "key must not be null");
		Objects.requireNonNull(salt, "salt must not be null");
		byte[] derived = Pbkdf2.deriveHmacSha256(key, salt, iterations, DERIVED_KEY_LENGTH);
		try {
			return new AesGcmCipher(derived);
		}
		finally {
			Arrays.fill(derived, (byte) 0);
		}
	}

	@Override
	public String name() {
		return NAME;
	}

	/**
	 * Return {@value #OVERHEAD}: a 12-byte nonce and a 16-byte tag.
	 * @return {@value #OVERHEAD}
	 */
	@Override
	public int overhead() {
		return OVERHEAD;
	}

	/**
	 * Encrypt one datagram under a fresh random nonce.
	 * @param plaintext the array holding the datagram to encrypt
	 * @param offset where the datagram starts
	 * @param length the number of bytes, zero or more
	 * @return {@code nonce || ciphertext || tag}, {@code length + 28} bytes
	 * @throws PacketEncryptionException if the JCE fails to encrypt
	 */
	@Override
	public byte[] encrypt(byte[] plaintext, int offset, int length) {
		byte[] nonce = new byte[NONCE_LENGTH];
		this.randoms.get().nextBytes(nonce);
		return encryptWithNonce(nonce, plaintext, offset, length);
	}

	/**
	 * Encrypt with a caller-chosen nonce. Package-private because reusing a nonce under one key
	 * breaks GCM completely; it exists so tests can check known answers.
	 */
	byte[] encryptWithNonce(byte[] nonce, byte[] plaintext, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, plaintext.length);
		if (nonce.length != NONCE_LENGTH) {
			throw new IllegalArgumentException("Nonce must be " + NONCE_LENGTH + " bytes, not " + nonce.length);
		}
		if (length > MAX_PLAINTEXT_LENGTH) {
			throw new IllegalArgumentException("Plaintext of " + length + " bytes is too large to encrypt");
		}
		byte[] datagram = new byte[NONCE_LENGTH + length + TAG_LENGTH];
		System.arraycopy(nonce, 0, datagram, 0, NONCE_LENGTH);
		try {
			Cipher cipher = this.ciphers.get();
			cipher.init(Cipher.ENCRYPT_MODE, this.key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
			int written = cipher.doFinal(plaintext, offset, length, datagram, NONCE_LENGTH);
			if (written != length + TAG_LENGTH) {
				throw new IllegalStateException(
						"AES-GCM produced " + written + " bytes where " + (length + TAG_LENGTH) + " were expected");
			}
			return datagram;
		}
		catch (GeneralSecurityException | RuntimeException ex) {
			// Do not reuse a Cipher whose state an exception may have left half-way
			this.ciphers.remove();
			throw new PacketEncryptionException(NAME + " could not encrypt a datagram of " + length + " bytes", ex);
		}
	}

	/**
	 * Authenticate and decrypt one datagram.
	 * @param datagram the array holding {@code nonce || ciphertext || tag}
	 * @param offset where the datagram starts
	 * @param length the number of bytes of the datagram
	 * @return the plaintext, {@code length - 28} bytes
	 * @throws PacketAuthenticationException if the datagram is shorter than 28 bytes or its tag
	 * does not verify
	 */
	@Override
	public byte[] decrypt(byte[] datagram, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, datagram.length);
		if (length < NONCE_LENGTH + TAG_LENGTH) {
			throw new PacketAuthenticationException("Rejected " + NAME + " datagram of " + length
					+ " bytes: shorter than its 12-byte nonce and 16-byte tag");
		}
		try {
			Cipher cipher = this.ciphers.get();
			cipher.init(Cipher.DECRYPT_MODE, this.key, new GCMParameterSpec(TAG_LENGTH * 8, datagram, offset, NONCE_LENGTH));
			// The JCE releases no plaintext before the tag has been verified
			return cipher.doFinal(datagram, offset + NONCE_LENGTH, length - NONCE_LENGTH);
		}
		catch (AEADBadTagException ex) {
			this.ciphers.remove();
			throw new PacketAuthenticationException(
					"Rejected " + NAME + " datagram of " + length + " bytes: tag does not verify (wrong key or tampered)");
		}
		catch (GeneralSecurityException ex) {
			this.ciphers.remove();
			throw new IllegalStateException("The Java runtime refused to decrypt with AES-GCM", ex);
		}
	}

	@Override
	public String toString() {
		return "AesGcmCipher[" + NAME + ", " + this.keyBits + "-bit key]";
	}

}
