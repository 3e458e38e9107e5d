package io.github.kcp.core.connection;

/**
 * The sends a connection handed to its engine and the peer has not acknowledged yet, in order: for each, the
 * sequence number of its last segment and its size. A send is acknowledged once the engine's {@code snd_una} has
 * moved past its last segment. Array rings: nothing is allocated per send in steady state.
 */
final class SendLedger {

	private int[] lastSequences = new int[16];

	private int[] sizes = new int[16];

	private int head;

	private int count;

	private long bytes;

	void add(int lastSequence, int size) {
		if (this.count == this.lastSequences.length) {
			grow();
		}
		int tail = (this.head + this.count) & (this.lastSequences.length - 1);
		this.lastSequences[tail] = lastSequence;
		this.sizes[tail] = size;
		this.count++;
		this.bytes += size;
	}

	/** Removes the sends that {@code una} acknowledges and returns how many there were. */
	int acknowledge(int una) {
		int acknowledged = 0;
		while (this.count > 0 && una - this.lastSequences[this.head] > 0) {
			this.bytes -= this.sizes[this.head];
			this.head = (this.head + 1) & (this.lastSequences.length - 1);
			this.count--;
			acknowledged++;
		}
		return acknowledged;
	}

	/** Sends not acknowledged yet. */
	int count() {
		return this.count;
	}

	/** Bytes of the sends not acknowledged yet. */
	long bytes() {
		return this.bytes;
	}

	private void grow() {
		int[] sequences = new int[this.lastSequences.length * 2];
		int[] grownSizes = new int[sequences.length];
		for (int i = 0; i < this.count; i++) {
			int from = (this.head + i) & (this.lastSequences.length - 1);
			sequences[i] = this.lastSequences[from];
			grownSizes[i] = this.sizes[from];
		}
		this.lastSequences = sequences;
		this.sizes = grownSizes;
		this.head = 0;
	}

}
