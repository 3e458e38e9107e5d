package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.jspecify.annotations.Nullable;

/**
 * The server's stateless admission for DTLS: a source gets a connection only after it has shown that it
 * receives datagrams at its address, by returning a cookie (RFC 6347 4.2.1, the HelloVerifyRequest).
 * <p>
 * For a datagram from a source that has no connection yet, {@link #verify} answers one of three ways:
 * <ul>
 * <li>{@link Outcome#REPLY}: a ClientHello without a valid cookie. Send {@link Verdict#reply()} back to the
 * source; it is a HelloVerifyRequest no larger than the hello, so a forged source draws at most as many
 * bytes as it sent. Keep nothing.</li>
 * <li>{@link Outcome#ACCEPT}: a ClientHello whose cookie this gate (or a {@linkplain #sibling() sibling})
 * made for this very source and hello within the last one to two {@linkplain #secretLifetimeMillis()
 * secret lifetimes}. Create the connection with {@link DtlsConnection#accept}.</li>
 * <li>{@link Outcome#DROP}: anything else; {@link Verdict#rejection()} says why, for counting.</li>
 * </ul>
 * The cookie is {@code slot || HMAC-SHA256(key(slot), source || hello without cookie)} truncated to 16
 * bytes, where {@code slot = now / secretLifetime} and {@code key(slot)} is derived from a random master
 * secret, so cookies expire without any table, and a cookie obtained at one address is worthless at another.
 * Nothing about a source is remembered between calls.
 * <p>
 * Not thread-safe (it holds a {@link Mac}): give each event loop its own {@link #sibling()}; siblings share
 * the secret and accept each other's cookies.
 */
public final class DtlsCookieGate {

	/** How long a cookie secret is used by default before the next one: cookies live 30 to 60 seconds. */
	public static final long DEFAULT_SECRET_LIFETIME_MILLIS = 30_000;

	/** Bytes of a cookie: the slot byte and a 128-bit tag. */
	static final int COOKIE_LENGTH = 1 + 16;

	private static final int MASTER_SECRET_LENGTH = 32;

	private static final byte[] KEY_LABEL = "kcp dtls cookie key".getBytes(StandardCharsets.US_ASCII);

	/** What to do with a datagram from a source without a connection. */
	public enum Outcome {

		/** A ClientHello with a valid cookie: create the connection. */
		ACCEPT,

		/** A ClientHello without a valid cookie: send the reply, keep nothing. */
		REPLY,

		/** Not a ClientHello: drop it. */
		DROP

	}

	/** Why a datagram was dropped: not a ClientHello, a fragmented one, or a malformed one. */
	public enum Rejection {

		/** The first record is not a ClientHello in epoch 0 (for example application data of a lost connection). */
		NOT_CLIENT_HELLO,

		/** The ClientHello is fragmented, which no DTLS 1.2 client does for its first flight. */
		FRAGMENTED,

		/** The record or the ClientHello is malformed or truncated. */
		MALFORMED

	}

	/**
	 * The answer of {@link #verify}: an outcome with a reply to send, a hello to accept, or a rejection.
	 * Instances are immutable apart from the byte buffers, which belong to the caller.
	 */
	public static final class Verdict {

		private final Outcome outcome;

		private final @Nullable ByteBuffer reply;

		private final @Nullable ClientHelloView hello;

		private final @Nullable Rejection rejection;

		private Verdict(Outcome outcome, @Nullable ByteBuffer reply, @Nullable ClientHelloView hello,
				@Nullable Rejection rejection) {
			this.outcome = outcome;
			this.reply = reply;
			this.hello = hello;
			this.rejection = rejection;
		}

		/** @return what to do with the datagram */
		public Outcome outcome() {
			return outcome;
		}

		/**
		 * @return the HelloVerifyRequest datagram to send back to the source
		 * @throws IllegalStateException if the outcome is not {@link Outcome#REPLY}
		 */
		public ByteBuffer reply() {
			if (reply == null) {
				throw new IllegalStateException("No reply: the outcome is " + outcome);
			}
			return reply;
		}

		/**
		 * @return why the datagram was dropped
		 * @throws IllegalStateException if the outcome is not {@link Outcome#DROP}
		 */
		public Rejection rejection() {
			if (rejection == null) {
				throw new IllegalStateException("No rejection: the outcome is " + outcome);
			}
			return rejection;
		}

		ClientHelloView hello() {
			if (hello == null || outcome != Outcome.ACCEPT) {
				throw new IllegalArgumentException("Only a verdict with outcome ACCEPT creates a connection, not " + outcome);
			}
			return hello;
		}

		@Override
		public String toString() {
			return "Verdict(" + outcome + ((rejection != null) ? ", " + rejection : "") + ")";
		}

	}

	private final byte[] masterSecret;

	private final long secretLifetimeMillis;

	private final Mac mac;

	// The keys of the last two slots used, so that a burst of hellos derives each key once
	private long cachedSlot = Long.MIN_VALUE;

	private @Nullable SecretKeySpec cachedKey;

	private long previousSlot = Long.MIN_VALUE;

	private @Nullable SecretKeySpec previousKey;

	/**
	 * Create a gate with its own random master secret and the default secret lifetime.
	 * @param random where the master secret comes from
	 * @return a new gate
	 */
	public static DtlsCookieGate create(SecureRandom random) {
		byte[] secret = new byte[MASTER_SECRET_LENGTH];
		random.nextBytes(secret);
		return new DtlsCookieGate(secret, DEFAULT_SECRET_LIFETIME_MILLIS);
	}

	/**
	 * Create a gate from a master secret, for example one shared by the servers behind one address.
	 * @param masterSecret at least 16 random bytes; copied
	 * @param secretLifetimeMillis how long one derived key makes cookies; a cookie stays valid for one to two
	 * lifetimes
	 * @throws IllegalArgumentException if the secret is shorter than 16 bytes or the lifetime is not positive
	 */
	public DtlsCookieGate(byte[] masterSecret, long secretLifetimeMillis) {
		if (masterSecret.length < 16) {
			throw new IllegalArgumentException("The cookie master secret must have at least 16 bytes, not "
					+ masterSecret.length);
		}
		if (secretLifetimeMillis <= 0) {
			throw new IllegalArgumentException("The cookie secret lifetime must be positive, not " + secretLifetimeMillis);
		}
		this.masterSecret = masterSecret.clone();
		this.secretLifetimeMillis = secretLifetimeMillis;
		this.mac = newMac();
	}

	/**
	 * Return a gate with the same secret and lifetime for use on another thread; each accepts the other's
	 * cookies.
	 * @return a new gate sharing this gate's secret
	 */
	public DtlsCookieGate sibling() {
		return new DtlsCookieGate(masterSecret, secretLifetimeMillis);
	}

	/** @return how long one derived key makes cookies, in milliseconds */
	public long secretLifetimeMillis() {
		return secretLifetimeMillis;
	}

	/**
	 * Decide what to do with a datagram from a source that has no connection, keeping no state about it.
	 * @param now the current time in milliseconds, on the caller's clock (only its division into secret
	 * lifetimes matters)
	 * @param source the bytes that identify the source, for example its IP address and port; a cookie is only
	 * valid for the same bytes
	 * @param datagram the datagram from its position to its limit; not modified
	 * @return the verdict
	 */
	public Verdict verify(long now, byte[] source, ByteBuffer datagram) {
		Objects.requireNonNull(source, "source");
		Object parsed = ClientHelloView.parse(datagram.slice());
		if (!(parsed instanceof ClientHelloView hello)) {
			return new Verdict(Outcome.DROP, null, null, (Rejection) parsed);
		}
		long slot = Math.floorDiv(now, secretLifetimeMillis);
		byte[] expected = cookie(slot, source, hello);
		if (hello.cookieEquals(expected)) {
			return new Verdict(Outcome.ACCEPT, null, hello, null);
		}
		// A cookie of the previous slot is still good: it is between one and two lifetimes old at most
		if (hello.cookieSlotByte(COOKIE_LENGTH) == ((slot - 1) & 0xff)
				&& hello.cookieEquals(cookie(slot - 1, source, hello))) {
			return new Verdict(Outcome.ACCEPT, null, hello, null);
		}
		return new Verdict(Outcome.REPLY, hello.helloVerifyRequest(expected), null, null);
	}

	private byte[] cookie(long slot, byte[] source, ClientHelloView hello) {
		try {
			mac.init(keyFor(slot));
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("HmacSHA256 rejected its own key", ex);
		}
		mac.update(source);
		hello.updateWithoutCookie(mac);
		byte[] tag = mac.doFinal();
		byte[] cookie = new byte[COOKIE_LENGTH];
		cookie[0] = (byte) slot;
		System.arraycopy(tag, 0, cookie, 1, COOKIE_LENGTH - 1);
		return cookie;
	}

	private SecretKeySpec keyFor(long slot) throws GeneralSecurityException {
		if (slot == cachedSlot && cachedKey != null) {
			return cachedKey;
		}
		if (slot == previousSlot && previousKey != null) {
			return previousKey;
		}
		mac.init(new SecretKeySpec(masterSecret, "HmacSHA256"));
		mac.update(KEY_LABEL);
		for (int shift = 56; shift >= 0; shift -= 8) {
			mac.update((byte) (slot >>> shift));
		}
		SecretKeySpec key = new SecretKeySpec(mac.doFinal(), "HmacSHA256");
		previousSlot = cachedSlot;
		previousKey = cachedKey;
		cachedSlot = slot;
		cachedKey = key;
		return key;
	}

	private static Mac newMac() {
		try {
			return Mac.getInstance("HmacSHA256");
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("HmacSHA256 is missing from this JDK", ex);
		}
	}

	@Override
	public String toString() {
		return "DtlsCookieGate(secret lifetime " + secretLifetimeMillis + " ms)";
	}

}
