package io.github.kcp.benchmarks.engine;

import io.github.kcp.core.protocol.Kcp;
import io.github.kcp.core.protocol.KcpOutput;

/**
 * A one-way in-memory link for benchmarks: datagrams are copied into preallocated slots, so moving them costs no
 * allocation, and delivered in order to a receiving engine.
 */
final class InMemoryWire implements KcpOutput {

	private final byte[][] slots;

	private final int[] lengths;

	private int count;

	InMemoryWire(int capacity, int mtu) {
		this.slots = new byte[capacity][mtu];
		this.lengths = new int[capacity];
	}

	@Override
	public void output(byte[] buffer, int length) {
		if (this.count == this.slots.length) {
			throw new IllegalStateException("In-memory wire overflow: deliver more often");
		}
		System.arraycopy(buffer, 0, this.slots[this.count], 0, length);
		this.lengths[this.count++] = length;
	}

	/** Feeds every pending datagram to {@code receiver}; returns how many were delivered. */
	int deliverTo(Kcp receiver, int now) {
		int delivered = this.count;
		for (int i = 0; i < delivered; i++) {
			receiver.input(this.slots[i], 0, this.lengths[i], now);
		}
		this.count = 0;
		return delivered;
	}

}
