package io.github.kcp.core.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.jspecify.annotations.Nullable;

/**
 * The {@code aes-cbc-hmac} packet cipher: AES-256-CBC with PKCS#7 padding, then HMAC-SHA256
 * (encrypt-then-MAC), byte-compatible with aiokcp's {@code AES_CBC} crypto.
 * <p>
 * A datagram is laid out as
 * <pre>
 * IV (16 random bytes) || AES-256-CBC(encryption key, IV, PKCS7(plaintext)) || HMAC-SHA256(signing key, IV || ciphertext) (32 bytes)
 * </pre>
 * so it grows by at most {@value #OVERHEAD} bytes (IV, up to one block of padding, HMAC).
 * <p>
 * The keys come from {@link #derive(byte[], byte[])} exactly as aiokcp derives them:
 * {@code okm = PBKDF2-HMAC-SHA256(password = key, salt, 480000 iterations, 64 bytes)}, signing
 * key {@code okm[0..32)}, encryption key {@code okm[32..64)}. Derivation deliberately costs
 * around a second, so do it once per application (endpoints and sessions share the instance),
 * never per session or datagram.
 * <p>
 * Decryption verifies the HMAC, in constant time, before touching the ciphertext, so forged
 * datagrams are rejected without being decrypted and padding errors cannot serve as an oracle.
 * <p>
 * <b>Replays.</b> aiokcp's format carries no time and no sequence number, and adding either would break
 * compatibility. What can be done without them is done: an instance remembers the HMACs of (about) the last
 * {@value #DEFAULT_REPLAY_MEMORY} datagrams it accepted (about 1 MB; see {@link #withReplayMemory(int)}) and
 * refuses one that comes again with a {@link PacketReplayException}. A datagram captured longer ago than that, or
 * replayed into a restarted receiver, is accepted: where replays matter and both peers run this library, use
 * {@link AesGcmCipher}, which refuses every replay.
 * <p>
 * Instances are immutable and safe for concurrent use: each thread gets its own
 * {@link Cipher}, {@link Mac} and {@link SecureRandom}.
 *
 * @see PacketCiphers#of(CipherMode, byte[], byte[])
 */
public final class AesCbcHmacCipher implements PacketCipher {

	/** The name of this cipher in configuration and logs. */
	public static final String NAME = "aes-cbc-hmac";

	/** Length in bytes of each of the two keys. */
	public static final int KEY_LENGTH = 32;

	/** Maximum number of bytes added to a datagram: IV, one block of padding and the HMAC. */
	public static final int OVERHEAD = 64;

	/** Default number of recent datagrams whose HMACs a receiver remembers to refuse their replay. */
	public static final int DEFAULT_REPLAY_MEMORY = 65_536;

	static final int IV_LENGTH = 16;

	private static final int BLOCK_SIZE = 16;

	private static final int MAC_LENGTH = JceSupport.HMAC_SHA256_LENGTH;

	// Keeps the output size computation (length + OVERHEAD) clear of int overflow
	private static final int MAX_PLAINTEXT_LENGTH = Integer.MAX_VALUE - 2 * OVERHEAD;

	private final SecretKeySpec signingKey;

	private final SecretKeySpec encryptionKey;

	// Cipher and Mac are stateful and not thread-safe; one per thread avoids both locking and
	// the cost of a provider lookup per datagram.
	private final ThreadLocal<Cipher> ciphers = ThreadLocal
		.withInitial(() -> JceSupport.cipher("AES/CBC/PKCS5Padding"));

	private final ThreadLocal<Mac> macs;

	private final ThreadLocal<SecureRandom> randoms = JceSupport.threadLocalRandom();

	private final int replayMemory;

	private final @Nullable RecentTags recentTags;

	private AesCbcHmacCipher(byte[] signingKey, byte[] encryptionKey) {
		this(new SecretKeySpec(signingKey, JceSupport.HMAC_SHA256), new SecretKeySpec(encryptionKey, "AES"),
				DEFAULT_REPLAY_MEMORY);
	}

	private AesCbcHmacCipher(SecretKeySpec signingKey, SecretKeySpec encryptionKey, int replayMemory) {
		this.signingKey = signingKey;
		this.encryptionKey = encryptionKey;
		this.replayMemory = replayMemory;
		this.recentTags = (replayMemory > 0) ? new RecentTags(replayMemory) : null;
		this.macs = ThreadLocal.withInitial(() -> JceSupport.hmacSha256(this.signingKey));
		// Fail now, on the configuring thread, if the runtime lacks AES or HMAC-SHA256 or
		// refuses the key, rather than on the first datagram.
		this.ciphers.get();
		this.macs.get();
	}

	/**
	 * Derive the keys from a key and salt as aiokcp does, with 480,000 PBKDF2 iterations.
	 * Takes in the order of a second.
	 * @param key the raw key bytes (any bytes, not necessarily UTF-8; may be empty)
	 * @param salt the raw salt bytes (may be empty)
	 * @return the cipher
	 */
	public static AesCbcHmacCipher derive(byte[] key, byte[] salt) {
		return derive(key, salt, Pbkdf2.AIOKCP_ITERATIONS);
	}

	/**
	 * Derive the keys from a key and salt with a chosen PBKDF2 iteration count. Only 480,000,
	 * as used by {@link #derive(byte[], byte[])}, interoperates with aiokcp; other counts are
	 * meant for tests and for deployments where both peers use this library.
	 * @param key the raw key bytes (any bytes, not necessarily UTF-8; may be empty)
	 * @param salt the raw salt bytes (may be empty)
	 * @param iterations the PBKDF2 iteration count, at least 1
	 * @return the cipher
	 */
	public static AesCbcHmacCipher derive(byte[] key, byte[] salt, int iterations) {
		Objects.requireNonNull(key, "key must not be null");
		Objects.requireNonNull(salt, "salt must not be null");
		byte[] okm = Pbkdf2.deriveHmacSha256(key, salt, iterations, 2 * KEY_LENGTH);
		byte[] signingKey = Arrays.copyOfRange(okm, 0, KEY_LENGTH);
		byte[] encryptionKey = Arrays.copyOfRange(okm, KEY_LENGTH, 2 * KEY_LENGTH);
		try {
			return new AesCbcHmacCipher(signingKey, encryptionKey);
		}
		finally {
			// Best effort: the key specs hold their own copies
			Arrays.fill(okm, (byte) 0);
			Arrays.fill(signingKey, (byte) 0);
			Arrays.fill(encryptionKey, (byte) 0);
		}
	}

	/**
	 * Create a cipher from keys that were derived already, for example stored after one
	 * expensive {@link #derive(byte[], byte[])}. The arrays are copied.
	 * @param signingKey the 32-byte HMAC-SHA256 key ({@code okm[0..32)})
	 * @param encryptionKey the 32-byte AES-256 key ({@code okm[32..64)})
	 * @return the cipher
	 */
	public static AesCbcHmacCipher fromDerivedKeys(byte[] signingKey, byte[] encryptionKey) {
		Objects.requireNonNull(signingKey, "signingKey must not be null");
		Objects.requireNonNull(encryptionKey, "encryptionKey must not be null");
		checkKeyLength("signing key", signingKey);
		checkKeyLength("encryption key", encryptionKey);
		return new AesCbcHmacCipher(signingKey, encryptionKey);
	}

	/**
	 * A copy of this cipher (same keys) that remembers the HMACs of the last {@code datagrams} datagrams it
	 * accepted, to refuse their replay; 0 turns the memory off. Costs about 16 bytes per datagram remembered.
	 * @param datagrams how many recent datagrams to remember, 0 or more
	 * @return the new cipher, with an empty memory
	 */
	public AesCbcHmacCipher withReplayMemory(int datagrams) {
		if (datagrams < 0) {
			throw new IllegalArgumentException("Replay memory must be 0 (off) or more datagrams but was " + datagrams);
		}
		return new AesCbcHmacCipher(this.signingKey, this.encryptionKey, datagrams);
	}

	/**
	 * How many recent datagrams this cipher remembers to refuse their replay (0: none).
	 * @return the number of datagrams
	 */
	public int replayMemory() {
		return this.replayMemory;
	}

	private static void checkKeyLength(String what, byte[] key) {
		if (key.length != KEY_LENGTH) {
			throw new IllegalArgumentException("The " + NAME + " " + what + " must be " + KEY_LENGTH
					+ " bytes, not " + key.length + "; derive it with AesCbcHmacCipher.derive(key, salt)");
		}
	}

	@Override
	public String name() {
		return NAME;
	}

	/**
	 * Return {@value #OVERHEAD}: a 16-byte IV, at most 16 bytes of padding and a 32-byte HMAC.
	 * @return {@value #OVERHEAD}
	 */
	@Override
	public int overhead() {
		return OVERHEAD;
	}

	/**
	 * Encrypt one datagram under a fresh random IV.
	 * @param plaintext the array holding the datagram to encrypt
	 * @param offset where the datagram starts
	 * @param length the number of bytes, zero or more
	 * @return {@code IV || ciphertext || HMAC}, {@code 48 + 16 * (length / 16 + 1)} bytes
	 * @throws PacketEncryptionException if the JCE fails to encrypt
	 */
	@Override
	public byte[] encrypt(byte[] plaintext, int offset, int length) {
		byte[] iv = new byte[IV_LENGTH];
		this.randoms.get().nextBytes(iv);
		return encryptWithIv(iv, plaintext, offset, length);
	}

	/**
	 * Encrypt with a caller-chosen IV. Package-private because a repeated or predictable IV
	 * weakens CBC; it exists so tests can reproduce aiokcp's vectors byte for byte.
	 */
	byte[] encryptWithIv(byte[] iv, byte[] plaintext, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, plaintext.length);
		if (iv.length != IV_LENGTH) {
			throw new IllegalArgumentException("IV must be " + IV_LENGTH + " bytes, not " + iv.length);
		}
		if (length > MAX_PLAINTEXT_LENGTH) {
			throw new IllegalArgumentException("Plaintext of " + length + " bytes is too large to encrypt");
		}
		int cipherLength = (length / BLOCK_SIZE + 1) * BLOCK_SIZE;
		byte[] datagram = new byte[IV_LENGTH + cipherLength + MAC_LENGTH];
		System.arraycopy(iv, 0, datagram, 0, IV_LENGTH);
		try {
			Cipher cipher = this.ciphers.get();
			cipher.init(Cipher.ENCRYPT_MODE, this.encryptionKey, new IvParameterSpec(iv));
			int written = cipher.doFinal(plaintext, offset, length, datagram, IV_LENGTH);
			if (written != cipherLength) {
				throw new IllegalStateException(
						"AES-CBC produced " + written + " bytes where PKCS#7 padding requires " + cipherLength);
			}
			Mac mac = this.macs.get();
			mac.update(datagram, 0, IV_LENGTH + cipherLength);
			mac.doFinal(datagram, IV_LENGTH + cipherLength);
			return datagram;
		}
		catch (GeneralSecurityException | RuntimeException ex) {
			// Do not reuse JCE objects whose state an exception may have left half-way
			discardThreadState();
			throw new PacketEncryptionException(NAME + " could not encrypt a datagram of " + length + " bytes", ex);
		}
	}

	/**
	 * Verify and decrypt one datagram.
	 * @param datagram the array holding {@code IV || ciphertext || HMAC}
	 * @param offset where the datagram starts
	 * @param length the number of bytes of the datagram
	 * @return the plaintext
	 * @throws PacketAuthenticationException if the datagram has the wrong size, its HMAC does
	 * not match, or its padding is invalid
	 */
	@Override
	public byte[] decrypt(byte[] datagram, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, datagram.length);
		int cipherLength = length - IV_LENGTH - MAC_LENGTH;
		if (cipherLength < BLOCK_SIZE || cipherLength % BLOCK_SIZE != 0) {
			throw new PacketAuthenticationException("Rejected " + NAME + " datagram of " + length
					+ " bytes: expected a 16-byte IV, a ciphertext of a non-zero multiple of 16 bytes and a "
					+ "32-byte HMAC");
		}
		int macOffset = offset + IV_LENGTH + cipherLength;
		Mac mac = this.macs.get();
		mac.update(datagram, offset, IV_LENGTH + cipherLength);
		byte[] expected = mac.doFinal();
		byte[] received = Arrays.copyOfRange(datagram, macOffset, macOffset + MAC_LENGTH);
		// Constant time, so the time to reject does not reveal how many leading bytes matched
		if (!MessageDigest.isEqual(expected, received)) {
			throw new PacketAuthenticationException(
					"Rejected " + NAME + " datagram of " + length + " bytes: HMAC does not match (wrong key or tampered)");
		}
		byte[] plaintext;
		try {
			Cipher cipher = this.ciphers.get();
			cipher.init(Cipher.DECRYPT_MODE, this.encryptionKey, new IvParameterSpec(datagram, offset, IV_LENGTH));
			plaintext = cipher.doFinal(datagram, offset + IV_LENGTH, cipherLength);
		}
		catch (BadPaddingException | IllegalBlockSizeException ex) {
			// Authentic but badly padded: only a peer holding the key can produce this, still
			// it is not a datagram we can use. No cause, as for any other rejection.
			discardThreadState();
			throw new PacketAuthenticationException(
					"Rejected " + NAME + " datagram of " + length + " bytes: invalid PKCS#7 padding");
		}
		catch (GeneralSecurityException ex) {
			discardThreadState();
			throw new IllegalStateException("The Java runtime refused to initialise AES-256-CBC decryption", ex);
		}
		// Only now, for an authentic datagram, so that forgeries cannot push real ones out of the memory.
		if (this.recentTags != null && !this.recentTags.add(leadingLong(expected))) {
			throw new PacketReplayException("Refused " + NAME + " datagram of " + length
					+ " bytes: received before (a replay)");
		}
		return plaintext;
	}

	private static long leadingLong(byte[] bytes) {
		long value = 0;
		for (int i = 0; i < 8; i++) {
			value = (value << 8) | (bytes[i] & 0xff);
		}
		return value;
	}

	private void discardThreadState() {
		this.ciphers.remove();
		this.macs.remove();
	}

	/** Return a copy of the signing key, for tests. */
	byte[] signingKey() {
		return this.signingKey.getEncoded();
	}

	/** Return a copy of the encryption key, for tests. */
	byte[] encryptionKey() {
		return this.encryptionKey.getEncoded();
	}

	@Override
	public String toString() {
		return "AesCbcHmacCipher[" + NAME + "]";
	}

}
