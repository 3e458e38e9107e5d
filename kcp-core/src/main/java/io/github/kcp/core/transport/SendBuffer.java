package io.github.kcp.core.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Accounts for bytes sent and not yet acknowledged, bounded in bytes: reservation fails fast
 * ({@link #tryReserve}) or waits ({@link #reserve}); acknowledgement releases. Thread-safe.
 */
final class SendBuffer {

	private final long capacity;

	private long used;

	private boolean closed;

	SendBuffer(long capacity) {
		this.capacity = capacity;
	}

	long capacity() {
		return this.capacity;
	}

	synchronized long used() {
		return this.used;
	}

	/** Reserves {@code bytes} if they fit now. */
	synchronized boolean tryReserve(long bytes) {
		checkOpen();
		if (this.used + bytes > this.capacity && this.used > 0) {
			return false;
		}
		this.used += bytes;
		return true;
	}

	/** Reserves {@code bytes}, waiting up to {@code timeoutNanos} for room. */
	synchronized void reserve(long bytes, long timeoutNanos) throws TimeoutException, InterruptedException {
		long deadline = System.nanoTime() + timeoutNanos;
		while (true) {
			checkOpen();
			// A message larger than the whole buffer is let through alone, so it is not refused forever.
			if (this.used + bytes <= this.capacity || this.used == 0) {
				this.used += bytes;
				return;
			}
			long remaining = deadline - System.nanoTime();
			if (remaining <= 0) {
				throw new TimeoutException("No room for " + bytes + " bytes in the send buffer (" + this.used + " of "
						+ this.capacity + " bytes unacknowledged) within the timeout");
			}
			TimeUnit.NANOSECONDS.timedWait(this, remaining);
		}
	}

	synchronized void release(long bytes) {
		this.used -= bytes;
		notifyAll();
	}

	/** Wakes every waiting sender with a {@link KcpSessionClosedException}. */
	synchronized void close() {
		this.closed = true;
		notifyAll();
	}

	private void checkOpen() {
		if (this.closed) {
			throw new KcpSessionClosedException("Session is closed", null);
		}
	}

}
