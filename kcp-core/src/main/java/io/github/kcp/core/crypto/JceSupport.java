package io.github.kcp.core.crypto;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Creates the JCE objects of the built-in ciphers and the per-thread copies they need.
 */
final class JceSupport {

	static final String HMAC_SHA256 = "HmacSHA256";

	/** Output (and tag) length of HMAC-SHA256, in bytes. */
	static final int HMAC_SHA256_LENGTH = 32;

	private JceSupport() {
	}

	/**
	 * Create a cipher for a transformation every Java platform must support, so a failure here
	 * means a broken runtime rather than bad input.
	 */
	static Cipher cipher(String transformation) {
		try {
			return Cipher.getInstance(transformation);
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("The Java runtime does not provide the required cipher '"
					+ transformation + "'", ex);
		}
	}

	/**
	 * Create an HMAC-SHA256 instance initialised with the given key.
	 */
	static Mac hmacSha256(SecretKeySpec key) {
		try {
			Mac mac = Mac.getInstance(HMAC_SHA256);
			mac.init(key);
			return mac;
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("The Java runtime cannot initialise " + HMAC_SHA256, ex);
		}
	}

	/**
	 * Return an HMAC-SHA256 key holding the given raw bytes, empty included.
	 * <p>
	 * {@link SecretKeySpec} rejects an empty key, yet PBKDF2 with an empty password is legal and
	 * aiokcp accepts it. HMAC pads any key shorter than the 64-byte block with zero bytes, so
	 * the empty key and the single byte {@code 0x00} give identical MACs; the tests check this
	 * against a known value.
	 */
	static SecretKeySpec hmacSha256Key(byte[] key) {
		return new SecretKeySpec((key.length != 0) ? key : new byte[1], HMAC_SHA256);
	}

	/**
	 * Return a thread-local {@link SecureRandom} for IVs and nonces.
	 * <p>
	 * {@code SecureRandom} is thread-safe, but the Linux default ({@code NativePRNG}) serialises
	 * every caller of every instance on one global lock, which event-loop threads should not
	 * contend for on each datagram. {@code DRBG} instances keep independent state, so one per
	 * thread does not contend; the default is the fallback where DRBG is unavailable.
	 */
	static ThreadLocal<SecureRandom> threadLocalRandom() {
		return ThreadLocal.withInitial(JceSupport::newRandom);
	}

	private static SecureRandom newRandom() {
		try {
			return SecureRandom.getInstance("DRBG");
		}
		catch (NoSuchAlgorithmException ex) {
			return new SecureRandom();
		}
	}

}
