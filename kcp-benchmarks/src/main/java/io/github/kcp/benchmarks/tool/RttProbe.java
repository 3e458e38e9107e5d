package io.github.kcp.benchmarks.tool;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.testsupport.interop.DeterministicContent;
import org.jspecify.annotations.Nullable;

/**
 * The KCP rtt-client in message mode, timed on the session's event loop: each message is stamped when the loop
 * hands it to the session and each echo when the loop delivers it, so that the figures measure the protocol, the
 * kernel and the peer — as the echo and bulk servers count on the loop — and not the hand-offs between the tool's
 * own threads (a pacing thread only says when the next message is due). Same wire protocol and output as the
 * blocking rtt-client: message {@code k} is {@link DeterministicContent#indexedMessage}, echoes come back in order.
 */
final class RttProbe implements KcpSessionHandler {

	private final int size;

	private final long intervalNanos;

	// written on the loop, read after the latch
	private long[] sentAt = new long[0];

	private double[] rtts = new double[0];

	private int next;

	private int received;

	private int ok;

	private volatile @Nullable CountDownLatch done;

	private volatile @Nullable CloseReason closed;

	/** On the loop: each echo sends the next message ({@link #pingPong}). */
	private boolean pingPong;

	RttProbe(int size, int intervalMs) {
		this.size = size;
		this.intervalNanos = intervalMs * 1_000_000L;
	}

	/**
	 * Sends {@code count} messages, one per interval, and waits for their echoes.
	 * @return the round-trip times in ms of the echoes that came back intact, sorted; or {@code null} on a timeout
	 */
	double @Nullable [] round(KcpSession session, int count, long deadlineNanos) throws InterruptedException {
		CountDownLatch latch = new CountDownLatch(1);
		session.executor().execute(() -> start(count, latch));
		long start = System.nanoTime();
		for (int k = 0; k < count; k++) {
			long due = start + k * this.intervalNanos;
			long wait;
			while ((wait = due - System.nanoTime()) > 0) {
				LockSupport.parkNanos(wait);
			}
			if (this.closed != null || System.nanoTime() > deadlineNanos) {
				return null;
			}
			session.executor().execute(() -> send(session));
		}
		long left = deadlineNanos - System.nanoTime();
		if (left <= 0 || !latch.await(left, TimeUnit.NANOSECONDS)) {
			return null;
		}
		double[] sorted = Arrays.copyOf(this.rtts, this.ok);
		Arrays.sort(sorted);
		return sorted;
	}

	/** Intact echoes of the last round (read after {@link #round} returned). */
	int ok() {
		return this.ok;
	}

	/**
	 * Sends up to {@code count} messages one after the other, each when the echo of the last came back (ping-pong,
	 * not paced), untimed, for at most {@code maxNanos}: warms the JIT up on the paths the measured round trips take,
	 * in a fraction of the time. Returns once the last message sent has come back.
	 * @return how many came back intact, or -1 if the session closed or the deadline passed first
	 */
	int pingPong(KcpSession session, int count, long maxNanos, long deadlineNanos) throws InterruptedException {
		CountDownLatch latch = new CountDownLatch(1);
		session.executor().execute(() -> {
			start(count, latch);
			this.pingPong = true;
			send(session);
		});
		long until = Math.min(deadlineNanos, System.nanoTime() + maxNanos);
		long left = until - System.nanoTime();
		if (left <= 0 || !latch.await(left, TimeUnit.NANOSECONDS)) {
			// Out of time: send no more, and wait for the one on its way so that it does not count in the next round.
			CountDownLatch last = new CountDownLatch(1);
			session.executor().execute(() -> {
				this.pingPong = false;
				this.sentAt = Arrays.copyOf(this.sentAt, this.next);
				if (this.received >= this.next) {
					last.countDown();
				}
				else {
					this.done = last;
				}
			});
			left = deadlineNanos - System.nanoTime();
			if (left <= 0 || !last.await(left, TimeUnit.NANOSECONDS)) {
				return -1;
			}
		}
		return (this.closed == null) ? this.ok : -1;
	}

	/** On the loop: a new round of {@code count} messages, {@code latch} released when it is over. */
	private void start(int count, CountDownLatch latch) {
		this.sentAt = new long[count];
		this.rtts = new double[count];
		this.next = 0;
		this.received = 0;
		this.ok = 0;
		this.done = latch;
	}

	/** On the loop. */
	private void send(KcpSession session) {
		int k = this.next++;
		this.sentAt[k] = System.nanoTime();
		session.send(DeterministicContent.indexedMessage(k, this.size));
	}

	@Override
	public void onMessage(KcpSession session, byte[] message) {
		long now = System.nanoTime();
		int k = this.received;
		if (k >= this.sentAt.length) {
			return;
		}
		this.received++;
		if (message.length == this.size && ByteBuffer.wrap(message).getLong() == k
				&& Arrays.equals(message, DeterministicContent.indexedMessage(k, this.size))) {
			this.rtts[this.ok++] = (now - this.sentAt[k]) / 1e6;
		}
		CountDownLatch latch = this.done;
		if (this.received == this.sentAt.length && latch != null) {
			this.pingPong = false;
			latch.countDown();
		}
		else if (this.pingPong && this.next < this.sentAt.length) {
			send(session);
		}
	}

	@Override
	public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
		this.closed = reason;
		CountDownLatch latch = this.done;
		if (latch != null) {
			latch.countDown();
		}
	}

}
