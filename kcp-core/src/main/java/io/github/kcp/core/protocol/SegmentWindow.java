package io.github.kcp.core.protocol;

/**
 * Segments indexed by sequence number over a sliding window (ikcp's snd_buf and rcv_buf). A slot is
 * {@code sn & mask}; the owner guarantees that all live sequence numbers lie within {@link #capacity()} of each
 * other, so slots never collide. Lookup, insertion and removal by sn are O(1), with no allocation.
 */
final class SegmentWindow {

	private Segment[] slots;

	private int mask;

	private int count;

	SegmentWindow(int initialCapacity) {
		int capacity = Integer.highestOneBit(Math.max(4, initialCapacity - 1) << 1);
		this.slots = new Segment[capacity];
		this.mask = capacity - 1;
	}

	int capacity() {
		return this.slots.length;
	}

	int count() {
		return this.count;
	}

	Segment get(int sn) {
		return this.slots[sn & this.mask];
	}

	/** Stores a segment under its sn; the slot must be free. */
	void put(Segment segment) {
		this.slots[segment.sn & this.mask] = segment;
		this.count++;
	}

	/** Removes and returns the segment stored under {@code sn}, or {@code null}. */
	Segment remove(int sn) {
		int slot = sn & this.mask;
		Segment segment = this.slots[slot];
		if (segment != null) {
			this.slots[slot] = null;
			this.count--;
		}
		return segment;
	}

	/**
	 * Grows to hold at least {@code span} consecutive sequence numbers, re-indexing the live segments (whose sn
	 * are unique, so the re-indexing cannot collide).
	 */
	void ensureSpan(int span) {
		if (span <= this.slots.length) {
			return;
		}
		int capacity = Integer.highestOneBit(span - 1) << 1;
		Segment[] larger = new Segment[capacity];
		for (Segment segment : this.slots) {
			if (segment != null) {
				larger[segment.sn & (capacity - 1)] = segment;
			}
		}
		this.slots = larger;
		this.mask = capacity - 1;
	}

}
