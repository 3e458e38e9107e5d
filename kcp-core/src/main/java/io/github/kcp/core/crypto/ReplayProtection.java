package io.github.kcp.core.crypto;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the replay protection of {@link AesGcmCipher} (immutable; change a copy with the {@code with...}
 * methods).
 * <ul>
 * <li>{@link #window()} (default 30 s): a datagram whose time lies further than this behind or ahead of the
 * receiver's clock is refused. It bounds how long a receiver must remember what it has seen, and so must exceed
 * the clock difference between peers plus the longest network delay.</li>
 * <li>{@link #maxSenders()} (default 16,384): how many senders a receiver remembers at once (a sender is one
 * cipher instance on one thread of a peer; about 1.1 KB each, so about 18 MB at most). Beyond it the least recently heard sender is
 * forgotten and every sender it does not know must then be newer than the forgotten one.</li>
 * <li>{@link #clock()} (default the system UTC clock): the wall clock; tests pass a virtual one.</li>
 * </ul>
 */
public final class ReplayProtection {

	/** Default {@link #window()}. */
	public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(30);

	/** Default {@link #maxSenders()}. */
	public static final int DEFAULT_MAX_SENDERS = 16_384;

	/** Largest {@link #window()}: far below the 101 days after which the nonce's 40-bit time wraps. */
	public static final Duration MAX_WINDOW = Duration.ofHours(1);

	private static final ReplayProtection DEFAULTS = new ReplayProtection(DEFAULT_WINDOW, DEFAULT_MAX_SENDERS,
			Clock.systemUTC());

	private final Duration window;

	private final int maxSenders;

	private final Clock clock;

	private ReplayProtection(Duration window, int maxSenders, Clock clock) {
		Objects.requireNonNull(window, "window must not be null");
		Objects.requireNonNull(clock, "clock must not be null");
		if (window.compareTo(Duration.ofMillis(1)) < 0 || window.compareTo(MAX_WINDOW) > 0) {
			throw new IllegalArgumentException("The replay window must be 1 ms.." + MAX_WINDOW + " but was " + window);
		}
		if (maxSenders < 1) {
			throw new IllegalArgumentException("maxSenders must be at least 1 but was " + maxSenders);
		}
		this.window = window;
		this.maxSenders = maxSenders;
		this.clock = clock;
	}

	/**
	 * The defaults: a 30 s window, 16,384 senders, the system UTC clock.
	 * @return the default settings
	 */
	public static ReplayProtection defaults() {
		return DEFAULTS;
	}

	/**
	 * How far a datagram's time may lie from the receiver's clock, either way.
	 * @return the window
	 */
	public Duration window() {
		return this.window;
	}

	/**
	 * How many senders a receiver remembers at once.
	 * @return the limit
	 */
	public int maxSenders() {
		return this.maxSenders;
	}

	/**
	 * The wall clock that stamps and checks datagrams.
	 * @return the clock
	 */
	public Clock clock() {
		return this.clock;
	}

	/**
	 * A copy with another window.
	 * @param window 1 ms to 1 hour
	 * @return the new settings
	 */
	public ReplayProtection withWindow(Duration window) {
		return new ReplayProtection(window, this.maxSenders, this.clock);
	}

	/**
	 * A copy with another sender limit.
	 * @param maxSenders at least 1
	 * @return the new settings
	 */
	public ReplayProtection withMaxSenders(int maxSenders) {
		return new ReplayProtection(this.window, maxSenders, this.clock);
	}

	/**
	 * A copy with another clock.
	 * @param clock the clock
	 * @return the new settings
	 */
	public ReplayProtection withClock(Clock clock) {
		return new ReplayProtection(this.window, this.maxSenders, clock);
	}

	long windowMicros() {
		return this.window.toNanos() / 1000;
	}

	/** The clock in microseconds since the epoch. */
	long nowMicros() {
		java.time.Instant now = this.clock.instant();
		return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
	}

	@Override
	public String toString() {
		return "ReplayProtection[window=" + this.window + ", maxSenders=" + this.maxSenders + "]";
	}

}
