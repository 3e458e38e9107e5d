package io.github.kcp.core.crypto;

import java.security.SecureRandom;

import org.jspecify.annotations.Nullable;

/**
 * Writes the nonces of {@link AesGcmCipher}: {@code sender (7 bytes) || time (5 bytes)}, big-endian.
 * <ul>
 * <li>The sender is 56 bits: 54 drawn at random, per cipher instance and thread, and a two-bit role in the lowest
 * bits ({@value #UNBOUND}: a cipher not bound to a role, {@value #CLIENT}: a client, {@value #SERVER}: a
 * server).</li>
 * <li>The time is the sender's wall clock in ticks of {@value #TICK_MICROS} µs, modulo 2<sup>40</sup> (101 days),
 * made strictly increasing per sender: two datagrams in the same tick get consecutive values.</li>
 * </ul>
 * A nonce repeats only if two senders draw the same 55 bits and then stamp the same tick: about
 * N<sup>2</sup>/2<sup>55</sup> for N senders ever using one key, however many datagrams they send (random 96-bit
 * nonces reach that risk after about 2<sup>32</sup> datagrams). A sender draws new bits when its clock would fall
 * out of step with the wall clock (a burst above a million datagrams a second for long, or the wall clock set
 * back), and after a day, long before the time wraps. A sender stamps at most one datagram per tick, 125,000 a
 * second, before its clock runs ahead of the wall clock.
 */
final class GcmNonces {

	static final int NONCE_LENGTH = 12;

	/** Role bits of a datagram sent by a cipher bound to no role. */
	static final int UNBOUND = 0;

	/** Role bits of a datagram sent by a client's view. */
	static final int CLIENT = 1;

	/** Role bits of a datagram sent by a server's view. */
	static final int SERVER = 2;

	private static final long ROLE_MASK = 3;

	static final long TIME_MASK = (1L << 40) - 1;

	/** The unit of the time field, in microseconds. */
	static final int TICK_MICROS = 8;

	private static final long DAY_TICKS = 86_400_000_000L / TICK_MICROS;

	private final ReplayProtection settings;

	private final long driftLimitTicks;

	private final ThreadLocal<Sender> senders = new ThreadLocal<>();

	private final ThreadLocal<SecureRandom> randoms = JceSupport.threadLocalRandom();

	GcmNonces(ReplayProtection settings) {
		this.settings = settings;
		// Well inside the receivers' window, so that a stamp never runs ahead of it.
		this.driftLimitTicks = Math.max(1, settings.windowMicros() / TICK_MICROS / 4);
	}

	/** Writes a fresh nonce into {@code nonce[0..12)}. */
	void next(byte[] nonce, int roleBits) {
		long now = ticks(this.settings.nowMicros());
		Sender sender = this.senders.get();
		if (sender == null || sender.last - now > this.driftLimitTicks || now - sender.since > DAY_TICKS
				|| now < sender.since) {
			sender = new Sender(this.randoms.get().nextLong(), now);
			this.senders.set(sender);
		}
		long time = Math.max(now, sender.last + 1);
		sender.last = time;
		long id = (sender.bits & ((1L << 56) - 1) & ~ROLE_MASK) | roleBits;
		for (int i = 0; i < 7; i++) {
			nonce[i] = (byte) (id >>> (8 * (6 - i)));
		}
		long stamp = time & TIME_MASK;
		for (int i = 0; i < 5; i++) {
			nonce[7 + i] = (byte) (stamp >>> (8 * (4 - i)));
		}
	}

	/** A time in microseconds as ticks. */
	static long ticks(long micros) {
		return Math.floorDiv(micros, TICK_MICROS);
	}

	/** The 56-bit sender of a nonce at {@code offset}. */
	static long sender(byte[] data, int offset) {
		long id = 0;
		for (int i = 0; i < 7; i++) {
			id = (id << 8) | (data[offset + i] & 0xff);
		}
		return id;
	}

	/** The role bits ({@link #UNBOUND}, {@link #CLIENT}, {@link #SERVER}) of a nonce's sender. */
	static int roleBits(long sender) {
		return (int) (sender & ROLE_MASK);
	}

	/** The role bits a view bound to {@code role} (or none) stamps. */
	static int roleBits(@Nullable EndpointRole role) {
		if (role == null) {
			return UNBOUND;
		}
		return (role == EndpointRole.SERVER) ? SERVER : CLIENT;
	}

	/** The 40-bit time of a nonce at {@code offset}. */
	static long time(byte[] data, int offset) {
		long time = 0;
		for (int i = 7; i < 12; i++) {
			time = (time << 8) | (data[offset + i] & 0xff);
		}
		return time;
	}

	/** The full time in ticks nearest to {@code now} (ticks) whose low 40 bits are {@code time}. */
	static long unwrap(long time, long now) {
		long difference = ((time - now) << 24) >> 24;
		return now + difference;
	}

	private static final class Sender {

		final long bits;

		final long since;

		long last;

		Sender(long bits, long now) {
			this.bits = bits;
			this.since = now;
			this.last = now - 1;
		}

	}

}
