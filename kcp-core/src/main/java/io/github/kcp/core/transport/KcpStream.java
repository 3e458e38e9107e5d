package io.github.kcp.core.transport;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.netty.util.concurrent.EventExecutor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A non-blocking reader and writer over one {@link KcpSession}: the counterpart of the {@code StreamReader} /
 * {@code StreamWriter} pair that aiokcp's {@code open_connection} and {@code start_server} hand out. Obtain one from
 * {@link KcpStreams}.
 * <p>
 * <b>Reading.</b> Received data is buffered in the stream until read. Reads return futures; at most one read may be
 * pending at a time (a second one fails with {@link IllegalStateException}, as in asyncio). The end of the stream
 * &mdash; the peer closed the session (or this side closed it) and everything received was consumed &mdash; reads
 * as {@code null}. When the session closed for another reason (idle timeout, dead link, server shutdown, error),
 * reads fail with a {@link KcpSessionClosedException} carrying the {@link CloseReason} once the buffered data is
 * consumed, so a broken conversation never looks like a complete one. A read whose future is cancelled or times out
 * (for example with {@link CompletableFuture#orTimeout}) loses no data: what it would have returned stays for the
 * next read.
 * <p>
 * <b>Backpressure.</b> When more than {@link KcpConfig#readBufferSize()} bytes wait unread, the stream stops taking
 * messages from the session ({@link KcpSession#pauseReading()}); the engine's receive window then closes and the peer
 * stops sending. Delivery resumes once reading brought the buffer under half that limit (or a pending
 * {@link #readExactly}/{@link #readLine} needs more bytes than the limit).
 * <p>
 * <b>Writing.</b> {@link #write} returns a future completed when the peer acknowledged the data, which is what
 * asyncio's {@code drain()} waits for; {@link #drain()} gives the same for all writes so far. When the session's
 * send buffer is full, writes wait in the stream, in order, for room (up to another
 * {@link KcpConfig#sendBufferSize()} bytes; beyond that {@link #write} fails at once with
 * {@link KcpSendBufferFullException} and {@link #writeWhenRoom} blocks), so a writer that awaits its writes from
 * time to time never sees that error. This is the stream's one back-pressure;
 * {@link io.github.kcp.core.socket.KcpSocket} writes through it too.
 * <p>
 * Thread-safe. Futures of reads that cannot complete at once, and of writes, complete on the session's event-loop
 * thread: do not block in code chained to them.
 */
public final class KcpStream {

	private static final Logger logger = LoggerFactory.getLogger(KcpStream.class);

	private enum ReadKind {

		NEXT, UP_TO, EXACTLY, LINE

	}

	private final Object lock = new Object();

	private final @Nullable Consumer<KcpStream> onOpen;

	private final KcpSessionHandler handler = new StreamHandler();

	private volatile @Nullable KcpSession session;

	// ---- read side, guarded by lock

	private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();

	/** Bytes of the first chunk already consumed. */
	private int headOffset;

	private long buffered;

	/** Whether the last take left a prefix-consumed head chunk in place (so a push-back just rewinds). */
	private boolean lastTakeWasPrefix;

	private @Nullable PendingRead pending;

	/** A read's future is being completed outside the lock; no other read may take data meanwhile. */
	private boolean handingOver;

	private boolean ended;

	/** Why reads fail once the buffer is empty; {@code null} when the session ended as an end of stream. */
	private @Nullable KcpSessionClosedException failure;

	/** Whether the session's delivery is paused; changed on the event loop only. */
	private boolean paused;

	// ---- write side, confined to the event loop

	private final ArrayDeque<QueuedWrite> waitingWrites = new ArrayDeque<>();

	private int writesInFlight;

	private boolean closeRequested;

	/** The future of the last write queued, for {@link #drain()}. */
	private CompletableFuture<Void> lastWrite = CompletableFuture.completedFuture(null);

	// ---- write side, any thread

	private final AtomicLong waitingWriteBytes = new AtomicLong();

	/** A lock, not a monitor, so that a virtual thread waiting in {@link #writeWhenRoom} does not pin its carrier. */
	private final ReentrantLock roomLock = new ReentrantLock();

	private final Condition roomFreed = this.roomLock.newCondition();

	private volatile boolean closing;

	KcpStream(@Nullable Consumer<KcpStream> onOpen) {
		this.onOpen = onOpen;
	}

	/** The handler that feeds this stream; give it to the session it reads. */
	KcpSessionHandler handler() {
		return this.handler;
	}

	void attach(KcpSession session) {
		this.session = session;
	}

	/** The session the stream reads and writes; use it for stats, runtime settings and attributes. */
	public KcpSession session() {
		KcpSession current = this.session;
		if (current == null) {
			throw new IllegalStateException("The stream is not attached to a session yet");
		}
		return current;
	}

	// ---------------------------------------------------------------- reading

	/**
	 * Reads the next message (message mode) or the next received chunk of bytes (stream mode); if an earlier
	 * {@link #read(int)} took only part of a message, its remainder. In message mode an empty message reads as an
	 * empty array.
	 * @return a future of the bytes, of {@code null} at the end of the stream, failed with
	 * {@link KcpSessionClosedException} when the session closed for another reason than the peer's or our own close
	 * and nothing is left, or with {@link IllegalStateException} when another read is pending
	 */
	public CompletableFuture<byte @Nullable []> read() {
		return submit(new PendingRead(ReadKind.NEXT, Integer.MAX_VALUE));
	}

	/**
	 * Reads up to {@code maxBytes} bytes, as asyncio's {@code read(n)}: waits until at least one byte is there. In
	 * stream mode the bytes may span several received chunks; in message mode they never span two messages (a longer
	 * message is returned over several reads, its first {@code maxBytes} bytes first). Empty messages are skipped.
	 * @param maxBytes the most bytes to return; 0 returns an empty array at once
	 * @return as {@link #read()}: the bytes, {@code null} at the end of the stream, or failed
	 */
	public CompletableFuture<byte @Nullable []> read(int maxBytes) {
		if (maxBytes < 0) {
			throw new IllegalArgumentException("maxBytes must not be negative but was " + maxBytes);
		}
		if (maxBytes == 0) {
			return CompletableFuture.completedFuture(new byte[0]);
		}
		return submit(new PendingRead(ReadKind.UP_TO, maxBytes));
	}

	/**
	 * Reads exactly {@code length} bytes, across message boundaries, as asyncio's {@code readexactly}.
	 * @return a future of the bytes, failed with {@link KcpStreamIncompleteReadException} (holding what did arrive)
	 * if the stream ends first, or as {@link #read()}
	 */
	public CompletableFuture<byte @Nullable []> readExactly(int length) {
		if (length < 0) {
			throw new IllegalArgumentException("length must not be negative but was " + length);
		}
		if (length == 0) {
			return CompletableFuture.completedFuture(new byte[0]);
		}
		return submit(new PendingRead(ReadKind.EXACTLY, length));
	}

	/**
	 * Reads up to and including the next {@code '\n'}, across message boundaries, as asyncio's {@code readline}.
	 * At the end of the stream the last bytes come without a line end, then {@code null}.
	 * @return a future of the line's bytes (decode them yourself), or as {@link #read()}; failed with
	 * {@link KcpException} if no line end appears within {@link KcpConfig#readBufferSize()} bytes (the bytes stay
	 * buffered; read them with {@link #read(int)})
	 */
	public CompletableFuture<byte @Nullable []> readLine() {
		return submit(new PendingRead(ReadKind.LINE, session().config().readBufferSize()));
	}

	/** Bytes received and not yet read. */
	public long bufferedBytes() {
		synchronized (this.lock) {
			return this.buffered;
		}
	}

	/** Whether the stream ended as an end of stream and every byte was read (asyncio's {@code at_eof}). */
	public boolean isAtEnd() {
		synchronized (this.lock) {
			return this.ended && this.failure == null && this.chunks.isEmpty();
		}
	}

	private CompletableFuture<byte @Nullable []> submit(PendingRead read) {
		synchronized (this.lock) {
			PendingRead current = this.pending;
			if (current != null && !current.future.isDone()) {
				return CompletableFuture.failedFuture(new IllegalStateException(
						"Another read is pending on this stream; reads are one at a time, wait for the previous one"));
			}
			this.pending = read;
		}
		read.future.whenComplete((data, ex) -> {
			if (ex != null) {
				abandon(read);
			}
		});
		serve();
		resumeIfReaderWaits();
		return read.future;
	}

	/** A read was cancelled or timed out by its caller: free the slot. */
	private void abandon(PendingRead read) {
		synchronized (this.lock) {
			if (this.pending == read) {
				this.pending = null;
			}
		}
	}

	/**
	 * Completes the pending read if it can be. The future is completed outside the lock, so code chained to it may
	 * read again; if its caller completed it first (timeout, cancel), the bytes go back to the front.
	 */
	private void serve() {
		while (true) {
			PendingRead read;
			Outcome outcome;
			synchronized (this.lock) {
				read = this.pending;
				if (read == null || this.handingOver) {
					return;
				}
				if (read.future.isDone()) {
					this.pending = null;
					continue;
				}
				outcome = attempt(read);
				if (outcome == null) {
					return;
				}
				this.pending = null;
				this.handingOver = true;
			}
			boolean delivered = false;
			try {
				delivered = (outcome.error != null) ? read.future.completeExceptionally(outcome.error)
						: read.future.complete(outcome.data);
			}
			finally {
				synchronized (this.lock) {
					this.handingOver = false;
					if (!delivered && outcome.data != null && outcome.data.length > 0) {
						pushBack(outcome.data, outcome.prefix);
					}
				}
			}
			resumeIfDrained();
		}
	}

	/** Under the lock: what the read returns now, or {@code null} if it must wait. */
	private @Nullable Outcome attempt(PendingRead read) {
		switch (read.kind) {
			case NEXT -> {
				if (!this.chunks.isEmpty()) {
					return data(takeHead(Integer.MAX_VALUE));
				}
			}
			case UP_TO -> {
				dropEmptyHeads();
				if (!this.chunks.isEmpty()) {
					return data(isStreamMode() ? takeMerged((int) Math.min(read.size, this.buffered))
							: takeHead(read.size));
				}
			}
			case EXACTLY -> {
				if (this.buffered >= read.size) {
					return data(takeMerged(read.size));
				}
			}
			case LINE -> {
				int end = findLineEnd(read);
				if (end >= 0) {
					return data(takeMerged(end + 1));
				}
				if (this.buffered >= read.size) {
					return new Outcome(null, new KcpException("No line end within " + read.size
							+ " bytes (readBufferSize); read the bytes with read(int) or raise readBufferSize"),
							false);
				}
			}
		}
		if (!this.ended) {
			return null;
		}
		if (this.failure != null) {
			return new Outcome(null, this.failure, false);
		}
		return switch (read.kind) {
			case EXACTLY -> new Outcome(null,
					new KcpStreamIncompleteReadException(takeMerged((int) this.buffered), read.size), false);
			case LINE -> data((this.buffered > 0) ? takeMerged((int) this.buffered) : null);
			default -> data(null);
		};
	}

	private Outcome data(byte @Nullable [] bytes) {
		return new Outcome(bytes, null, this.lastTakeWasPrefix);
	}

	private boolean isStreamMode() {
		KcpSession current = this.session;
		return current != null && current.config().stream();
	}

	private void dropEmptyHeads() {
		byte[] head;
		while ((head = this.chunks.peekFirst()) != null && head.length == this.headOffset) {
			this.chunks.pollFirst();
			this.headOffset = 0;
		}
	}

	/** Takes up to {@code max} bytes of the first chunk only (keeps message boundaries). */
	private byte[] takeHead(int max) {
		byte[] head = this.chunks.getFirst();
		int n = Math.min(max, head.length - this.headOffset);
		byte[] out;
		if (this.headOffset == 0 && n == head.length) {
			this.chunks.pollFirst();
			out = head;
			this.lastTakeWasPrefix = false;
		}
		else {
			out = Arrays.copyOfRange(head, this.headOffset, this.headOffset + n);
			this.headOffset += n;
			this.lastTakeWasPrefix = this.headOffset < head.length;
			if (!this.lastTakeWasPrefix) {
				this.chunks.pollFirst();
				this.headOffset = 0;
			}
		}
		this.buffered -= n;
		return out;
	}

	/** Takes exactly {@code n} buffered bytes, across chunks. */
	private byte[] takeMerged(int n) {
		byte[] out = new byte[n];
		int filled = 0;
		while (filled < n) {
			byte[] head = this.chunks.getFirst();
			int count = Math.min(head.length - this.headOffset, n - filled);
			System.arraycopy(head, this.headOffset, out, filled, count);
			filled += count;
			this.headOffset += count;
			if (this.headOffset == head.length) {
				this.chunks.pollFirst();
				this.headOffset = 0;
			}
		}
		this.buffered -= n;
		this.lastTakeWasPrefix = false;
		return out;
	}

	/** Puts bytes a read could not hand over back in front, in their original place. */
	private void pushBack(byte[] data, boolean prefixOfHead) {
		if (prefixOfHead) {
			this.headOffset -= data.length;
		}
		else {
			if (this.headOffset > 0) {
				byte[] head = this.chunks.pollFirst();
				this.chunks.addFirst(Arrays.copyOfRange(head, this.headOffset, head.length));
				this.headOffset = 0;
			}
			this.chunks.addFirst(data);
		}
		this.buffered += data.length;
	}

	/** Index (from the first unread byte) of the next {@code '\n'}, or -1; remembers how far it looked. */
	private int findLineEnd(PendingRead read) {
		int position = 0;
		boolean first = true;
		for (byte[] chunk : this.chunks) {
			int start = first ? this.headOffset : 0;
			first = false;
			int length = chunk.length - start;
			if (position + length > read.scanned) {
				for (int i = start + Math.max(0, read.scanned - position); i < chunk.length; i++) {
					if (chunk[i] == '\n') {
						return position + i - start;
					}
				}
			}
			position += length;
		}
		read.scanned = position;
		return -1;
	}

	// ---------------------------------------------------------------- flow control

	/** On the event loop: pauses or resumes the session's delivery according to the buffer. */
	private void updateFlow() {
		KcpSession current = this.session;
		if (current == null) {
			return;
		}
		long limit = current.config().readBufferSize();
		boolean pause;
		synchronized (this.lock) {
			pause = !this.ended && !readerNeedsMore()
					&& (this.paused ? this.buffered >= limit / 2 : this.buffered >= limit);
			if (pause == this.paused) {
				return;
			}
			this.paused = pause;
		}
		// Resuming may deliver messages (re-entering onMessage) before it returns; the flag is already set.
		if (pause) {
			current.pauseReading();
		}
		else {
			current.resumeReading();
		}
	}

	/** Under the lock: a read waits for bytes the stream would otherwise not take in. */
	private boolean readerNeedsMore() {
		PendingRead read = this.pending;
		return read != null && !read.future.isDone() && !this.handingOver;
	}

	/** After a read took bytes: resume the session's delivery if the buffer is low enough now. */
	private void resumeIfDrained() {
		KcpSession current = this.session;
		if (current == null) {
			return;
		}
		synchronized (this.lock) {
			if (!this.paused || this.buffered >= current.config().readBufferSize() / 2) {
				return;
			}
		}
		current.executor().execute(this::updateFlow);
	}

	/** After a read was registered: a read that waits must not be starved by a paused session. */
	private void resumeIfReaderWaits() {
		KcpSession current = this.session;
		if (current == null) {
			return;
		}
		synchronized (this.lock) {
			if (!this.paused || !readerNeedsMore()) {
				return;
			}
		}
		current.executor().execute(this::updateFlow);
	}

	// ---------------------------------------------------------------- writing

	/** Writes the whole array; see {@link #write(byte[], int, int)}. */
	public CompletableFuture<Void> write(byte[] data) {
		return write(data, 0, data.length);
	}

	/**
	 * Writes a message (message mode) or bytes of the stream (stream mode). The bytes are copied before this
	 * returns; writes are sent in the order they were made.
	 * @return a future completed when the peer acknowledged the data (asyncio's {@code drain}); failed with
	 * {@link KcpSendBufferFullException} at once if more than {@link KcpConfig#sendBufferSize()} bytes already wait
	 * for room, with {@link io.github.kcp.core.protocol.KcpMessageTooLargeException} for a message too large for
	 * message mode, or with {@link KcpSessionClosedException} if the stream is closed or closes first
	 */
	public CompletableFuture<Void> write(byte[] data, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, data.length);
		KcpSession current = session();
		RuntimeException closed = refuseIfClosing(current);
		if (closed != null) {
			return CompletableFuture.failedFuture(closed);
		}
		long limit = current.config().sendBufferSize();
		if (!tryReserveWaiting(length, limit)) {
			return CompletableFuture.failedFuture(new KcpSendBufferFullException("Write of " + length
					+ " bytes refused: the send buffer is full and " + this.waitingWriteBytes.get() + " more bytes"
					+ " already wait for room (at most sendBufferSize=" + limit + "); wait for earlier writes to"
					+ " complete, or use writeWhenRoom"));
		}
		return queue(current, data, offset, length);
	}

	/**
	 * Writes like {@link #write(byte[], int, int)}, but when the writes already waiting for room in the session's
	 * send buffer reach {@link KcpConfig#sendBufferSize()} bytes, waits up to {@code timeout} for room among them
	 * instead of failing; returns as soon as the bytes are queued. This is the same back-pressure as
	 * {@link #write}'s, waited for instead of refused. Must not be called on the session's event-loop thread.
	 * @return the future of the acknowledgement, as {@link #write}'s
	 * @throws TimeoutException if no room appeared within the timeout (nothing was queued)
	 * @throws InterruptedException if interrupted while waiting (nothing was queued)
	 */
	public CompletableFuture<Void> writeWhenRoom(byte[] data, int offset, int length, Duration timeout)
			throws TimeoutException, InterruptedException {
		Objects.checkFromIndexSize(offset, length, data.length);
		KcpSession current = session();
		if (current.executor() instanceof EventExecutor loop && loop.inEventLoop()) {
			throw new IllegalStateException("writeWhenRoom must not be called on the session's event loop");
		}
		long limit = current.config().sendBufferSize();
		long deadline = System.nanoTime() + timeout.toNanos();
		this.roomLock.lock();
		try {
			while (true) {
				RuntimeException closed = refuseIfClosing(current);
				if (closed != null) {
					return CompletableFuture.failedFuture(closed);
				}
				if (tryReserveWaiting(length, limit)) {
					break;
				}
				long remaining = deadline - System.nanoTime();
				if (remaining <= 0) {
					throw new TimeoutException("No room for " + length + " bytes within " + timeout + ": "
							+ this.waitingWriteBytes.get() + " bytes already wait for room in the send buffer (at most "
							+ "sendBufferSize=" + limit + ")");
				}
				this.roomFreed.awaitNanos(remaining);
			}
		}
		finally {
			this.roomLock.unlock();
		}
		return queue(current, data, offset, length);
	}

	private @Nullable RuntimeException refuseIfClosing(KcpSession current) {
		if (this.closing || !current.isOpen()) {
			return new KcpSessionClosedException(
					"The stream with " + current.remoteAddress() + " is closed or closing; no more writes",
					current.closeReason());
		}
		return null;
	}

	/** Counts {@code length} bytes as waiting if they fit (a write alone is let through, however large). */
	private boolean tryReserveWaiting(long length, long limit) {
		long waiting = this.waitingWriteBytes.addAndGet(length);
		if (waiting > length && waiting > limit) {
			this.waitingWriteBytes.addAndGet(-length);
			return false;
		}
		return true;
	}

	/** Bytes stopped waiting (handed to the session, or failed): wakes writers waiting for room. */
	private void releaseWaiting(long length) {
		this.waitingWriteBytes.addAndGet(-length);
		this.roomLock.lock();
		try {
			this.roomFreed.signalAll();
		}
		finally {
			this.roomLock.unlock();
		}
	}

	private CompletableFuture<Void> queue(KcpSession current, byte[] data, int offset, int length) {
		QueuedWrite write = new QueuedWrite(Arrays.copyOfRange(data, offset, offset + length),
				new CompletableFuture<>());
		current.executor().execute(() -> queueWrite(write));
		return write.future;
	}

	private void queueWrite(QueuedWrite write) {
		this.waitingWrites.addLast(write);
		this.lastWrite = write.future;
		pumpWrites();
	}

	/**
	 * Waits for every write made before this call to be acknowledged, as asyncio's {@code writer.drain()}. Writes
	 * are acknowledged in order, so this is the future of the last of them.
	 * @return a future completed once the peer acknowledged all earlier writes; failed like that last write (for
	 * example with {@link KcpSessionClosedException} when the session closed first)
	 */
	public CompletableFuture<Void> drain() {
		CompletableFuture<Void> drained = new CompletableFuture<>();
		// On the loop, after the tasks of earlier writes (the loop runs tasks in order), so they are all queued.
		session().executor().execute(() -> this.lastWrite.whenComplete((result, ex) -> {
			if (ex != null) {
				drained.completeExceptionally(ex);
			}
			else {
				drained.complete(null);
			}
		}));
		return drained;
	}

	/** On the loop: hands waiting writes to the session while it has room, then performs a requested close. */
	private void pumpWrites() {
		KcpSession current = session();
		QueuedWrite next;
		while ((next = this.waitingWrites.peekFirst()) != null) {
			CompletableFuture<Void> sent = current.send(next.data);
			Throwable refused = immediateFailure(sent);
			if (refused instanceof KcpSendBufferFullException && this.writesInFlight > 0) {
				// Retried when an earlier write is acknowledged and frees room.
				return;
			}
			this.waitingWrites.pollFirst();
			releaseWaiting(next.data.length);
			if (refused != null) {
				next.future.completeExceptionally(refused);
				continue;
			}
			this.writesInFlight++;
			QueuedWrite write = next;
			sent.whenComplete((result, ex) -> writeDone(write, ex));
		}
		if (this.closeRequested) {
			this.closeRequested = false;
			current.close();
		}
	}

	private void writeDone(QueuedWrite write, @Nullable Throwable ex) {
		this.writesInFlight--;
		if (ex == null) {
			write.future.complete(null);
		}
		else {
			write.future.completeExceptionally((ex instanceof CompletionException && ex.getCause() != null)
					? ex.getCause() : ex);
		}
		pumpWrites();
	}

	private static @Nullable Throwable immediateFailure(CompletableFuture<Void> future) {
		if (!future.isCompletedExceptionally()) {
			return null;
		}
		try {
			future.getNow(null);
			return null;
		}
		catch (CompletionException ex) {
			return (ex.getCause() != null) ? ex.getCause() : ex;
		}
		catch (java.util.concurrent.CancellationException ex) {
			return ex;
		}
	}

	private void failWaitingWrites(KcpSessionClosedException closed) {
		QueuedWrite write;
		while ((write = this.waitingWrites.pollFirst()) != null) {
			releaseWaiting(write.data.length);
			write.future.completeExceptionally(closed);
		}
		// Writers waiting for room see the stream closing and give up.
		releaseWaiting(0);
	}

	// ---------------------------------------------------------------- closing

	/**
	 * Closes gracefully, as asyncio's {@code writer.close()}: no more writes are accepted, writes already made are
	 * delivered and acknowledged (up to {@link KcpConfig#closeTimeout()}), then the peer is told. Afterwards reads
	 * return the bytes already buffered, then the end of the stream.
	 * @return the session's close future ({@code wait_closed})
	 */
	public CompletableFuture<CloseReason> close() {
		KcpSession current = session();
		this.closing = true;
		releaseWaiting(0);
		current.executor().execute(() -> {
			this.closeRequested = true;
			pumpWrites();
		});
		return current.closeFuture();
	}

	/** Closes at once, dropping unacknowledged data; see {@link KcpSession#abort()}. */
	public void abort() {
		this.closing = true;
		releaseWaiting(0);
		session().abort();
	}

	/** A future completed with the reason once the session has closed. */
	public CompletableFuture<CloseReason> closeFuture() {
		return session().closeFuture();
	}

	@Override
	public String toString() {
		return "KcpStream{" + this.session + "}";
	}

	private static String describe(CloseReason reason) {
		return switch (reason) {
			case IDLE_TIMEOUT -> "nothing was received from the peer for the idle timeout";
			case DEAD_LINK -> "a segment was retransmitted the dead-link number of times without acknowledgement";
			case SERVER_SHUTDOWN -> "the server shut down";
			case EVICTED -> "the server evicted it to make room (its peer was not proven yet)";
			case ERROR -> "an error occurred";
			case CLOSED_BY_PEER -> "the peer closed it";
			case CLOSED_LOCALLY -> "it was closed locally";
		};
	}

	/** One read waiting for data. */
	private static final class PendingRead {

		final ReadKind kind;

		/** Most bytes ({@code UP_TO}), exact count ({@code EXACTLY}) or line limit ({@code LINE}). */
		final int size;

		final CompletableFuture<byte @Nullable []> future = new CompletableFuture<>();

		/** For {@code LINE}: how many buffered bytes are known to hold no line end. */
		int scanned;

		PendingRead(ReadKind kind, int size) {
			this.kind = kind;
			this.size = size;
		}

	}

	/** What a read completes with: bytes (or {@code null} for the end) or an error. */
	private record Outcome(byte @Nullable [] data, @Nullable Throwable error, boolean prefix) {
	}

	/** A write waiting to be handed to the session. */
	private record QueuedWrite(byte[] data, CompletableFuture<Void> future) {
	}

	/** Feeds the stream from the session's events, on its event loop. */
	private final class StreamHandler implements KcpSessionHandler {

		@Override
		public void onOpen(KcpSession opened) {
			attach(opened);
			Consumer<KcpStream> callback = KcpStream.this.onOpen;
			if (callback == null) {
				return;
			}
			try {
				callback.accept(KcpStream.this);
			}
			catch (RuntimeException ex) {
				logger.warn("KCP stream connection callback failed for session conv={} remote={}; aborting it",
						opened.conv(), opened.remoteAddress(), ex);
				opened.abort();
			}
		}

		@Override
		public void onMessage(KcpSession from, byte[] message) {
			synchronized (KcpStream.this.lock) {
				KcpStream.this.chunks.addLast(message);
				KcpStream.this.buffered += message.length;
			}
			serve();
			updateFlow();
		}

		@Override
		public void onClose(KcpSession closed, CloseReason reason, @Nullable Throwable cause) {
			KcpSessionClosedException error = new KcpSessionClosedException("KCP session conv=" + closed.conv()
					+ " with " + closed.remoteAddress() + " closed: " + reason + " (" + describe(reason) + ")", reason);
			if (cause != null) {
				error.initCause(cause);
			}
			synchronized (KcpStream.this.lock) {
				KcpStream.this.ended = true;
				if (reason != CloseReason.CLOSED_BY_PEER && reason != CloseReason.CLOSED_LOCALLY) {
					KcpStream.this.failure = error;
				}
			}
			KcpStream.this.closing = true;
			failWaitingWrites(error);
			serve();
		}

	}

}
