package io.github.kcp.benchmarks.tool;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.testsupport.interop.DeterministicContent;
import org.jspecify.annotations.Nullable;

/**
 * A {@link KcpSession} as a blocking byte stream: the handler queues what arrives, readers take it from the queue.
 * When a slow reader lets more than {@link #PAUSE_ABOVE} bytes pile up, reading from the session is paused, so the
 * engine's receive window closes and the peer waits, instead of this queue growing without bound.
 */
final class KcpConn implements Conn, KcpSessionHandler {

	static final int PAUSE_ABOVE = 4 << 20;

	static final int RESUME_BELOW = 1 << 20;

	private final KcpConfig config;

	private final long deadlineNanos;

	private final Object lock = new Object();

	private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();

	private final CompletableFuture<KcpSession> opened = new CompletableFuture<>();

	// guarded by lock
	private int headPosition;

	private long buffered;

	private boolean paused;

	private @Nullable CloseReason closeReason;

	private volatile @Nullable KcpSession session;

	/**
	 * @param config the session configuration (its stream mode and message size limit decide the write sizes)
	 * @param deadlineNanos {@link System#nanoTime()} after which reads and writes fail, or {@link Long#MAX_VALUE}
	 */
	KcpConn(KcpConfig config, long deadlineNanos) {
		this.config = config;
		this.deadlineNanos = deadlineNanos;
	}

	/** Sets the session a client connected (the handler may not have seen {@code onOpen} yet). */
	void attach(KcpSession session) {
		this.session = session;
		this.opened.complete(session);
	}

	/** Completed with the session once it is open. */
	CompletableFuture<KcpSession> opened() {
		return this.opened;
	}

	/** The session, once open. */
	KcpSession session() {
		KcpSession current = this.session;
		if (current == null) {
			throw new IllegalStateException("The session is not open yet");
		}
		return current;
	}

	// ------------------------------------------------------------------ handler, on the session's event loop

	@Override
	public void onOpen(KcpSession session) {
		attach(session);
	}

	@Override
	public void onMessage(KcpSession session, byte[] message) {
		if (message.length == 0) {
			return;
		}
		boolean pause = false;
		synchronized (this.lock) {
			this.chunks.addLast(message);
			this.buffered += message.length;
			if (!this.paused && this.buffered > PAUSE_ABOVE) {
				this.paused = true;
				pause = true;
			}
			this.lock.notifyAll();
		}
		if (pause) {
			// On the event loop this takes effect at once: no further message is delivered until resumed.
			session.pauseReading();
		}
	}

	@Override
	public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
		synchronized (this.lock) {
			this.closeReason = reason;
			this.lock.notifyAll();
		}
	}

	// ------------------------------------------------------------------ Conn

	@Override
	public int read(byte[] b, int off, int len) throws IOException {
		if (len == 0) {
			return 0;
		}
		int n;
		boolean resume = false;
		synchronized (this.lock) {
			while (this.chunks.isEmpty()) {
				if (this.closeReason != null) {
					return -1;
				}
				waitForData();
			}
			byte[] head = this.chunks.peekFirst();
			n = Math.min(len, head.length - this.headPosition);
			System.arraycopy(head, this.headPosition, b, off, n);
			this.headPosition += n;
			if (this.headPosition == head.length) {
				this.chunks.pollFirst();
				this.headPosition = 0;
			}
			this.buffered -= n;
			if (this.paused && this.buffered < RESUME_BELOW) {
				this.paused = false;
				resume = true;
			}
		}
		if (resume) {
			session().resumeReading();
		}
		return n;
	}

	private void waitForData() throws IOException {
		try {
			if (this.deadlineNanos == Long.MAX_VALUE) {
				this.lock.wait();
				return;
			}
			long left = this.deadlineNanos - System.nanoTime();
			if (left <= 0) {
				throw new SocketTimeoutException("Deadline passed while waiting for data from " + describe());
			}
			TimeUnit.NANOSECONDS.timedWait(this.lock, left);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while waiting for data from " + describe());
		}
	}

	@Override
	public void write(byte[] b, int off, int len) throws IOException {
		KcpSession current = session();
		// In message mode every write must fit in one message; the reader sees a stream either way.
		int maxWrite = this.config.stream() ? DeterministicContent.CHUNK_BYTES
				: Math.min(DeterministicContent.CHUNK_BYTES, current.maxMessageSize());
		int done = 0;
		while (done < len) {
			int n = Math.min(maxWrite, len - done);
			CompletableFuture<Void> sent;
			try {
				sent = current.sendWhenRoom(b, off + done, n, remaining());
			}
			catch (TimeoutException ex) {
				throw new SocketTimeoutException("Deadline passed while waiting for room in the send buffer of "
						+ describe());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new InterruptedIOException("Interrupted while writing to " + describe());
			}
			if (sent.isCompletedExceptionally()) {
				throw new IOException("Cannot write to " + describe() + ": " + failureOf(sent));
			}
			done += n;
		}
	}

	private Duration remaining() throws SocketTimeoutException {
		if (this.deadlineNanos == Long.MAX_VALUE) {
			return Duration.ofNanos(Long.MAX_VALUE);
		}
		long left = this.deadlineNanos - System.nanoTime();
		if (left <= 0) {
			throw new SocketTimeoutException("Deadline passed before writing to " + describe());
		}
		return Duration.ofNanos(left);
	}

	private static String failureOf(CompletableFuture<?> future) {
		try {
			future.getNow(null);
			return "no failure";
		}
		catch (RuntimeException ex) {
			Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
			return cause.getMessage();
		}
	}

	@Override
	public void close() {
		KcpSession current = this.session;
		if (current == null) {
			return;
		}
		// A graceful close waits until the peer acknowledged everything (close timeout), then signals.
		Duration limit = this.config.closeTimeout().plusSeconds(2);
		try {
			current.close().get(limit.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			current.abort();
		}
		catch (ExecutionException | TimeoutException ex) {
			current.abort();
		}
	}

	@Override
	public void abort() {
		KcpSession current = this.session;
		if (current != null) {
			current.abort();
		}
		synchronized (this.lock) {
			if (this.closeReason == null) {
				this.closeReason = CloseReason.CLOSED_LOCALLY;
			}
			this.lock.notifyAll();
		}
	}

	/** Why the session closed, or {@code null} while open. */
	@Nullable CloseReason closeReason() {
		synchronized (this.lock) {
			return this.closeReason;
		}
	}

	@Override
	public String describe() {
		KcpSession current = this.session;
		return (current != null) ? "KCP conv " + Integer.toUnsignedString(current.conv()) + " with "
				+ current.remoteAddress() : "KCP session (not open)";
	}

}
