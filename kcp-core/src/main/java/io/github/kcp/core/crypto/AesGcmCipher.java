package io.github.kcp.core.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.jspecify.annotations.Nullable;

/**
 * The {@code aes-gcm} packet cipher: AES in Galois/Counter Mode with a 128-bit tag, without associated data, and
 * with replay protection.
 * <p>
 * A datagram is laid out as
 * <pre>
 * nonce (12 bytes) || ciphertext (as long as the plaintext) || tag (16 bytes)
 * </pre>
 * so it grows by exactly {@value #OVERHEAD} bytes. The nonce is {@code sender (7 bytes) || time (5 bytes)}: a
 * random sender id (per cipher instance and thread, with two bits for the role of the view that sent it) and the sender's wall clock in ticks
 * of 8 µs (see {@code GcmNonces}). GCM authenticates the nonce, so neither field can be altered.
 * <p>
 * <b>Replay protection.</b> {@link #decrypt} refuses, with a {@link PacketReplayException}, an authentic datagram
 * that this instance has accepted before, one whose time lies further from this host's clock than the
 * {@link ReplayProtection#window() window} (30 s by default), and one from a sender it does not know whose time
 * precedes the instance's creation: a restarted receiver refuses what was captured before. Datagrams of one sender
 * may arrive out of order by up to 65 ms (a datagram arriving after one its sender stamped more than 65 ms later
 * is refused). Memory is bounded by {@link ReplayProtection#maxSenders()}. A cipher
 * {@link #forRole(EndpointRole) bound to a role} also refuses datagrams sent by the same role, so a server's
 * datagrams cannot be reflected back into a server. What it cannot stop: a datagram captured on its way to one
 * receiver and delivered first to another receiver holding the same key; give unrelated services their own keys.
 * Peers need clocks within the window of each other; right after a receiver starts, a sender whose clock lags
 * the receiver's is refused for as long as it lags.
 * <p>
 * Create it from a raw AES key with {@link #withKey(byte[])}, or from a passphrase with
 * {@link #derive(byte[], byte[])}, which computes
 * {@code PBKDF2-HMAC-SHA256(password = key, salt, 480000 iterations, 32 bytes)} and uses the
 * result as an AES-256 key. Those 32 bytes equal the first half of aiokcp's key material, i.e.
 * the {@code aes-cbc-hmac} signing key for the same key and salt; use a different salt per mode
 * if both modes are ever configured with one passphrase.
 * <p>
 * Instances are safe for concurrent use: each thread gets its own {@link Cipher}, random generator and sender id;
 * the replay memory is shared and locked in stripes.
 *
 * @see PacketCiphers#of(CipherMode, byte[], byte[])
 */
public final class AesGcmCipher implements PacketCipher {

	/** The name of this cipher in configuration and logs. */
	public static final String NAME = "aes-gcm";

	/** Number of bytes added to every datagram: nonce and tag. */
	public static final int OVERHEAD = 28;

	static final int NONCE_LENGTH = GcmNonces.NONCE_LENGTH;

	private static final int TAG_LENGTH = 16;

	private static final int DERIVED_KEY_LENGTH = 32;

	// Keeps the output size computation (length + OVERHEAD) clear of int overflow
	private static final int MAX_PLAINTEXT_LENGTH = Integer.MAX_VALUE - 2 * OVERHEAD;

	private final SecretKeySpec key;

	private final int keyBits;

	// Cipher is stateful and not thread-safe; one per thread avoids locking and lookups
	private final ThreadLocal<Cipher> ciphers;

	private final ReplayProtection replayProtection;

	private final GcmNonces nonces;

	private final ReplayWindow seen;

	/** The role this view is bound to, or {@code null} for an unbound cipher. */
	private final @Nullable EndpointRole role;

	private AesGcmCipher(byte[] key, ReplayProtection replayProtection) {
		this.key = new SecretKeySpec(key, "AES");
		this.keyBits = key.length * 8;
		this.ciphers = ThreadLocal.withInitial(() -> JceSupport.cipher("AES/GCM/NoPadding"));
		this.replayProtection = Objects.requireNonNull(replayProtection, "replayProtection must not be null");
		this.nonces = new GcmNonces(replayProtection);
		this.seen = new ReplayWindow(GcmNonces.ticks(replayProtection.nowMicros()),
				replayProtection.windowMicros() / GcmNonces.TICK_MICROS, replayProtection.maxSenders());
		this.role = null;
		// Fail now, on the configuring thread, rather than on the first datagram
		this.ciphers.get();
	}

	private AesGcmCipher(AesGcmCipher shared, EndpointRole role) {
		this.key = shared.key;
		this.keyBits = shared.keyBits;
		this.ciphers = shared.ciphers;
		this.replayProtection = shared.replayProtection;
		this.nonces = shared.nonces;
		this.seen = shared.seen;
		this.role = role;
	}

	/**
	 * Create a cipher from a raw AES key. The array is copied.
	 * @param key 16, 24 or 32 bytes, for AES-128, AES-192 or AES-256
	 * @return the cipher
	 */
	public static AesGcmCipher withKey(byte[] key) {
		return withKey(key, ReplayProtection.defaults());
	}

	/**
	 * Create a cipher from a raw AES key with chosen replay protection settings. The array is copied.
	 * @param key 16, 24 or 32 bytes, for AES-128, AES-192 or AES-256
	 * @param replayProtection the window, sender limit and clock
	 * @return the cipher
	 */
	public static AesGcmCipher withKey(byte[] key, ReplayProtection replayProtection) {
		Objects.requireNonNull(key, "key must not be null");
		if (key.length != 16 && key.length != 24 && key.length != 32) {
			throw new IllegalArgumentException("An " + NAME + " key must be 16, 24 or 32 bytes (AES-128, -192 or -256), not "
					+ key.length + "; to use a passphrase of any length call AesGcmCipher.derive(key, salt)");
		}
		return new AesGcmCipher(key, replayProtection);
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
		return derive(key, salt, iterations, ReplayProtection.defaults());
	}

	/**
	 * Derive an AES-256 key as {@link #derive(byte[], byte[], int)} does, with chosen replay protection settings.
	 * @param key the raw passphrase bytes (any bytes, not necessarily UTF-8; may be empty)
	 * @param salt the raw salt bytes (may be empty)
	 * @param iterations the PBKDF2 iteration count, at least 1
	 * @param replayProtection the window, sender limit and clock
	 * @return the cipher
	 */
	public static AesGcmCipher derive(byte[] key, byte[] salt, int iterations, ReplayProtection replayProtection) {
		Objects.requireNonNull(key, "key must not be null");
		Objects.requireNonNull(salt, "salt must not be null");
		Objects.requireNonNull(replayProtection, "replayProtection must not be null");
		byte[] derived = Pbkdf2.deriveHmacSha256(key, salt, iterations, DERIVED_KEY_LENGTH);
		try {
			return new AesGcmCipher(derived, replayProtection);
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
	 * A view of this cipher bound to {@code role}: same key and replay memory; its datagrams carry the role, and it
	 * refuses datagrams sent by the same role (a server's own datagrams reflected back at a server, or a client's at
	 * a client). An unbound cipher marks its datagrams as unbound, which every view accepts, and accepts both roles'.
	 * @param role the side the endpoint using the view plays
	 * @return the bound view
	 */
	@Override
	public AesGcmCipher forRole(EndpointRole role) {
		Objects.requireNonNull(role, "role must not be null");
		return (role == this.role) ? this : new AesGcmCipher(this, role);
	}

	/**
	 * The replay protection settings.
	 * @return the window, sender limit and clock
	 */
	public ReplayProtection replayProtection() {
		return this.replayProtection;
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
	 * Encrypt one datagram under a fresh nonce: this thread's sender id and the current time.
	 * @param plaintext the array holding the datagram to encrypt
	 * @param offset where the datagram starts
	 * @param length the number of bytes, zero or more
	 * @return {@code nonce || ciphertext || tag}, {@code length + 28} bytes
	 * @throws PacketEncryptionException if the JCE fails to encrypt
	 */
	@Override
	public byte[] encrypt(byte[] plaintext, int offset, int length) {
		byte[] nonce = new byte[NONCE_LENGTH];
		this.nonces.next(nonce, GcmNonces.roleBits(this.role));
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
	 * Authenticate and decrypt one datagram, and accept it only once.
	 * <p>
	 * The checks on the nonce's sender and time, which are public values, come first and cost no decryption; the
	 * tag is verified by the JCE in constant time; only an authentic datagram is recorded as seen, so forged ones
	 * cannot fill or shift the replay memory.
	 * @param datagram the array holding {@code nonce || ciphertext || tag}
	 * @param offset where the datagram starts
	 * @param length the number of bytes of the datagram
	 * @return the plaintext, {@code length - 28} bytes
	 * @throws PacketReplayException if the datagram is authentic but was accepted before, lies outside the replay
	 * window, or comes from the role this view is bound to
	 * @throws PacketAuthenticationException if the datagram is shorter than 28 bytes or its tag does not verify
	 */
	@Override
	public byte[] decrypt(byte[] datagram, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, datagram.length);
		if (length < NONCE_LENGTH + TAG_LENGTH) {
			throw new PacketAuthenticationException("Rejected " + NAME + " datagram of " + length
					+ " bytes: shorter than its 12-byte nonce and 16-byte tag");
		}
		// Authenticate first: a refusal as a replay then always means an authentic datagram seen before or too old
		// (counted apart from forgeries), and junk never touches the replay memory. The nonce is authenticated by the
		// tag, so its sender and time fields are trustworthy below.
		byte[] plaintext = open(datagram, offset, length);
		long sender = GcmNonces.sender(datagram, offset);
		// Only a datagram stamped with this view's own role is refused: an unbound sender's is accepted by both sides.
		if (this.role != null && GcmNonces.roleBits(sender) == GcmNonces.roleBits(this.role)) {
			throw new PacketReplayException("Refused " + NAME + " datagram: it was sent by a "
					+ this.role.name().toLowerCase(java.util.Locale.ROOT)
					+ ", as this endpoint is (a reflected datagram)");
		}
		long now = GcmNonces.ticks(this.replayProtection.nowMicros());
		long time = GcmNonces.unwrap(GcmNonces.time(datagram, offset), now);
		long window = this.replayProtection.windowMicros() / GcmNonces.TICK_MICROS;
		if (time < now - window || time > now + window) {
			throw new PacketReplayException("Refused " + NAME + " datagram stamped "
					+ (time - now) * GcmNonces.TICK_MICROS / 1000 + " ms from this host's clock, outside the replay window of "
					+ this.replayProtection.window() + " (a replay, or the clocks of the peers differ by more)");
		}
		String refusal = this.seen.record(sender, time, now);
		if (refusal != null) {
			throw new PacketReplayException("Refused " + NAME + " datagram: " + refusal + " (a replay)");
		}
		return plaintext;
	}

	/** Authenticates and decrypts, without the replay checks; package-private for known-answer tests. */
	byte[] open(byte[] datagram, int offset, int length) {
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

	/** Senders the replay memory holds; for tests. */
	int rememberedSenders() {
		return this.seen.senders();
	}

	@Override
	public String toString() {
		return "AesGcmCipher[" + NAME + ", " + this.keyBits + "-bit key" + ((this.role != null) ? ", " + this.role : "")
				+ ", " + this.replayProtection + "]";
	}

}
