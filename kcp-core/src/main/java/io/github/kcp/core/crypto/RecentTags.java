package io.github.kcp.core.crypto;

/**
 * The last {@code capacity} authentication tags a receiver accepted (their first 8 bytes), to refuse a datagram
 * that comes again while it is remembered. For formats that carry no time or sequence number of their own
 * (aiokcp's {@code aes-cbc-hmac}): it stops the immediate replay of captured traffic, not the replay of a datagram
 * older than the last {@code capacity}, nor any replay into a restarted receiver.
 * <p>
 * Each stripe is a first-in first-out ring plus an open-addressing hash set over it, so memory is fixed (about 16
 * bytes per remembered tag) and nothing is allocated per datagram. Thread-safe: stripes are locked independently.
 */
final class RecentTags {

	/** Up to 16 stripes of at least 4096 tags: a small memory is one exact FIFO, a large one 16 nearly even ones. */
	private static final int MIN_STRIPE = 4096;

	private final Stripe[] stripes;

	private final int shift;

	RecentTags(int capacity) {
		int count = Integer.highestOneBit(Math.min(16, Math.max(1, capacity / MIN_STRIPE)));
		int perStripe = Math.max(1, (capacity + count - 1) / count);
		this.stripes = new Stripe[count];
		for (int i = 0; i < count; i++) {
			this.stripes[i] = new Stripe(perStripe);
		}
		this.shift = 64 - Integer.numberOfTrailingZeros(count);
	}

	/**
	 * Remembers {@code tag} if it is not remembered yet.
	 * @return whether it was new
	 */
	boolean add(long tag) {
		Stripe stripe = this.stripes[(this.stripes.length == 1) ? 0 : (int) (tag >>> this.shift)];
		synchronized (stripe) {
			return stripe.add(tag);
		}
	}

	private static final class Stripe {

		private final long[] ring;

		private int next;

		private int size;

		/** Open addressing with linear probing; a slot holds a ring index + 1, 0 when free. */
		private final int[] table;

		private final int mask;

		Stripe(int capacity) {
			this.ring = new long[capacity];
			int tableSize = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) << 1;
			this.table = new int[tableSize];
			this.mask = tableSize - 1;
		}

		boolean add(long tag) {
			int slot = find(tag);
			if (this.table[slot] != 0) {
				return false;
			}
			if (this.size == this.ring.length) {
				remove(this.ring[this.next]);
				slot = find(tag);
			}
			else {
				this.size++;
			}
			this.ring[this.next] = tag;
			this.table[slot] = this.next + 1;
			this.next = (this.next + 1 == this.ring.length) ? 0 : this.next + 1;
			return true;
		}

		/** The slot holding {@code tag}, or the free slot where it would go. */
		private int find(long tag) {
			int slot = hash(tag) & this.mask;
			while (this.table[slot] != 0 && this.ring[this.table[slot] - 1] != tag) {
				slot = (slot + 1) & this.mask;
			}
			return slot;
		}

		/** Removes {@code tag}, shifting later entries of its probe run back (no tombstones). */
		private void remove(long tag) {
			int slot = find(tag);
			if (this.table[slot] == 0) {
				return;
			}
			this.table[slot] = 0;
			int free = slot;
			int probe = (slot + 1) & this.mask;
			while (this.table[probe] != 0) {
				int home = hash(this.ring[this.table[probe] - 1]) & this.mask;
				// Move the entry back if its home lies cyclically outside (free, probe].
				boolean movable = (probe > free) ? (home <= free || home > probe) : (home <= free && home > probe);
				if (movable) {
					this.table[free] = this.table[probe];
					this.table[probe] = 0;
					free = probe;
				}
				probe = (probe + 1) & this.mask;
			}
		}

		private static int hash(long tag) {
			long z = tag * 0x9E3779B97F4A7C15L;
			return (int) (z ^ (z >>> 32));
		}

	}

}
