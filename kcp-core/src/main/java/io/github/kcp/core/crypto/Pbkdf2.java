package io.github.kcp.core.crypto;

import java.util.Arrays;
import java.util.Objects;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;

/**
 * PBKDF2 with HMAC-SHA256 (RFC 8018, section 5.2) over raw password bytes.
 * <p>
 * Written out rather than taken from {@code SecretKeyFactory("PBKDF2WithHmacSHA256")} because
 * that API takes the password as {@code char[]} and re-encodes it, which cannot represent
 * arbitrary bytes; aiokcp passes its key bytes to PBKDF2 unchanged, so any byte sequence must
 * derive the same keys here.
 */
final class Pbkdf2 {

	/** The iteration count aiokcp uses; needed for wire compatibility. */
	static final int AIOKCP_ITERATIONS = 480_000;

	private Pbkdf2() {
	}

	/**
	 * Derive {@code length} bytes from a password and salt.
	 * @param password the raw password bytes, possibly empty
	 * @param salt the raw salt bytes, possibly empty
	 * @param iterations the iteration count, at least 1
	 * @param length the number of bytes to derive, at least 1
	 * @return the derived bytes
	 */
	static byte[] deriveHmacSha256(byte[] password, byte[] salt, int iterations, int length) {
		Objects.requireNonNull(password, "password must not be null");
		Objects.requireNonNull(salt, "salt must not be null");
		if (iterations < 1) {
			throw new IllegalArgumentException("PBKDF2 iterations must be at least 1, not " + iterations);
		}
		if (length < 1) {
			throw new IllegalArgumentException("PBKDF2 output length must be at least 1 byte, not " + length);
		}
		int hLen = JceSupport.HMAC_SHA256_LENGTH;
		Mac prf = JceSupport.hmacSha256(JceSupport.hmacSha256Key(password));
		byte[] derived = new byte[length];
		byte[] u = new byte[hLen];
		byte[] t = new byte[hLen];
		try {
			int blocks = (length + hLen - 1) / hLen;
			for (int block = 1; block <= blocks; block++) {
				// U1 = PRF(P, S || INT(i)), INT being the 4-byte big-endian block index
				prf.update(salt);
				prf.update((byte) (block >>> 24));
				prf.update((byte) (block >>> 16));
				prf.update((byte) (block >>> 8));
				prf.update((byte) block);
				prf.doFinal(u, 0);
				System.arraycopy(u, 0, t, 0, hLen);
				for (int i = 1; i < iterations; i++) {
					// Reusing one buffer keeps the 480,000-iteration loop free of allocation
					prf.update(u);
					prf.doFinal(u, 0);
					for (int j = 0; j < hLen; j++) {
						t[j] ^= u[j];
					}
				}
				int offset = (block - 1) * hLen;
				System.arraycopy(t, 0, derived, offset, Math.min(hLen, length - offset));
			}
			return derived;
		}
		catch (ShortBufferException ex) {
			throw new IllegalStateException("HMAC-SHA256 output does not fit " + hLen + " bytes", ex);
		}
		finally {
			// Best effort only: the JCE keeps its own copy of the password inside the Mac
			Arrays.fill(u, (byte) 0);
			Arrays.fill(t, (byte) 0);
		}
	}

}
