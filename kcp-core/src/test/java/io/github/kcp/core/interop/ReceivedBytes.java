package io.github.kcp.core.interop;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import org.jspecify.annotations.Nullable;

/**
 * Test support: a session handler that keeps what arrives, for a test thread to read as a byte stream (what other
 * peers send need not keep our message boundaries: kcp-go chops every write into pieces of at most one segment) or
 * as the list of messages (to check that boundaries survived where the peer keeps them).
 */
final class ReceivedBytes implements KcpSessionHandler {

	private final Object lock = new Object();

	// guarded by lock
	private final ArrayDeque<byte[]> unread = new ArrayDeque<>();

	private final List<byte[]> messages = new ArrayList<>();

	private int headPosition;

	private long received;

	private final CompletableFuture<KcpSession> opened = new CompletableFuture<>();

	private final CompletableFuture<CloseReason> closed = new CompletableFuture<>();

	@Override
	public void onOpen(KcpSession session) {
		this.opened.complete(session);
	}

	@Override
	public void onMessage(KcpSession session, byte[] message) {
		add(message);
	}

	/** Keeps a message that arrived (also for peers other than our transport, such as a kcp-netty channel). */
	void add(byte[] message) {
		synchronized (this.lock) {
			this.messages.add(message);
			if (message.length > 0) {
				this.unread.addLast(message);
			}
			this.received += message.length;
			this.lock.notifyAll();
		}
	}

	@Override
	public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
		this.closed.complete(reason);
		synchronized (this.lock) {
			this.lock.notifyAll();
		}
	}

	/** Completed with the session once it opened. */
	CompletableFuture<KcpSession> opened() {
		return this.opened;
	}

	/** Completed with the reason once the session closed. */
	CompletableFuture<CloseReason> closed() {
		return this.closed;
	}

	/**
	 * Reads exactly {@code n} bytes of the stream, waiting up to {@code timeout} in all.
	 * @throws AssertionError naming how much arrived if the time runs out or the session closes first
	 */
	byte[] read(int n, Duration timeout) {
		byte[] out = new byte[n];
		long deadline = System.nanoTime() + timeout.toNanos();
		int done = 0;
		synchronized (this.lock) {
			while (done < n) {
				byte[] head = this.unread.peekFirst();
				if (head == null) {
					long left = deadline - System.nanoTime();
					if (left <= 0 || this.closed.isDone()) {
						throw new AssertionError("Read " + done + " of " + n + " bytes ("
								+ (this.closed.isDone() ? "session closed: " + this.closed.join() : "timed out after "
										+ timeout) + "); " + this.received + " bytes received in all");
					}
					try {
						TimeUnit.NANOSECONDS.timedWait(this.lock, left);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						throw new AssertionError("Interrupted after reading " + done + " of " + n + " bytes", ex);
					}
					continue;
				}
				int k = Math.min(n - done, head.length - this.headPosition);
				System.arraycopy(head, this.headPosition, out, done, k);
				done += k;
				this.headPosition += k;
				if (this.headPosition == head.length) {
					this.unread.pollFirst();
					this.headPosition = 0;
				}
			}
		}
		return out;
	}

	/** Every message delivered so far, in order (in stream mode: the pieces as delivered). */
	List<byte[]> messages() {
		synchronized (this.lock) {
			return List.copyOf(this.messages);
		}
	}

}
