package io.github.kcp.core.crypto;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a receiver remembers of the datagrams it accepted, to accept each at most once: per sender, the times
 * accepted within {@value #WINDOW_TICKS} ticks of its newest (a bitmap: a sender stamps each datagram with its own
 * tick) and a floor below which everything counts as seen. So datagrams of one sender may arrive out of order by up
 * to 65 ms, at any rate.
 * <p>
 * Memory is bounded: senders not heard from for a whole window are forgotten for free (the window check refuses
 * anything of theirs they could replay), and beyond {@code maxSenders} the least recently heard sender is
 * forgotten after raising the floor that every unknown sender must exceed to its newest time. That floor starts
 * at the receiver's creation, so a restarted receiver refuses captures taken before it started.
 * <p>
 * Thread-safe: senders are spread over independently locked stripes.
 */
final class ReplayWindow {

	/**
	 * Ticks (of {@link GcmNonces#TICK_MICROS} µs) a sender's datagram may lag its newest accepted one and still be
	 * accepted: 65 ms of reordering, whatever the rate, in 1 KB per sender.
	 */
	static final int WINDOW_TICKS = 8192;

	private static final int STRIPES = 16;

	private final long windowTicks;

	private final Stripe[] stripes = new Stripe[STRIPES];

	ReplayWindow(long startTicks, long windowTicks, int maxSenders) {
		this.windowTicks = windowTicks;
		int perStripe = Math.max(1, (maxSenders + STRIPES - 1) / STRIPES);
		for (int i = 0; i < STRIPES; i++) {
			// Datagrams stamped from the start on are new to this receiver.
			this.stripes[i] = new Stripe(startTicks - 1, perStripe);
		}
	}

	/**
	 * Records the datagram of {@code sender} stamped {@code time} if it is new.
	 * @param time the datagram's time, already checked to lie within the window of {@code now}
	 * @return {@code null} if it was new (and is now recorded), otherwise why it is refused
	 */
	String record(long sender, long time, long now) {
		Stripe stripe = this.stripes[(int) (mix(sender) >>> 60)];
		synchronized (stripe) {
			return stripe.record(sender, time, now, this.windowTicks);
		}
	}

	/** Senders remembered right now. */
	int senders() {
		int count = 0;
		for (Stripe stripe : this.stripes) {
			synchronized (stripe) {
				count += stripe.size();
			}
		}
		return count;
	}

	private static long mix(long value) {
		long z = value * 0x9E3779B97F4A7C15L;
		return z ^ (z >>> 29);
	}

	private static final class Stripe extends LinkedHashMap<Long, Sender> {

		private static final long serialVersionUID = 1L;

		private final int capacity;

		/** Every sender this stripe does not know must be newer than this. */
		private long floor;

		Stripe(long floor, int capacity) {
			super(16, 0.75f, true);
			this.floor = floor;
			this.capacity = capacity;
		}

		String record(long id, long time, long now, long windowTicks) {
			Sender sender = get(id);
			if (sender == null) {
				if (time <= this.floor) {
					return "older than anything this receiver remembers (it restarted, or forgot this sender)";
				}
				makeRoom(now - windowTicks);
				sender = new Sender(this.floor);
				put(id, sender);
			}
			return sender.record(time);
		}

		private void makeRoom(long expired) {
			Iterator<Map.Entry<Long, Sender>> eldest = entrySet().iterator();
			while (eldest.hasNext()) {
				Sender sender = eldest.next().getValue();
				if (sender.newest < expired) {
					// Whatever it could replay is outside the window now.
					eldest.remove();
				}
				else if (size() >= this.capacity) {
					this.floor = Math.max(this.floor, sender.newest);
					eldest.remove();
				}
				else {
					return;
				}
			}
		}

	}

	/**
	 * One sender: a bitmap of the {@value #WINDOW_TICKS} ticks up to the newest time accepted (IPsec's anti-replay
	 * window, over time instead of a sequence number), and a floor below which everything counts as seen.
	 */
	private static final class Sender {

		private final long[] bits = new long[WINDOW_TICKS / 64];

		private long floor;

		/** The newest time accepted, bit 0 of the bitmap; nothing accepted yet while it equals the floor. */
		private long newest;

		Sender(long floor) {
			this.floor = floor;
			this.newest = floor;
		}

		/** Records {@code time} if new; returns {@code null} then, otherwise why not. */
		String record(long time) {
			long behind = this.newest - time;
			if (time <= this.floor || behind >= WINDOW_TICKS) {
				return "stamped more than 65 ms before a datagram of its sender already accepted";
			}
			if (behind < 0) {
				shift(-behind);
				this.newest = time;
				this.bits[0] |= 1;
				return null;
			}
			int word = (int) (behind >>> 6);
			long mask = 1L << (behind & 63);
			if ((this.bits[word] & mask) != 0) {
				return "received before";
			}
			this.bits[word] |= mask;
			return null;
		}

		/** Moves the bitmap {@code by} ticks towards the past; what falls off the end can no longer be accepted. */
		private void shift(long by) {
			if (by >= WINDOW_TICKS) {
				java.util.Arrays.fill(this.bits, 0);
			}
			else {
				int words = (int) (by >>> 6);
				int bitsBy = (int) (by & 63);
				for (int i = this.bits.length - 1; i >= 0; i--) {
					int from = i - words;
					long value = (from >= 0) ? this.bits[from] << bitsBy : 0;
					if (bitsBy != 0 && from - 1 >= 0) {
						value |= this.bits[from - 1] >>> (64 - bitsBy);
					}
					this.bits[i] = value;
				}
			}
			// Everything older than the window's end is refused from now on.
			this.floor = Math.max(this.floor, this.newest + by - WINDOW_TICKS);
		}

	}

}
