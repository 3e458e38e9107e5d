package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DatagramSink;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.InvalidKcpSettingException;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpConnection;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.connection.KcpSettings;
import io.github.kcp.core.connection.MemoryBudget;
import io.github.kcp.core.protocol.InputResult;
import io.github.kcp.core.protocol.KcpCodec;
import io.github.kcp.core.protocol.KcpMessageTooLargeException;
import io.netty.channel.EventLoop;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shell of one {@link KcpConnection}: it pins the connection to an event loop, arms its one timer at the
 * connection's deadline, turns completed sends into completed futures and received messages and the close into
 * handler calls, and lets any thread use the session. Every rule (when to flush, when to close, what to tell the
 * peer) is the connection's.
 */
final class EventLoopSession implements KcpSession {

	private static final Logger logger = LoggerFactory.getLogger(EventLoopSession.class);

	/** The last window in which the server counted this session among those receiving (on the loop). */
	long loadWindow = -1;

	/** At most this many rounds of connection work per service call, so a chatty handler cannot starve the loop. */
	private static final int MAX_ROUNDS = 8;

	private final KcpConnection connection;

	private final UdpEndpoint endpoint;

	private final EventLoop loop;

	private final InetSocketAddress remoteAddress;

	private final int conv;

	private final KcpSessionHandler handler;

	private final SendBuffer sendBuffer;

	/** Sends made off the loop and not yet run on it; a send on the loop waits behind them to keep the order. */
	private final AtomicInteger sendsQueuedForLoop = new AtomicInteger();

	private final LongAdder handlerFailures;

	private final Consumer<EventLoopSession> closedListener;

	/** Told of an {@link Error} thrown while this session worked on its loop (the owner stops loudly). */
	private final Consumer<Error> errorListener;

	/** The server's budget the sends' memory counts in until acknowledged; {@code null} on a client. */
	private final @Nullable MemoryBudget sendMemory;

	private final Map<String, Object> attributes = new ConcurrentHashMap<>();

	/** The bytes the packet stage adds to each datagram: the endpoint's cipher's, or the session's DTLS record's. */
	private final int packetOverhead;

	/** The largest datagram the session's own packet stage allows (the DTLS datagram size), the mtu's limit. */
	private final int largestDatagram;

	private final @Nullable KcpSecurityInfo securityInfo;

	private final CompletableFuture<CloseReason> closeFuture = new CompletableFuture<>();

	private volatile KcpConfig config;

	private volatile int maxMessageSize;

	private volatile boolean acceptingSends = true;

	private volatile @Nullable CloseReason closeReason;

	/** Set by {@link #close()} and {@link #abort()}: why sends are refused while the close is under way. */
	private volatile @Nullable CloseReason requestedClose;

	// ---- confined to the event loop

	/** Futures of the sends handed to the connection, in order; it completes them by count. */
	private final ArrayDeque<PendingSend> pendingSends = new ArrayDeque<>();

	private boolean readingPaused;

	private boolean servicing;

	private boolean closeReported;

	/** The one timer, at the connection's deadline; among the socket's, behind one loop timer. */
	private final LoopTimers.Timer timer;

	/**
	 * Creates the session; {@link #open()} it on the loop.
	 * @param closedListener told once, on the loop, when the session has closed (before its handler)
	 * @param handlerFailures where handler exceptions are counted
	 * @param errorListener told, on the loop, of an {@link Error} thrown while the session worked (a handler's, or
	 * an OutOfMemoryError)
	 * @param sendMemory the server's memory budget, charged with what sends hold until acknowledged; {@code null}
	 * for none
	 */
	EventLoopSession(UdpEndpoint endpoint, InetSocketAddress remoteAddress, int conv, KcpConfig config,
			KcpSessionHandler handler, Consumer<EventLoopSession> closedListener, LongAdder handlerFailures,
			Consumer<Error> errorListener, @Nullable MemoryBudget sendMemory) {
		this(endpoint, remoteAddress, conv, config, handler, closedListener, handlerFailures, errorListener, sendMemory,
				null);
	}

	/**
	 * Creates the session, with a packet stage of its own when {@code stage} is given (DTLS: the records are made per
	 * peer, so the endpoint has no cipher); {@link #open()} it on the loop.
	 */
	EventLoopSession(UdpEndpoint endpoint, InetSocketAddress remoteAddress, int conv, KcpConfig config,
			KcpSessionHandler handler, Consumer<EventLoopSession> closedListener, LongAdder handlerFailures,
			Consumer<Error> errorListener, @Nullable MemoryBudget sendMemory, @Nullable SessionStage stage) {
		this.packetOverhead = (stage != null) ? stage.packetOverhead() : endpoint.packetOverhead();
		this.largestDatagram = (stage != null) ? stage.largestDatagram() : Integer.MAX_VALUE;
		this.securityInfo = (stage != null) ? stage.securityInfo() : null;
		this.endpoint = endpoint;
		this.errorListener = errorListener;
		this.sendMemory = sendMemory;
		this.loop = endpoint.loop();
		this.remoteAddress = remoteAddress;
		this.conv = conv;
		this.config = config;
		this.maxMessageSize = config.maxMessageSize(this.packetOverhead);
		this.handler = handler;
		this.closedListener = closedListener;
		this.handlerFailures = handlerFailures;
		this.sendBuffer = new SendBuffer(config.sendBufferSize());
		this.connection = new KcpConnection(conv, config, this.packetOverhead, MonotonicClock.nowMillis(),
				(stage != null) ? stage.sink() : (datagram, length) -> endpoint.write(remoteAddress, datagram, length));
		this.connection.setRttListener(this::rttSampled);
		this.timer = endpoint.timers().newTimer(this::onTimer);
	}

	// ---------------------------------------------------------------- driven by the owner, on the loop

	/** The socket the session sends through (tests). */
	UdpEndpoint endpoint() {
		return this.endpoint;
	}

	/** The connection underneath; only on the loop. */
	KcpConnection connection() {
		return this.connection;
	}

	/** Tells the handler the session is open and arms the timer. */
	void open() {
		try {
			this.handler.onOpen(this);
		}
		catch (RuntimeException ex) {
			handlerFailed("onOpen", ex);
		}
		catch (Error error) {
			this.errorListener.accept(error);
			return;
		}
		service();
	}

	/**
	 * Feeds one received datagram; the owner {@link #service() services} the session at the end of the read burst.
	 * @return what the engine made of it
	 */
	InputResult input(byte[] data, int offset, int length, int wireLength) {
		return this.connection.handleDatagram(MonotonicClock.nowMillis(), data, offset, length, wireLength);
	}

	/** Counts a datagram for this session that was dropped before it got here. */
	void countDropped(DropReason reason) {
		this.connection.countDropped(reason);
	}

	/**
	 * Lets the connection do what is due, hands its outputs to the futures and the handler, pushes the datagrams out
	 * and re-arms the timer. Re-entrant calls (a handler sending) are folded into the running one.
	 */
	void service() {
		if (this.servicing || this.closeReported) {
			return;
		}
		this.servicing = true;
		try {
			serviceOnce();
		}
		catch (Error error) {
			this.servicing = false;
			this.errorListener.accept(error);
		}
		finally {
			this.servicing = false;
		}
	}

	private void serviceOnce() {
		long now = MonotonicClock.nowMillis();
		// Deliver first: the handler's replies then leave with the acknowledgements, and the window the
		// acknowledgements announce counts the messages just taken as free.
		deliver();
		for (int round = 1; !this.closeReported; round++) {
			this.connection.handleTimeout(now);
			deliver();
			if (!this.connection.hasImmediateWork() || round >= MAX_ROUNDS) {
				break;
			}
		}
		this.endpoint.flush();
		if (!this.closeReported) {
			armTimer();
		}
	}

	/** Completed sends, then messages (unless paused; all of them once closed), then the close. */
	private void deliver() {
		for (int acknowledged = this.connection.pollAcknowledged(); acknowledged > 0; acknowledged--) {
			PendingSend send = this.pendingSends.pollFirst();
			if (send != null) {
				this.sendBuffer.release(send.bytes);
				releaseSendMemory(send);
				send.future.complete(null);
			}
		}
		while (!this.readingPaused || this.connection.isClosed()) {
			byte[] message = this.connection.receive();
			if (message == null) {
				break;
			}
			try {
				this.handler.onMessage(this, message);
			}
			catch (RuntimeException ex) {
				handlerFailed("onMessage", ex);
			}
		}
		if (this.connection.isClosed() && !this.closeReported) {
			reportClose();
		}
	}

	private void reportClose() {
		this.closeReported = true;
		this.acceptingSends = false;
		CloseReason reason = Objects.requireNonNull(this.connection.closeReason());
		this.closeReason = reason;
		cancelTimer();
		KcpSessionClosedException closed = new KcpSessionClosedException(
				"Session conv=" + Integer.toUnsignedString(this.conv) + " with " + this.remoteAddress + " closed: "
						+ reason, reason);
		PendingSend pending;
		while ((pending = this.pendingSends.pollFirst()) != null) {
			releaseSendMemory(pending);
			pending.future.completeExceptionally(closed);
		}
		// After the pending sends: a writer woken from a blocking send finds every earlier send already failed.
		this.sendBuffer.close();
		this.endpoint.flush();
		this.closedListener.accept(this);
		try {
			this.handler.onClose(this, reason, this.connection.closeCause());
		}
		catch (RuntimeException ex) {
			handlerFailed("onClose", ex);
		}
		this.closeFuture.complete(reason);
	}

	/** An RTT sample of the engine, during input on the loop: told to the handler. */
	private void rttSampled(int rttMillis) {
		try {
			this.handler.onRttSample(this, rttMillis);
		}
		catch (RuntimeException ex) {
			handlerFailed("onRttSample", ex);
		}
	}

	private void armTimer() {
		long deadline = this.connection.pollTimeout();
		if (deadline == KcpConnection.NO_DEADLINE) {
			cancelTimer();
			return;
		}
		// A deadline moved later is moved, not left to fire for nothing (an acknowledgement after a reply).
		this.timer.arm(deadline);
	}

	private void onTimer() {
		service();
	}

	private void cancelTimer() {
		this.timer.cancel();
	}

	private void handlerFailed(String callback, RuntimeException ex) {
		this.handlerFailures.increment();
		logger.warn("KCP handler {} failed for session conv={} remote={}; the session goes on", callback,
				Integer.toUnsignedString(this.conv), this.remoteAddress, ex);
	}

	// ---------------------------------------------------------------- public API, any thread

	@Override
	public InetSocketAddress remoteAddress() {
		return this.remoteAddress;
	}

	@Override
	public InetSocketAddress localAddress() {
		return this.endpoint.localAddress();
	}

	@Override
	public int conv() {
		return this.conv;
	}

	@Override
	public @Nullable KcpSecurityInfo securityInfo() {
		return this.securityInfo;
	}

	@Override
	public boolean isOpen() {
		return this.acceptingSends;
	}

	@Override
	public int maxMessageSize() {
		return this.maxMessageSize;
	}

	@Override
	public CompletableFuture<Void> send(byte[] data, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, data.length);
		return trySend(data, offset, length, false);
	}

	/** {@code owned}: the array is this session's already (no other reference), so it needs no copy. */
	private CompletableFuture<Void> trySend(byte[] data, int offset, int length, boolean owned) {
		RuntimeException refused = checkSendable(length);
		if (refused != null) {
			return CompletableFuture.failedFuture(refused);
		}
		try {
			if (!this.sendBuffer.tryReserve(length)) {
				return CompletableFuture.failedFuture(new KcpSendBufferFullException("Send buffer full: " + length
						+ " more bytes do not fit in " + this.sendBuffer.capacity() + " (" + this.sendBuffer.used()
						+ " bytes unacknowledged); wait for earlier sends, use sendWhenRoom, or raise sendBufferSize"));
			}
		}
		catch (KcpSessionClosedException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		return enqueue(data, offset, length, owned);
	}

	@Override
	public CompletableFuture<Void> send(ByteBuffer data) {
		// One copy, which the loop may then use as it is.
		byte[] copy = new byte[data.remaining()];
		data.get(copy);
		return trySend(copy, 0, copy.length, true);
	}

	@Override
	public CompletableFuture<Void> sendWhenRoom(byte[] data, int offset, int length, Duration timeout)
			throws TimeoutException, InterruptedException {
		Objects.checkFromIndexSize(offset, length, data.length);
		if (this.loop.inEventLoop()) {
			throw new IllegalStateException("A blocking send must not be called on the session's event loop");
		}
		RuntimeException refused = checkSendable(length);
		if (refused != null) {
			return CompletableFuture.failedFuture(refused);
		}
		try {
			this.sendBuffer.reserve(length, timeout.toNanos());
		}
		catch (KcpSessionClosedException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		return enqueue(data, offset, length, false);
	}

	@Override
	public void sendBlocking(byte[] data, int offset, int length, Duration timeout)
			throws TimeoutException, InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		CompletableFuture<Void> acknowledged = sendWhenRoom(data, offset, length, timeout);
		try {
			acknowledged.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new KcpException("Send failed: " + cause, cause);
		}
	}

	private @Nullable RuntimeException checkSendable(int length) {
		if (!this.acceptingSends) {
			CloseReason reason = this.closeReason;
			return new KcpSessionClosedException("Session conv=" + Integer.toUnsignedString(this.conv) + " with "
					+ this.remoteAddress + " is closed or closing", (reason != null) ? reason : this.requestedClose);
		}
		KcpConfig current = this.config;
		if (!current.stream() && length > this.maxMessageSize) {
			int mss = current.engineMtu(this.packetOverhead) - KcpCodec.OVERHEAD;
			return new KcpMessageTooLargeException(length, this.maxMessageSize, this.maxMessageSize / mss, mss);
		}
		return null;
	}

	private CompletableFuture<Void> enqueue(byte[] data, int offset, int length, boolean owned) {
		CompletableFuture<Void> future = new CompletableFuture<>();
		// Sends keep the order of the calls: a send made on the loop while sends made on other threads still wait in
		// the loop's task queue goes behind them (a sender whose calls hop threads, such as a chain of futures,
		// would otherwise see a later message overtake an earlier one).
		if (this.loop.inEventLoop() && this.sendsQueuedForLoop.get() == 0) {
			doSend(data, offset, length, future);
		}
		else {
			// The caller may reuse its array once send returns ("copied before this returns").
			byte[] copy = owned ? data : Arrays.copyOfRange(data, offset, offset + length);
			this.sendsQueuedForLoop.incrementAndGet();
			try {
				queueOnLoop(() -> {
					this.sendsQueuedForLoop.decrementAndGet();
					doSend(copy, 0, copy.length, future);
				});
			}
			catch (RuntimeException ex) {
				this.sendsQueuedForLoop.decrementAndGet();
				throw ex;
			}
		}
		return future;
	}

	private void doSend(byte[] data, int offset, int length, CompletableFuture<Void> future) {
		if (!this.connection.canSend()) {
			this.sendBuffer.release(length);
			future.completeExceptionally(new KcpSessionClosedException("Session conv="
					+ Integer.toUnsignedString(this.conv) + " with " + this.remoteAddress
					+ " closed before the data was sent",
					(this.connection.closeReason() != null) ? this.connection.closeReason() : this.requestedClose));
			return;
		}
		int charge = sendCharge(length);
		if (this.sendMemory != null && !this.sendMemory.tryReserve(charge)) {
			this.sendBuffer.release(length);
			future.completeExceptionally(new KcpSendBufferFullException("The server's memory budget is exhausted ("
					+ this.sendMemory.used() + " of " + this.sendMemory.limit() + " bytes held by its sessions' buffers): "
					+ length + " more bytes were not taken; retry later, or raise memoryBudget"));
			return;
		}
		try {
			this.connection.send(MonotonicClock.nowMillis(), data, offset, length);
		}
		catch (RuntimeException ex) {
			// A message that no longer fits after a runtime mtu or window change.
			this.sendBuffer.release(length);
			if (this.sendMemory != null) {
				this.sendMemory.release(charge);
			}
			future.completeExceptionally(ex);
			return;
		}
		this.pendingSends.addLast(new PendingSend(length, charge, future));
		service();
	}

	/**
	 * What a send holds until acknowledged: its segments, each a pooled buffer of one mss and a header (a short
	 * message holds as much as a full segment); a stream's bytes are packed into full segments.
	 */
	private int sendCharge(int length) {
		if (this.sendMemory == null) {
			return 0;
		}
		KcpConfig current = this.config;
		int mss = current.engineMtu(this.packetOverhead) - KcpCodec.OVERHEAD;
		int segments = Math.max(1, (length + mss - 1) / mss);
		return current.stream() ? length + segments * KcpCodec.OVERHEAD : segments * (mss + KcpCodec.OVERHEAD);
	}

	private void releaseSendMemory(PendingSend send) {
		if (this.sendMemory != null) {
			this.sendMemory.release(send.charge);
		}
	}

	@Override
	public CompletableFuture<CloseReason> close() {
		// Refuse sends from now on, not only once the loop gets to the close: a caller that just called close() must
		// see isOpen() == false and have later sends fail at once.
		this.requestedClose = CloseReason.CLOSED_LOCALLY;
		this.acceptingSends = false;
		runOnLoop(() -> {
			this.connection.close(MonotonicClock.nowMillis(), CloseReason.CLOSED_LOCALLY);
			service();
		});
		return this.closeFuture;
	}

	@Override
	public void abort() {
		this.requestedClose = CloseReason.CLOSED_LOCALLY;
		this.acceptingSends = false;
		runOnLoop(() -> {
			this.connection.abort(MonotonicClock.nowMillis(), CloseReason.CLOSED_LOCALLY);
			service();
		});
	}

	/**
	 * The packet stage below ended (DTLS: the peer's close_notify): nothing more can be sent or received, so the
	 * session closes at once, as closed by the peer. On the loop.
	 */
	void closedBelow() {
		this.acceptingSends = false;
		this.connection.abort(MonotonicClock.nowMillis(), CloseReason.CLOSED_BY_PEER);
		service();
	}

	/** The socket failed underneath: closes with ERROR and {@code cause}, without telling the peer. On the loop. */
	void fail(Throwable cause) {
		this.acceptingSends = false;
		this.connection.fail(MonotonicClock.nowMillis(), cause);
		service();
	}

	@Override
	public CompletableFuture<CloseReason> closeFuture() {
		return this.closeFuture;
	}

	@Override
	public @Nullable CloseReason closeReason() {
		return this.closeReason;
	}

	@Override
	public void pauseReading() {
		runOnLoop(() -> this.readingPaused = true);
	}

	@Override
	public void resumeReading() {
		runOnLoop(() -> {
			if (this.readingPaused) {
				this.readingPaused = false;
				service();
			}
		});
	}

	@Override
	public Map<String, Object> attributes() {
		return this.attributes;
	}

	@Override
	public KcpSessionStats stats() {
		if (this.loop.inEventLoop()) {
			return this.connection.stats();
		}
		try {
			return this.loop.submit(this.connection::stats).get(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new KcpException("Interrupted while reading session stats", ex);
		}
		catch (ExecutionException | TimeoutException ex) {
			throw new KcpException("Could not read session stats from its event loop", ex);
		}
	}

	@Override
	public KcpConfig config() {
		return this.config;
	}

	@Override
	public void setNoDelay(int nodelay, int interval, int resend, boolean noCongestionControl) {
		reconfigure((builder) -> builder.nodelay(nodelay, interval, resend, noCongestionControl));
	}

	@Override
	public void setWindowSize(int sendWindow, int receiveWindow) {
		reconfigure((builder) -> builder.windowSize(sendWindow, receiveWindow));
	}

	@Override
	public void setMtu(int mtu) {
		reconfigure((builder) -> builder.mtu(mtu));
	}

	@Override
	public void setStream(boolean stream) {
		reconfigure((builder) -> builder.stream(stream));
	}

	/**
	 * Validates on the caller's thread (so errors surface there), applies on the loop. Synchronized so that setters
	 * called at the same time from several threads each build on the other's result; the loop applies the latest
	 * configuration, whatever order the tasks run in.
	 */
	private synchronized void reconfigure(UnaryOperator<KcpConfig.Builder> change) {
		KcpConfig changed = change.apply(this.config.toBuilder()).build();
		if (changed.mtu() > this.largestDatagram) {
			throw new InvalidKcpSettingException(KcpSettings.MTU, changed.mtu(), "at most the DTLS datagram size of this session, " + this.largestDatagram + " bytes");
		}
		int maxMessage = changed.maxMessageSize(this.packetOverhead);
		this.endpoint.ensureReadRoom(changed.mtu());
		this.config = changed;
		this.maxMessageSize = maxMessage;
		runOnLoop(() -> {
			this.connection.reconfigure(MonotonicClock.nowMillis(), this.config);
			service();
		});
	}

	@Override
	public Executor executor() {
		return this.loop;
	}

	private void runOnLoop(Runnable task) {
		if (this.loop.inEventLoop()) {
			task.run();
		}
		else {
			queueOnLoop(task);
		}
	}

	/** Runs the task on the loop after the tasks already queued there, even when called on the loop. */
	private void queueOnLoop(Runnable task) {
		this.loop.execute(() -> {
			try {
				task.run();
			}
			catch (Error error) {
				this.errorListener.accept(error);
			}
		});
	}

	@Override
	public String toString() {
		return "KcpSession{conv=" + Integer.toUnsignedString(this.conv) + ", remote=" + this.remoteAddress + ", "
				+ this.connection + "}";
	}

	/**
	 * A packet stage of the session's own, in place of the endpoint's cipher.
	 * @param sink where the connection's datagrams go
	 * @param packetOverhead the bytes it adds to a datagram, taken off the mtu
	 * @param largestDatagram the largest datagram it may put on the wire: the mtu may not exceed it
	 * @param securityInfo what it negotiated, for {@link KcpSession#securityInfo()}
	 */
	record SessionStage(DatagramSink sink, int packetOverhead, int largestDatagram,
			@Nullable KcpSecurityInfo securityInfo) {
	}

	/** Data handed to the connection, waiting for acknowledgement, and what it holds of the memory budget. */
	private record PendingSend(int bytes, int charge, CompletableFuture<Void> future) {
	}

}
