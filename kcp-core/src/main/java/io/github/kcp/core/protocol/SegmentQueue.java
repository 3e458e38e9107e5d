package io.github.kcp.core.protocol;

/**
 * A FIFO of segments on a growable power-of-two ring (ikcp's snd_queue and rcv_queue). Unlike a linked list it
 * allocates nothing per element once it has grown to its working size.
 */
final class SegmentQueue {

	private Segment[] ring;

	private int head;

	private int size;

	SegmentQueue(int initialCapacity) {
		this.ring = new Segment[Integer.highestOneBit(Math.max(4, initialCapacity - 1) << 1)];
	}

	int size() {
		return this.size;
	}

	boolean isEmpty() {
		return this.size == 0;
	}

	/** Returns the {@code index}-th segment from the head, without removing it. */
	Segment get(int index) {
		return this.ring[(this.head + index) & (this.ring.length - 1)];
	}

	Segment peekFirst() {
		return (this.size != 0) ? this.ring[this.head] : null;
	}

	Segment peekLast() {
		return (this.size != 0) ? get(this.size - 1) : null;
	}

	void addLast(Segment segment) {
		if (this.size == this.ring.length) {
			grow();
		}
		this.ring[(this.head + this.size) & (this.ring.length - 1)] = segment;
		this.size++;
	}

	Segment pollFirst() {
		if (this.size == 0) {
			return null;
		}
		Segment first = this.ring[this.head];
		this.ring[this.head] = null;
		this.head = (this.head + 1) & (this.ring.length - 1);
		this.size--;
		return first;
	}

	private void grow() {
		Segment[] larger = new Segment[this.ring.length << 1];
		for (int i = 0; i < this.size; i++) {
			larger[i] = get(i);
		}
		this.ring = larger;
		this.head = 0;
	}

}
