package io.github.kcp.core.crypto;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a receiver remembers of the datagrams it accepted, to accept each at most once: per sender, a floor (every
 * time at or below it counts as seen) and the {@value #SLOTS} most recent times above it. A datagram is new when
 * its time lies above its sender's floor and is not among those times; recording it when all slots are taken
 * raises the floor to the oldest remembered time. So datagrams of one sender may arrive up to {@value #SLOTS}
 * places out of order.
 * <p>
 * Memory is bounded: senders not heard from for a whole window are forgotten for free (the window check refuses
 * anything of theirs they could replay), and beyond {@code maxSenders} the least recently heard sender is
 * forgotten after raising the floor that every unknown sender must exceed to its newest time. That floor starts
 * at the receiver's creation, so a restarted receiver refuses captures taken before it started.
 * <p>
 * Thread-safe: senders are spread over independently locked stripes.
 */
final class ReplayWindow {

	/** Times remembered above a sender's floor: its tolerance to reordering, in datagrams. */
	static final int SLOTS = 32;

	private static final int STRIPES = 16;

	private final long windowMicros;

	private final Stripe[] stripes = new Stripe[STRIPES];

	ReplayWindow(long startMicros, long windowMicros, int maxSenders) {
		this.windowMicros = windowMicros;
		int perStripe = Math.max(1, (maxSenders + STRIPES - 1) / STRIPES);
		for (int i = 0; i < STRIPES; i++) {
			// Datagrams stamped from the start on are new to this receiver.
			this.stripes[i] = new Stripe(startMicros - 1, perStripe);
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
			return stripe.record(sender, time, now, this.windowMicros);
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

		String record(long id, long time, long now, long windowMicros) {
			Sender sender = get(id);
			if (sender == null) {
				if (time <= this.floor) {
					return "older than anything this receiver remembers (it restarted, or forgot this sender)";
				}
				makeRoom(now - windowMicros);
				sender = new Sender(this.floor);
				put(id, sender);
			}
			return sender.record(time) ? null : "received before";
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

	private static final class Sender {

		private final long[] times = new long[SLOTS];

		private int count;

		private long floor;

		private long newest;

		Sender(long floor) {
			this.floor = floor;
			this.newest = floor;
		}

		boolean record(long time) {
			if (time <= this.floor) {
				return false;
			}
			for (int i = 0; i < this.count; i++) {
				if (this.times[i] == time) {
					return false;
				}
			}
			if (this.count < SLOTS) {
				this.times[this.count++] = time;
			}
			else {
				int oldest = 0;
				for (int i = 1; i < SLOTS; i++) {
					if (this.times[i] < this.times[oldest]) {
						oldest = i;
					}
				}
				if (time < this.times[oldest]) {
					this.floor = time;
				}
				else {
					this.floor = this.times[oldest];
					this.times[oldest] = time;
				}
			}
			this.newest = Math.max(this.newest, time);
			return true;
		}

	}

}
