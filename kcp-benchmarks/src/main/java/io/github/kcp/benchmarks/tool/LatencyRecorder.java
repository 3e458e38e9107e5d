package io.github.kcp.benchmarks.tool;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round-trip times recorded from many threads into one preallocated array (no allocation per sample, so recording
 * does not disturb what it measures). Samples beyond the capacity are counted but not kept.
 */
final class LatencyRecorder {

	private final long[] nanos;

	private final AtomicInteger count = new AtomicInteger();

	LatencyRecorder(int capacity) {
		this.nanos = new long[capacity];
	}

	/** Records one round-trip time. */
	void record(long rttNanos) {
		int i = this.count.getAndIncrement();
		if (i < this.nanos.length) {
			this.nanos[i] = rttNanos;
		}
	}

	/** How many samples were recorded (including any beyond the capacity). */
	int count() {
		return this.count.get();
	}

	/**
	 * The kept samples in milliseconds, sorted. Call once recording has stopped: the array is read without
	 * synchronisation beyond the counter's.
	 */
	double[] sortedMillis() {
		int n = Math.min(this.count.get(), this.nanos.length);
		double[] ms = new double[n];
		for (int i = 0; i < n; i++) {
			ms[i] = this.nanos[i] / 1e6;
		}
		Arrays.sort(ms);
		return ms;
	}

}
