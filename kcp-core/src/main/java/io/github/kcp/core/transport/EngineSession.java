package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

import io.github.kcp.core.protocol.InputResult;
import io.github.kcp.core.protocol.Kcp;
import io.github.kcp.core.protocol.KcpCodec;
import io.github.kcp.core.protocol.KcpMessageTooLargeException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session implementation: a {@link Kcp} engine confined to one event loop, driven by received datagrams,
 * sends, and one timer armed at the engine's {@link Kcp#check} deadline only while the engine has work.
 */
final class EngineSession implements KcpSession {

	private static final Logger logger = LoggerFactory.getLogger(EngineSession.class);

	/**
	 * How many times a close signal is sent while waiting for its confirmation: five, so that even at 20 % loss
	 * the peer misses all of them only once in 3,000 closes (0.2^5), while a standard peer that never confirms
	 * delays the local close by four RTOs at most.
	 */
	private static final int CLOSE_SIGNAL_ATTEMPTS = 5;

	private enum State {

		OPEN, DRAINING, CLOSE_SENT, CLOSED

	}

	private final KcpEndpoint endpoint;

	private final EventLoop loop;

	private final InetSocketAddress remoteAddress;

	private final int conv;

	private final Kcp kcp;

	private final KcpSessionHandler handler;

	private final SendBuffer sendBuffer;

	private final Map<String, Object> attributes = new ConcurrentHashMap<>();

	private final CompletableFuture<CloseReason> closeFuture = new CompletableFuture<>();

	private volatile KcpConfig config;

	private volatile boolean acceptingSends = true;

	private volatile @Nullable CloseReason closeReason;

	// ---- confined to the event loop

	private State state = State.OPEN;

	/** The reason to report once a graceful close completes (closed locally, or server shutdown). */
	private CloseReason closingReason = CloseReason.CLOSED_LOCALLY;

	private final ArrayDeque<PendingSend> pendingSends = new ArrayDeque<>();

	private @Nullable ScheduledFuture<?> updateTimer;

	private int updateDeadline;

	private @Nullable ScheduledFuture<?> idleTimer;

	private @Nullable ScheduledFuture<?> closeTimer;

	private int closeSignalsSent;

	private long lastReceivedNanos = System.nanoTime();

	private boolean readingPaused;

	private boolean flushPending;

	/**
	 * Millisecond of the last eager full flush. A full flush walks the whole send window (up to thousands of
	 * segments), so doing one per received datagram or per send made a busy sender fall behind its own ACKs and
	 * retransmit spuriously; eager full flushes are limited to one per millisecond, later ones in the same
	 * millisecond send their ACKs at once and leave the data to a flush one millisecond later.
	 */
	private int lastEagerFlush = MonotonicClock.nowMillis() - 1;

	private boolean deferredFlushScheduled;

	private long messagesIn;

	private long messagesOut;

	private long droppedDatagrams;

	// Wire-level counters (after encryption, before decryption), close signals included.

	private long datagramsOut;

	private long bytesOut;

	private long datagramsIn;

	private long bytesIn;

	/** Set once the packet cipher failed: the session closes with ERROR and sends nothing more. */
	private @Nullable RuntimeException encryptFailure;

	private final byte[] signalBuffer = new byte[KcpCodec.OVERHEAD];

	EngineSession(KcpEndpoint endpoint, EventLoop loop, InetSocketAddress remoteAddress, int conv, KcpConfig config,
			KcpSessionHandler handler) {
		this.endpoint = endpoint;
		this.loop = loop;
		this.remoteAddress = remoteAddress;
		this.conv = conv;
		this.config = config;
		this.handler = handler;
		this.sendBuffer = new SendBuffer(config.sendBufferBytes());
		this.kcp = new Kcp(conv, (buffer, length) -> endpoint.output(this, buffer, length));
		config.applyTo(this.kcp);
	}

	// ---------------------------------------------------------------- lifecycle, on the loop

	/** Called by the endpoint once the session is registered. */
	void open() {
		armIdleTimer();
		try {
			this.handler.onOpen(this);
		}
		catch (RuntimeException ex) {
			handlerFailed("onOpen", ex);
		}
	}

	/**
	 * Handles one decrypted datagram addressed to this session. The endpoint calls {@link #flushIfPending()}
	 * after the read batch.
	 */
	void input(byte[] data, int offset, int length, int wireLength) {
		if (this.state == State.CLOSED) {
			return;
		}
		this.datagramsIn++;
		this.bytesIn += wireLength;
		this.lastReceivedNanos = System.nanoTime();
		int signal = KcpCodec.closeSignal(data, offset, length);
		if (signal == KcpCodec.CMD_CLOSE) {
			onCloseSignal();
			return;
		}
		if (signal == KcpCodec.CMD_CLOSE_ACK) {
			if (this.state == State.CLOSE_SENT) {
				finish(this.closingReason, null, false);
			}
			return;
		}
		if (this.endpoint.refusingData) {
			length = withoutData(data, offset, length);
		}
		int now = MonotonicClock.nowMillis();
		InputResult result = (length > 0) ? this.kcp.input(data, offset, length, now) : InputResult.OK;
		if (result != InputResult.OK) {
			this.droppedDatagrams++;
			this.endpoint.drop(DropReason.ENGINE_REJECTED);
		}
		completeAcknowledgedSends();
		deliverMessages();
		if (this.state == State.CLOSED) {
			return;
		}
		if (!this.config.eagerFlush()) {
			scheduleUpdate(now);
		}
		else if (!this.flushPending) {
			this.flushPending = true;
			this.endpoint.markDirty(this);
		}
	}

	/**
	 * Removes the data segments of a datagram in place, keeping acknowledgements and window segments (stop-gap, see
	 * {@link KcpServer#refuseNewData()}).
	 * @return the length of what is left
	 */
	private static int withoutData(byte[] data, int offset, int length) {
		int read = offset;
		int write = offset;
		int end = offset + length;
		while (end - read >= KcpCodec.OVERHEAD) {
			int segment = KcpCodec.OVERHEAD + Math.max(0, Math.min(KcpCodec.readInt(data, read + 20),
					end - read - KcpCodec.OVERHEAD));
			if ((data[read + 4] & 0xff) != KcpCodec.CMD_PUSH) {
				System.arraycopy(data, read, data, write, segment);
				write += segment;
			}
			read += segment;
		}
		return write - offset;
	}

	/** Flushes after a batch of input, if input asked for it. */
	void flushIfPending() {
		if (this.flushPending && this.state != State.CLOSED) {
			this.flushPending = false;
			eagerFlush(MonotonicClock.nowMillis());
		}
	}

	/** A flush right away, full at most once per millisecond (see {@link #lastEagerFlush}). */
	private void eagerFlush(int now) {
		if (now != this.lastEagerFlush) {
			this.lastEagerFlush = now;
			this.kcp.flush(now);
		}
		else {
			this.kcp.flushAcks(now);
			if (!this.deferredFlushScheduled) {
				this.deferredFlushScheduled = true;
				this.loop.schedule(this::deferredFlush, 1, TimeUnit.MILLISECONDS);
			}
		}
		afterEngineWork(now);
	}

	private void deferredFlush() {
		this.deferredFlushScheduled = false;
		if (this.state == State.CLOSED) {
			return;
		}
		int now = MonotonicClock.nowMillis();
		this.lastEagerFlush = now;
		this.kcp.flush(now);
		afterEngineWork(now);
	}

	private void onUpdateTimer() {
		this.updateTimer = null;
		if (this.state == State.CLOSED) {
			return;
		}
		int now = MonotonicClock.nowMillis();
		this.kcp.update(now);
		afterEngineWork(now);
	}

	/** After the engine produced output: push it out, then react to dead link, drained queues, next deadline. */
	private void afterEngineWork(int now) {
		this.endpoint.flushChannel();
		if (this.kcp.isDeadLink()) {
			finish(CloseReason.DEAD_LINK, null, true);
			return;
		}
		if (this.state == State.DRAINING && this.kcp.waitSnd() == 0) {
			sendCloseSignal();
			return;
		}
		scheduleUpdate(now);
	}

	private void scheduleUpdate(int now) {
		if (this.state == State.CLOSED || this.state == State.CLOSE_SENT || this.kcp.isIdle()) {
			return;
		}
		int deadline = this.kcp.check(now);
		if (this.updateTimer != null) {
			if (this.updateDeadline - deadline <= 0) {
				return;
			}
			this.updateTimer.cancel(false);
		}
		this.updateDeadline = deadline;
		this.updateTimer = this.loop.schedule(this::onUpdateTimer, Math.max(0, deadline - now), TimeUnit.MILLISECONDS);
	}

	private void armIdleTimer() {
		Duration timeout = this.config.idleTimeout();
		if (timeout.isZero()) {
			return;
		}
		long remaining = timeout.toNanos() - (System.nanoTime() - this.lastReceivedNanos);
		this.idleTimer = this.loop.schedule(this::onIdleTimer, Math.max(0, remaining), TimeUnit.NANOSECONDS);
	}

	private void onIdleTimer() {
		this.idleTimer = null;
		if (this.state == State.CLOSED) {
			return;
		}
		if (System.nanoTime() - this.lastReceivedNanos >= this.config.idleTimeout().toNanos()) {
			finish(CloseReason.IDLE_TIMEOUT, null, true);
		}
		else {
			armIdleTimer();
		}
	}

	private void completeAcknowledgedSends() {
		int una = this.kcp.sendUnacknowledged();
		PendingSend pending;
		while ((pending = this.pendingSends.peekFirst()) != null && una - pending.lastSequence > 0) {
			this.pendingSends.pollFirst();
			this.sendBuffer.release(pending.bytes);
			pending.future.complete(null);
		}
	}

	private void deliverMessages() {
		if (this.readingPaused && this.state != State.CLOSED) {
			return;
		}
		byte[] message;
		while ((message = this.kcp.receive()) != null) {
			this.messagesIn++;
			try {
				this.handler.onMessage(this, message);
			}
			catch (RuntimeException ex) {
				handlerFailed("onMessage", ex);
			}
			if (this.readingPaused) {
				return;
			}
		}
	}

	private void handlerFailed(String callback, RuntimeException ex) {
		this.endpoint.handlerFailed();
		logger.warn("KCP handler {} failed for session conv={} remote={}; the session goes on", callback, this.conv,
				this.remoteAddress, ex);
	}

	// ---------------------------------------------------------------- closing, on the loop

	/** Starts a graceful close reporting {@code reason} when done. */
	void beginClose(CloseReason reason) {
		if (this.state != State.OPEN) {
			return;
		}
		this.acceptingSends = false;
		this.closingReason = reason;
		this.state = State.DRAINING;
		this.closeTimer = this.loop.schedule(this::onCloseTimeout, this.config.closeTimeout().toNanos(),
				TimeUnit.NANOSECONDS);
		int now = MonotonicClock.nowMillis();
		this.kcp.flush(now);
		afterEngineWork(now);
	}

	private void onCloseTimeout() {
		this.closeTimer = null;
		if (this.state == State.DRAINING || this.state == State.CLOSE_SENT) {
			finish(this.closingReason, null, this.state == State.DRAINING);
		}
	}

	private void sendCloseSignal() {
		this.state = State.CLOSE_SENT;
		cancelUpdateTimer();
		writeSignal(KcpCodec.CMD_CLOSE);
		this.closeSignalsSent++;
		if (this.closeSignalsSent >= CLOSE_SIGNAL_ATTEMPTS) {
			// The peer may not know the signal (a standard KCP peer): it will time out on its own.
			finish(this.closingReason, null, false);
			return;
		}
		long retry = Math.max(this.kcp.rto(), 50);
		this.updateTimer = this.loop.schedule(() -> {
			this.updateTimer = null;
			if (this.state == State.CLOSE_SENT) {
				sendCloseSignal();
			}
		}, retry, TimeUnit.MILLISECONDS);
	}

	private void onCloseSignal() {
		// Everything the peer sent before closing was acknowledged, so it is all here: deliver it first.
		this.readingPaused = false;
		deliverMessages();
		writeSignal(KcpCodec.CMD_CLOSE_ACK);
		boolean closingOurselves = this.state == State.DRAINING || this.state == State.CLOSE_SENT;
		finish(closingOurselves ? this.closingReason : CloseReason.CLOSED_BY_PEER, null, false);
	}

	private void writeSignal(int cmd) {
		KcpCodec.writeCloseSignal(this.signalBuffer, this.conv, cmd, 0, MonotonicClock.nowMillis(),
				this.kcp.sendNext(), this.kcp.receiveNext());
		this.endpoint.output(this, this.signalBuffer, this.signalBuffer.length);
		this.endpoint.flushChannel();
	}

	/**
	 * Closes for good: fails what is unacknowledged, tells the peer if asked, unregisters and notifies.
	 */
	void finish(CloseReason reason, @Nullable Throwable cause, boolean signalPeer) {
		if (this.state == State.CLOSED) {
			return;
		}
		if (signalPeer) {
			writeSignal(KcpCodec.CMD_CLOSE);
		}
		this.state = State.CLOSED;
		this.acceptingSends = false;
		this.closeReason = reason;
		cancelUpdateTimer();
		if (this.idleTimer != null) {
			this.idleTimer.cancel(false);
			this.idleTimer = null;
		}
		if (this.closeTimer != null) {
			this.closeTimer.cancel(false);
			this.closeTimer = null;
		}
		KcpSessionClosedException closed = new KcpSessionClosedException(
				"Session conv=" + this.conv + " with " + this.remoteAddress + " closed: " + reason, reason);
		PendingSend pending;
		while ((pending = this.pendingSends.pollFirst()) != null) {
			pending.future.completeExceptionally(closed);
		}
		// After the pending sends: a writer woken from sendBlocking finds every earlier send already failed.
		this.sendBuffer.close();
		this.endpoint.sessionClosed(this);
		try {
			this.handler.onClose(this, reason, cause);
		}
		catch (RuntimeException ex) {
			handlerFailed("onClose", ex);
		}
		this.closeFuture.complete(reason);
	}

	private void cancelUpdateTimer() {
		if (this.updateTimer != null) {
			this.updateTimer.cancel(false);
			this.updateTimer = null;
		}
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
	public boolean isOpen() {
		return this.acceptingSends;
	}

	@Override
	public CompletableFuture<Void> send(byte[] data, int offset, int length) {
		java.util.Objects.checkFromIndexSize(offset, length, data.length);
		RuntimeException refused = checkSendable(length);
		if (refused != null) {
			return CompletableFuture.failedFuture(refused);
		}
		try {
			if (!this.sendBuffer.tryReserve(length)) {
				return CompletableFuture.failedFuture(new KcpSendBufferFullException("Send buffer full: " + length
						+ " more bytes do not fit in " + this.sendBuffer.capacity() + " (" + this.sendBuffer.used()
						+ " bytes unacknowledged); wait for earlier sends, use sendBlocking, or raise sendBufferBytes"));
			}
		}
		catch (KcpSessionClosedException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		return enqueue(data, offset, length);
	}

	@Override
	public CompletableFuture<Void> send(ByteBuffer data) {
		byte[] copy = new byte[data.remaining()];
		data.get(copy);
		return send(copy, 0, copy.length);
	}

	@Override
	public CompletableFuture<Void> sendBlocking(byte[] data, int offset, int length, Duration timeout)
			throws TimeoutException, InterruptedException {
		java.util.Objects.checkFromIndexSize(offset, length, data.length);
		if (this.loop.inEventLoop()) {
			throw new IllegalStateException("sendBlocking must not be called on the session's event loop");
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
		return enqueue(data, offset, length);
	}

	private @Nullable RuntimeException checkSendable(int length) {
		if (!this.acceptingSends) {
			return new KcpSessionClosedException(
					"Session conv=" + this.conv + " with " + this.remoteAddress + " is closed or closing",
					this.closeReason);
		}
		KcpConfig current = this.config;
		if (!current.stream() && length > current.maxMessageSize()) {
			int mss = current.engineMtu() - KcpCodec.OVERHEAD;
			return new KcpMessageTooLargeException(length, current.maxMessageSize(),
					current.maxMessageSize() / mss, mss);
		}
		return null;
	}

	private CompletableFuture<Void> enqueue(byte[] data, int offset, int length) {
		CompletableFuture<Void> future = new CompletableFuture<>();
		if (this.loop.inEventLoop()) {
			doSend(data, offset, length, future);
		}
		else {
			byte[] copy = Arrays.copyOfRange(data, offset, offset + length);
			this.loop.execute(() -> doSend(copy, 0, copy.length, future));
		}
		return future;
	}

	private void doSend(byte[] data, int offset, int length, CompletableFuture<Void> future) {
		if (this.state != State.OPEN) {
			this.sendBuffer.release(length);
			future.completeExceptionally(new KcpSessionClosedException(
					"Session conv=" + this.conv + " with " + this.remoteAddress + " closed before the data was sent",
					this.closeReason));
			return;
		}
		try {
			this.kcp.send(data, offset, length);
		}
		catch (RuntimeException ex) {
			// A message that no longer fits after a runtime mtu or window change.
			this.sendBuffer.release(length);
			future.completeExceptionally(ex);
			return;
		}
		this.messagesOut++;
		if (length == 0 && this.kcp.isStream()) {
			this.sendBuffer.release(length);
			future.complete(null);
			return;
		}
		this.pendingSends.addLast(new PendingSend(this.kcp.lastQueuedSequence(), length, future));
		int now = MonotonicClock.nowMillis();
		if (this.config.eagerFlush()) {
			eagerFlush(now);
		}
		else {
			scheduleUpdate(now);
		}
	}

	@Override
	public CompletableFuture<CloseReason> close() {
		// Refuse sends from now on, not only once the loop gets to beginClose: a caller that just called close()
		// must see isOpen() == false and have later sends fail at once.
		this.acceptingSends = false;
		runOnLoop(() -> beginClose(CloseReason.CLOSED_LOCALLY));
		return this.closeFuture;
	}

	@Override
	public void abort() {
		this.acceptingSends = false;
		runOnLoop(() -> finish(CloseReason.CLOSED_LOCALLY, null, true));
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
			if (!this.readingPaused) {
				return;
			}
			this.readingPaused = false;
			deliverMessages();
			if (this.state != State.CLOSED) {
				// The engine queues a window answer when its full queue drains; send it now.
				int now = MonotonicClock.nowMillis();
				this.kcp.flushAcks(now);
				afterEngineWork(now);
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
			return snapshot();
		}
		try {
			return this.loop.submit(this::snapshot).get(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new KcpException("Interrupted while reading session stats", ex);
		}
		catch (ExecutionException | TimeoutException ex) {
			throw new KcpException("Could not read session stats from its event loop", ex);
		}
	}

	private KcpSessionStats snapshot() {
		Kcp k = this.kcp;
		return new KcpSessionStats(k.srtt(), k.rttVariation(), k.rto(), k.congestionWindow(), k.remoteWindow(),
				k.inFlight(), k.waitSnd(), this.sendBuffer.used(), k.receiveQueueSize(), k.receiveBufferSize(),
				k.timeoutRetransmissions(),
				k.fastRetransmissions(), this.datagramsOut, this.bytesOut, k.outSegments(), this.datagramsIn,
				this.bytesIn, k.inSegments(), k.duplicateSegments(), this.droppedDatagrams, this.messagesOut,
				this.messagesIn);
	}

	/** Counts a datagram for this session that the endpoint dropped (for example, failed decryption). */
	void countDropped() {
		this.droppedDatagrams++;
	}

	/** Counts a datagram written for this session, {@code wireBytes} as sent (after encryption); on the loop. */
	void countSent(int wireBytes) {
		this.datagramsOut++;
		this.bytesOut += wireBytes;
	}

	/**
	 * The packet cipher could not encrypt a datagram of this session; on the loop, possibly inside the engine's
	 * flush. Nothing was sent. A cipher that fails is broken or misconfigured, not a lossy link: retransmitting
	 * would only fail again until the dead-link limit, so the session closes with {@link CloseReason#ERROR} (and
	 * the cipher's exception as cause) as soon as the engine call returns. The peer is not told: the close signal
	 * would have to be encrypted too.
	 */
	void encryptFailed(RuntimeException ex) {
		if (this.encryptFailure != null || this.state == State.CLOSED) {
			return;
		}
		this.encryptFailure = ex;
		this.acceptingSends = false;
		this.loop.execute(() -> finish(CloseReason.ERROR, ex, false));
	}

	@Override
	public KcpConfig config() {
		return this.config;
	}

	@Override
	public void setNoDelay(boolean nodelay, int interval, int resend, boolean noCongestionControl) {
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
	 * Validates on the caller's thread (so errors surface there), applies on the loop. Synchronized so that
	 * setters called at the same time from several threads each build on the other's result; the loop applies
	 * the latest configuration, whatever order the tasks run in.
	 */
	private synchronized void reconfigure(UnaryOperator<KcpConfig.Builder> change) {
		this.config = change.apply(this.config.toBuilder()).build();
		runOnLoop(() -> {
			this.config.applyTo(this.kcp);
			if (this.state != State.CLOSED) {
				scheduleUpdate(MonotonicClock.nowMillis());
			}
		});
	}

	@Override
	public Executor executor() {
		return this.loop;
	}

	EventLoop eventLoop() {
		return this.loop;
	}

	/** The endpoint whose socket carries this session (for its drop counters). */
	KcpEndpoint endpoint() {
		return this.endpoint;
	}

	private void runOnLoop(Runnable task) {
		if (this.loop.inEventLoop()) {
			task.run();
		}
		else {
			this.loop.execute(task);
		}
	}

	@Override
	public String toString() {
		return "KcpSession{conv=" + this.conv + ", remote=" + this.remoteAddress + ", state=" + this.state + "}";
	}

	/** Data handed to the engine, waiting for acknowledgement up to its last segment. */
	private record PendingSend(int lastSequence, int bytes, CompletableFuture<Void> future) {
	}

}
