package io.github.kcp.core.dtls;

/**
 * The anti-replay window of RFC 6347 4.1.2.6: remembers which of the last 64 record sequence numbers of the
 * current epoch were received, so that a record seen before, or older than the window, is dropped.
 * <p>
 * A record is {@linkplain #isFresh checked} before it is decrypted and {@linkplain #accept accepted} only
 * after it authenticated, so forged records cannot move the window.
 */
final class ReplayWindow {

	private static final int SIZE = 64;

	private int epoch = -1;

	private long highest = -1;

	// Bit i set: sequence number highest - i was received
	private long seen;

	boolean isFresh(int epoch, long sequence) {
		if (epoch != this.epoch) {
			return epoch > this.epoch;
		}
		if (sequence > highest) {
			return true;
		}
		long age = highest - sequence;
		return age < SIZE && (seen & (1L << age)) == 0;
	}

	void accept(int epoch, long sequence) {
		if (epoch > this.epoch) {
			this.epoch = epoch;
			this.highest = sequence;
			this.seen = 1;
			return;
		}
		if (epoch < this.epoch) {
			return;
		}
		if (sequence > highest) {
			long shift = sequence - highest;
			seen = (shift >= SIZE) ? 1 : (seen << shift) | 1;
			highest = sequence;
		}
		else {
			long age = highest - sequence;
			if (age < SIZE) {
				seen |= 1L << age;
			}
		}
	}

}
