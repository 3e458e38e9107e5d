package io.github.kcp.core.connection;

import java.util.Objects;
import java.util.function.IntConsumer;

import io.github.kcp.core.protocol.EngineMode;
import io.github.kcp.core.protocol.InputResult;
import io.github.kcp.core.protocol.Kcp;
import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;

/**
 * One KCP conversation as a deterministic state machine: the {@link Kcp} engine plus everything a connection adds
 * on top of it — the close handshake and its retries, the idle and dead-link deadlines, flush pacing, completion of
 * sends by the peer's cumulative acknowledgement, and the statistics. It does no I/O, starts no threads and reads no
 * clock, in the manner of quinn-proto's {@code Connection}:
 * <ul>
 * <li>in: {@link #handleDatagram received datagrams} (plaintext, after the shell's packet stage), the application's
 * {@link #send sends} and {@link #close closes}, and {@link #handleTimeout the time}, a {@code long} of milliseconds
 * on any monotonic clock;</li>
 * <li>out: datagrams through the {@link DatagramSink} (during those calls), {@link #receive() messages},
 * {@link #pollAcknowledged() completed sends}, the {@link #isClosed() close} with its {@link #closeReason() reason},
 * and {@link #pollTimeout() the next deadline}, at which the shell calls {@link #handleTimeout} again.</li>
 * </ul>
 * A shell drives it with one timer: after anything it fed in, it calls {@link #handleTimeout} while
 * {@link #hasImmediateWork()}, drains the outputs, and re-arms its timer at {@link #pollTimeout()}.
 * <p>
 * <b>Close handshake</b> (an extension: see {@link KcpCodec#CMD_CLOSE}). A graceful {@link #close} stops new sends,
 * waits until everything sent was acknowledged (state DRAINING), then sends the close signal and waits for its
 * confirmation (CLOSE_SENT), resending it up to five times, one retransmission timeout (at least 50 ms) apart. The
 * {@link KcpConfig#closeTimeout() close timeout} bounds the whole. A close signal from the peer is confirmed and
 * closes at once: everything the peer sent before it was acknowledged, so it has arrived. {@link #abort} closes at
 * once and tells the peer with one signal. All signals go only to a peer known to understand them (it offered the
 * handshake: see {@link #peerUnderstandsCloseSignal()}); towards a standard peer, which would complain about a
 * command it does not know, the close is silent and the peer times out on its own.
 * <p>
 * <b>A server's terms.</b> A server's {@link ConversationTable} puts each new connection under its terms until the
 * peer is {@link #isPeerProven() proven}: an anti-amplification limit on what leaves through the sink, a receive
 * budget, a shorter idle timeout (see {@code PeerValidation}); a client has none.
 * <p>
 * <b>Refusing data.</b> After {@link #stopReceivingData()} (a server shutting down), received data segments are
 * neither acknowledged nor delivered — the peer keeps them and retries elsewhere — while acknowledgements of our own
 * data are still processed, so that our sends complete. Data acknowledged before is still delivered.
 * <p>
 * Not thread-safe: confine a connection to one thread.
 */
public final class KcpConnection {

	/** {@link #pollTimeout()} when nothing is scheduled. */
	public static final long NO_DEADLINE = Long.MAX_VALUE;

	/**
	 * How many times a close signal is sent while waiting for its confirmation: five, so that even at 20 % loss the
	 * peer misses all of them only once in 3,000 closes (0.2^5), while a standard peer that never confirms delays the
	 * local close by four retransmission timeouts at most.
	 */
	static final int CLOSE_SIGNAL_ATTEMPTS = 5;

	/** The shortest wait between two close signals, in milliseconds. */
	static final int MIN_CLOSE_SIGNAL_INTERVAL = 50;

	private enum State {

		OPEN, DRAINING, CLOSE_SENT, CLOSED

	}

	private final int conv;

	private final Kcp kcp;

	private final DatagramSink sink;

	private final int packetOverhead;

	private final FlushPacing pacing;

	private final SendLedger ledger = new SendLedger();

	private final byte[] signalBuffer = new byte[KcpCodec.OVERHEAD];

	/** Whether the peer understands the close signal, and the offers that tell it we do. */
	private final CloseSignalOffer closeSignalOffer = new CloseSignalOffer();

	/** Echoes a server's address challenges (see {@link AddressChallenge}); {@code null} on a server's connection. */
	private AddressChallenge.@Nullable Echo addressEcho = new AddressChallenge.Echo();

	/** A server's terms until the peer is proven, and its memory accounting; {@code null} on a client. */
	private @Nullable PeerValidation validation;

	private KcpConfig config;

	private long idleTimeoutMillis;

	private State state = State.OPEN;

	/** The reason to report once a graceful close completes. */
	private CloseReason closingReason = CloseReason.CLOSED_LOCALLY;

	private @Nullable CloseReason closeReason;

	private @Nullable Throwable closeCause;

	/** Set when the sink failed; the connection closes with ERROR as soon as the current engine call returns. */
	private @Nullable RuntimeException transmitFailure;

	private boolean refusingData;

	private long now;

	// ---- deadlines (NO_DEADLINE when not armed)

	private long lastReceived;

	private long engineDeadline = NO_DEADLINE;

	/** When the engine last flushed or updated. */
	private long lastEngineRun = Long.MIN_VALUE;

	private long closeDeadline = NO_DEADLINE;

	private long closeSignalDeadline = NO_DEADLINE;

	private int closeSignalsSent;

	private boolean flushWanted;

	private boolean windowUpdateWanted;

	// ---- counters

	private int acknowledgedSends;

	private long messagesIn;

	private long messagesOut;

	private long payloadBytesIn;

	private long payloadBytesOut;

	private long datagramsOut;

	private long bytesOut;

	private long datagramsIn;

	private long bytesIn;

	private final long[] drops = new long[DropReason.values().length];

	/** Segments on the wire beyond the engine's count: offers added, less segments the amplification limit held. */
	private long segmentsOutAdjustment;

	/**
	 * Creates an open connection.
	 * @param conv the conversation id, shared by both ends
	 * @param config the session settings
	 * @param packetOverhead bytes the shell's packet stage adds to each datagram (the cipher's overhead; 0 for
	 * none), taken off the mtu for the engine
	 * @param now the current time in milliseconds; the idle timeout counts from here until the peer is heard
	 * @param sink where the datagrams go
	 * @throws InvalidKcpSettingException if the mtu leaves too little room after the packet overhead
	 */
	public KcpConnection(int conv, KcpConfig config, int packetOverhead, long now, DatagramSink sink) {
		this.conv = conv;
		this.config = Objects.requireNonNull(config, "config");
		this.packetOverhead = packetOverhead;
		this.sink = Objects.requireNonNull(sink, "sink");
		this.kcp = new Kcp(conv, this::transmit);
		config.applyTo(this.kcp, packetOverhead);
		this.idleTimeoutMillis = config.idleTimeout().toMillis();
		this.pacing = new FlushPacing(config.eagerFlush(), config.ackDelay().toMillis(), now);
		this.now = now;
		this.lastReceived = now;
	}

	// ---------------------------------------------------------------- state

	/** The conversation id. */
	public int conv() {
		return this.conv;
	}

	/** The current settings. */
	public KcpConfig config() {
		return this.config;
	}

	/** Whether {@link #send} is accepted: open, no close begun. */
	public boolean canSend() {
		return this.state == State.OPEN;
	}

	/** Whether the connection has closed for good (see {@link #closeReason()}). */
	public boolean isClosed() {
		return this.state == State.CLOSED;
	}

	/** Why the connection closed, or {@code null} while it is open or closing. */
	public @Nullable CloseReason closeReason() {
		return this.closeReason;
	}

	/** The error behind a {@link CloseReason#ERROR} close, otherwise {@code null}. */
	public @Nullable Throwable closeCause() {
		return this.closeCause;
	}

	/** Whether received data segments are refused (see {@link #stopReceivingData()}). */
	public boolean isRefusingData() {
		return this.refusingData;
	}

	/** The largest message {@link #send} accepts in message mode with the current settings. */
	public int maxMessageSize() {
		return this.kcp.maxMessageSize();
	}

	// ---------------------------------------------------------------- input

	/**
	 * Feeds one received datagram (plaintext: after the shell's packet stage). Counts towards liveness: the idle
	 * timeout counts from the last datagram received. Malformed datagrams are counted, never thrown.
	 * @param now the current time in milliseconds
	 * @param wireLength the datagram's size as received, before the packet stage (for the statistics)
	 * @return {@link InputResult#OK}, or why the engine stopped parsing (counted as
	 * {@link DropReason#ENGINE_REJECTED})
	 */
	public InputResult handleDatagram(long now, byte[] data, int offset, int length, int wireLength) {
		Objects.checkFromIndexSize(offset, length, data.length);
		this.now = now;
		if (this.state == State.CLOSED) {
			return InputResult.OK;
		}
		this.datagramsIn++;
		this.bytesIn += wireLength;
		this.lastReceived = now;
		if (this.validation != null) {
			this.validation.received(wireLength, data, offset, length);
		}
		this.closeSignalOffer.received(data, offset, length);
		if (this.addressEcho != null && this.closeSignalOffer.peerUnderstands()) {
			this.addressEcho.received(data, offset, length);
		}
		int signal = KcpCodec.closeSignal(data, offset, length);
		if (signal == KcpCodec.CMD_CLOSE) {
			onCloseSignal(now, data, offset);
			return InputResult.OK;
		}
		if (signal == KcpCodec.CMD_CLOSE_ACK) {
			this.closeSignalOffer.peerSignalled();
			if (this.state == State.CLOSE_SENT) {
				finish(this.closingReason, null, false);
			}
			return InputResult.OK;
		}
		byte[] input = data;
		int inputOffset = offset;
		int inputLength = length;
		if (this.refusingData) {
			input = DataRefusal.withoutNewData(data, offset, length, this.kcp.receiveNext());
			inputOffset = 0;
			inputLength = input.length;
		}
		InputResult result = this.kcp.input(input, inputOffset, inputLength, (int) now);
		if (result != InputResult.OK) {
			this.drops[DropReason.ENGINE_REJECTED.ordinal()]++;
		}
		if (this.validation != null) {
			afterValidatedInput(this.validation);
		}
		this.acknowledgedSends += this.ledger.acknowledge(this.kcp.sendUnacknowledged());
		if (this.pacing.isEager()) {
			this.flushWanted = true;
		}
		else {
			scheduleEngine(now);
		}
		return result;
	}

	/**
	 * Counts a datagram meant for this connection that the shell dropped before it got here (a client's datagram
	 * that failed decryption, for example).
	 */
	public void countDropped(DropReason reason) {
		this.drops[reason.ordinal()]++;
	}

	/**
	 * Sets who is told of each round-trip time sample of the engine (in milliseconds), for RTT distributions; see
	 * {@link Kcp#setRttListener}. Called during {@link #handleDatagram}; it must be quick.
	 * @param listener the listener, or {@code null} for none
	 */
	public void setRttListener(@Nullable IntConsumer listener) {
		this.kcp.setRttListener(listener);
	}

	// ---------------------------------------------------------------- application

	/**
	 * Queues a message (in stream mode: bytes of the stream). It completes — {@link #pollAcknowledged()} counts it —
	 * when the peer has acknowledged all of it. Nothing is sent before the next {@link #handleTimeout}.
	 * @param now the current time in milliseconds
	 * @throws IllegalStateException if the connection no longer accepts sends ({@link #canSend()})
	 * @throws io.github.kcp.core.protocol.KcpMessageTooLargeException in message mode when the message needs more
	 * fragments than the peer can reassemble
	 */
	public void send(long now, byte[] data, int offset, int length) {
		this.now = now;
		if (this.state != State.OPEN) {
			throw new IllegalStateException("The connection " + this.conv + " is " + this.state + "; no more sends");
		}
		this.kcp.send(data, offset, length);
		this.messagesOut++;
		this.payloadBytesOut += length;
		this.ledger.add(this.kcp.lastQueuedSequence(), length);
		// An empty write in stream mode queues nothing: it completes with the data before it, or at once.
		this.acknowledgedSends += this.ledger.acknowledge(this.kcp.sendUnacknowledged());
		if (this.pacing.isEager()) {
			this.flushWanted = true;
		}
		else {
			scheduleEngine(now);
		}
	}

	/**
	 * How many sends completed (were acknowledged, in order) since the last call. Sends still unacknowledged when the
	 * connection closes never complete: the shell fails them.
	 */
	public int pollAcknowledged() {
		int acknowledged = this.acknowledgedSends;
		this.acknowledgedSends = 0;
		return acknowledged;
	}

	/** Sends not acknowledged yet, and their bytes. */
	public long unacknowledgedBytes() {
		return this.ledger.bytes();
	}

	/**
	 * The next received message (in stream mode: the next chunk of the stream), or {@code null} if none is complete.
	 * Messages stay in the engine until taken, so a shell that stops taking them closes the receive window and the
	 * peer waits. After the connection closed, what was received in order before is still here.
	 */
	public byte @Nullable [] receive() {
		boolean queueWasFull = this.kcp.receiveQueueSize() >= this.kcp.receiveWindow();
		byte[] message = this.kcp.receive();
		if (message != null) {
			if (this.validation != null) {
				this.validation.afterReceive(this.kcp);
			}
			this.messagesIn++;
			this.payloadBytesIn += message.length;
			if (queueWasFull && this.state != State.CLOSED) {
				// The window reopened: tell the peer at once rather than at its next probe.
				this.windowUpdateWanted = true;
			}
		}
		return message;
	}

	/**
	 * Begins a graceful close: no more sends; what was sent is delivered and acknowledged, then the peer is told.
	 * Bounded by the {@link KcpConfig#closeTimeout() close timeout}. Does nothing unless open.
	 * @param now the current time in milliseconds
	 * @param reason what to report once closed ({@link CloseReason#CLOSED_LOCALLY},
	 * {@link CloseReason#SERVER_SHUTDOWN})
	 */
	public void close(long now, CloseReason reason) {
		this.now = now;
		if (this.state != State.OPEN) {
			return;
		}
		this.closingReason = Objects.requireNonNull(reason, "reason");
		this.state = State.DRAINING;
		this.closeDeadline = now + this.config.closeTimeout().toMillis();
		this.kcp.flush((int) now);
		this.pacing.fullFlushed(now);
		this.lastEngineRun = now;
		afterEngineWork(now);
	}

	/**
	 * Closes at once: unacknowledged data is dropped (its sends never complete) and the peer is told with one close
	 * signal. Does nothing if already closed.
	 */
	public void abort(long now, CloseReason reason) {
		this.now = now;
		finish(Objects.requireNonNull(reason, "reason"), null, true);
	}

	/**
	 * Closes at once with {@link CloseReason#ERROR} because the shell failed underneath (its socket closed), without
	 * telling the peer.
	 */
	public void fail(long now, Throwable cause) {
		this.now = now;
		finish(CloseReason.ERROR, Objects.requireNonNull(cause, "cause"), false);
	}

	/**
	 * From now on received data segments are neither acknowledged nor delivered (the peer keeps them for a retry
	 * elsewhere), while acknowledgements of our own data are still processed. What was received in order before is
	 * still delivered. Used when a server shuts down.
	 */
	public void stopReceivingData() {
		this.refusingData = true;
	}

	/**
	 * Applies new settings (the packet overhead stays). Validate them first: {@link KcpConfig.Builder#build()} does.
	 * @throws InvalidKcpSettingException if the new mtu leaves too little room after the packet overhead
	 */
	public void reconfigure(long now, KcpConfig newConfig) {
		this.now = now;
		newConfig.engineMtu(this.packetOverhead);
		this.config = newConfig;
		newConfig.applyTo(this.kcp, this.packetOverhead);
		this.idleTimeoutMillis = newConfig.idleTimeout().toMillis();
		if (this.validation != null) {
			this.validation.constrain(this.kcp, newConfig);
			this.idleTimeoutMillis = this.validation.idleTimeoutMillis(this.idleTimeoutMillis);
		}
		this.pacing.setEager(newConfig.eagerFlush());
		this.pacing.setAckDelay(newConfig.ackDelay().toMillis());
		if (this.state != State.CLOSED) {
			scheduleEngine(now);
		}
	}

	// ---------------------------------------------------------------- time

	/**
	 * Whether {@link #handleTimeout} has work to do right now (a flush asked for by input or a send); the shell calls
	 * it again before arming its timer.
	 */
	public boolean hasImmediateWork() {
		return this.state != State.CLOSED && (this.flushWanted || this.windowUpdateWanted);
	}

	/**
	 * When {@link #handleTimeout} must next be called, in milliseconds on the caller's clock, or
	 * {@link #NO_DEADLINE}. May be in the past; may be earlier than needed (then the call does nothing and this
	 * names the next deadline).
	 */
	public long pollTimeout() {
		if (this.state == State.CLOSED) {
			return NO_DEADLINE;
		}
		if (this.flushWanted || this.windowUpdateWanted) {
			return this.now;
		}
		long deadline = Math.min(this.engineDeadline, this.pacing.deferredFullDeadline());
		if (this.kcp.hasPendingAcks()) {
			deadline = Math.min(deadline, this.pacing.ackDeadline());
		}
		deadline = Math.min(deadline, this.closeDeadline);
		deadline = Math.min(deadline, this.closeSignalDeadline);
		if (this.idleTimeoutMillis > 0) {
			deadline = Math.min(deadline, this.lastReceived + this.idleTimeoutMillis);
		}
		return deadline;
	}

	/**
	 * Does whatever is due at {@code now}: the idle and close deadlines, close signal retries, asked-for and paced
	 * flushes, the engine's update. Cheap when nothing is due.
	 */
	public void handleTimeout(long now) {
		this.now = now;
		if (this.state == State.CLOSED) {
			return;
		}
		if (this.idleTimeoutMillis > 0 && now - this.lastReceived >= this.idleTimeoutMillis) {
			finish(CloseReason.IDLE_TIMEOUT, null, true);
			return;
		}
		if (now >= this.closeDeadline) {
			// Still waiting for our data to be acknowledged (tell the peer), or for the confirmation (it was told).
			finish(this.closingReason, null, this.state == State.DRAINING);
			return;
		}
		if (this.state == State.CLOSE_SENT && now >= this.closeSignalDeadline) {
			sendCloseSignal(now);
			if (this.state == State.CLOSED) {
				return;
			}
		}
		int engineNow = (int) now;
		boolean engineWorked = false;
		boolean fedSinceLastRun = this.flushWanted;
		if (this.flushWanted) {
			this.flushWanted = false;
			boolean windowUpdate = this.windowUpdateWanted;
			this.windowUpdateWanted = false;
			FlushPacing.Flush flush = this.pacing.decide(now, isDataDue(engineNow), this.kcp.inFlight(),
					windowUpdate || this.kcp.hasPendingAcks(), windowUpdate || this.kcp.hasUrgentAcks());
			if (flush == FlushPacing.Flush.FULL) {
				flushAll(engineNow);
				engineWorked = true;
			}
			else if (flush == FlushPacing.Flush.ACKS) {
				flushAcks(engineNow);
				engineWorked = true;
			}
		}
		if (this.pacing.isFullDue(now)) {
			flushAll(engineNow);
			this.pacing.fullFlushed(now);
			engineWorked = true;
		}
		if (this.windowUpdateWanted) {
			this.windowUpdateWanted = false;
			flushAcks(engineNow);
			this.pacing.acksFlushed(now);
			engineWorked = true;
		}
		if (this.pacing.areAcksDue(now)) {
			if (this.kcp.hasPendingAcks()) {
				flushAcks(engineNow);
				engineWorked = true;
			}
			this.pacing.acksFlushed(now);
		}
		if (now >= this.engineDeadline) {
			boolean hadAcks = this.kcp.hasPendingAcks();
			this.kcp.update(engineNow);
			if (hadAcks && !this.kcp.hasPendingAcks()) {
				this.pacing.acksFlushed(now);
			}
			engineWorked = true;
		}
		if (engineWorked) {
			this.lastEngineRun = now;
		}
		if (engineWorked || fedSinceLastRun) {
			// Input or a send may have changed the engine without a flush (acknowledgements held back, the last of
			// the data acknowledged while draining): react and plan its next update all the same.
			afterEngineWork(now);
		}
	}

	/**
	 * A full flush; through the engine's update when its interval tick is due (in tuned mode), so that the tick
	 * restarts from here instead of flushing again a moment later (an engine back from idle has an overdue tick).
	 */
	private void flushAll(int engineNow) {
		if (this.kcp.mode() == EngineMode.TUNED && this.kcp.check(engineNow) == engineNow) {
			// In tuned mode update() flushes whenever check() names the present (a tick or a retransmission due).
			this.kcp.update(engineNow);
		}
		else {
			this.kcp.flush(engineNow);
		}
	}

	/** The acknowledgements only; with nothing in flight or queued, an overdue tick is served (and restarted) too. */
	private void flushAcks(int engineNow) {
		if (this.kcp.inFlight() == 0 && this.kcp.sendQueueSize() == 0 && this.kcp.check(engineNow) == engineNow) {
			// Nothing to send but the acknowledgements: the tick's flush is this one.
			this.kcp.update(engineNow);
		}
		else {
			this.kcp.flushAcks(engineNow);
		}
	}

	/**
	 * Whether a flush now would send data: queued data the windows let out, or a retransmission (timeout, fast or
	 * early) that is due, or the engine's interval tick. In {@link EngineMode#IKCP} every flush is a full one, as an
	 * ikcp driver's.
	 */
	private boolean isDataDue(int engineNow) {
		if (this.kcp.mode() == EngineMode.IKCP) {
			return true;
		}
		if (this.kcp.sendQueueSize() > 0) {
			int window = Math.min(this.kcp.sendWindow(), this.kcp.remoteWindow());
			if (!this.kcp.isNoCongestionControl()) {
				window = Math.min(window, this.kcp.congestionWindow());
			}
			if (this.kcp.inFlight() < window) {
				return true;
			}
		}
		// O(1) in tuned mode: with data in flight, a retransmission (or the tick that looks for one) is due.
		return this.kcp.inFlight() > 0 && this.kcp.check(engineNow) == engineNow;
	}

	/** After the engine ran: react to a failed sink, a dead link, a drained send queue; plan the next update. */
	private void afterEngineWork(long now) {
		if (this.state == State.CLOSED) {
			return;
		}
		if (this.transmitFailure != null) {
			finish(CloseReason.ERROR, this.transmitFailure, false);
			return;
		}
		if (this.kcp.isDeadLink()) {
			finish(CloseReason.DEAD_LINK, null, true);
			return;
		}
		if (this.state == State.DRAINING && this.kcp.waitSnd() == 0) {
			sendCloseSignal(now);
			if (this.state == State.CLOSED) {
				return;
			}
		}
		scheduleEngine(now);
	}

	private void scheduleEngine(long now) {
		if (this.state == State.CLOSED || this.kcp.isIdle()) {
			this.engineDeadline = NO_DEADLINE;
			return;
		}
		int engineNow = (int) now;
		long deadline = now + (this.kcp.check(engineNow) - engineNow);
		if (deadline <= now && this.lastEngineRun == now) {
			// The engine ran in this millisecond and names its interval tick as due (a flush does not move the tick;
			// in IKCP mode, also a retransmission deadline that only the tick serves): everything due was just sent,
			// so the tick can wait a millisecond rather than re-arm the timer at zero delay.
			deadline = now + 1;
		}
		this.engineDeadline = deadline;
	}

	// ---------------------------------------------------------------- closing

	private void sendCloseSignal(long now) {
		if (!this.closeSignalOffer.peerUnderstands()) {
			// A standard peer would only complain about a command it does not know: it times out on its own.
			finish(this.closingReason, null, false);
			return;
		}
		this.state = State.CLOSE_SENT;
		writeSignal(KcpCodec.CMD_CLOSE, now);
		this.closeSignalsSent++;
		if (this.transmitFailure != null) {
			finish(CloseReason.ERROR, this.transmitFailure, false);
			return;
		}
		if (this.closeSignalsSent >= CLOSE_SIGNAL_ATTEMPTS) {
			// The peer may not know the signal (a standard KCP peer): it will time out on its own.
			finish(this.closingReason, null, false);
			return;
		}
		this.closeSignalDeadline = now + Math.max(this.kcp.rto(), MIN_CLOSE_SIGNAL_INTERVAL);
	}

	private void onCloseSignal(long now, byte[] data, int offset) {
		this.closeSignalOffer.peerSignalled();
		// The signal carries the peer's cumulative acknowledgement: sends it covers complete, even if the
		// acknowledgements of their last segments were lost.
		byte[] asWindow = new byte[KcpCodec.OVERHEAD];
		System.arraycopy(data, offset, asWindow, 0, KcpCodec.OVERHEAD);
		asWindow[4] = (byte) KcpCodec.CMD_WINS;
		this.kcp.input(asWindow, 0, asWindow.length, (int) now);
		this.acknowledgedSends += this.ledger.acknowledge(this.kcp.sendUnacknowledged());
		writeSignal(KcpCodec.CMD_CLOSE_ACK, now);
		boolean closingOurselves = this.state == State.DRAINING || this.state == State.CLOSE_SENT;
		if (this.transmitFailure != null) {
			finish(CloseReason.ERROR, this.transmitFailure, false);
			return;
		}
		finish(closingOurselves ? this.closingReason : CloseReason.CLOSED_BY_PEER, null, false);
	}

	private void writeSignal(int cmd, long now) {
		KcpCodec.writeCloseSignal(this.signalBuffer, this.conv, cmd, 0, (int) now, this.kcp.sendNext(),
				this.kcp.receiveNext());
		transmit(this.signalBuffer, this.signalBuffer.length);
	}

	/** Closes for good: tells the peer if asked, drops every deadline. Sends not yet acknowledged never complete. */
	private void finish(CloseReason reason, @Nullable Throwable cause, boolean signalPeer) {
		if (this.state == State.CLOSED) {
			return;
		}
		if (signalPeer && this.transmitFailure == null && this.closeSignalOffer.peerUnderstands()) {
			writeSignal(KcpCodec.CMD_CLOSE, this.now);
		}
		this.state = State.CLOSED;
		if (this.validation != null) {
			this.validation.release(this.kcp);
		}
		this.closeReason = reason;
		this.closeCause = cause;
		this.engineDeadline = NO_DEADLINE;
		this.closeDeadline = NO_DEADLINE;
		this.closeSignalDeadline = NO_DEADLINE;
		this.flushWanted = false;
		this.windowUpdateWanted = false;
	}

	// ---------------------------------------------------------------- output

	/** The engine's output and the close signals: through the sink, counted as they went on the wire. */
	private void transmit(byte[] datagram, int length) {
		if (this.transmitFailure != null) {
			// The packet stage failed: nothing more leaves, in clear or otherwise.
			return;
		}
		if (datagram != this.signalBuffer) {
			int offered = this.closeSignalOffer.offer(datagram, length, this.kcp.mtu(), this.now);
			if (this.addressEcho != null) {
				offered = this.addressEcho.echo(datagram, offered, this.kcp.mtu());
			}
			else if (this.validation != null) {
				offered = this.validation.challenge(datagram, offered, this.kcp.mtu(), this.now,
						this.closeSignalOffer.peerUnderstands());
			}
			if (offered != length) {
				this.segmentsOutAdjustment += (offered - length) / KcpCodec.OVERHEAD;
				length = offered;
			}
		}
		if (this.validation != null) {
			int permitted = this.validation.permitted(datagram, length, this.packetOverhead);
			if (permitted < length) {
				countDrop(DropReason.AMPLIFICATION_LIMITED);
				this.segmentsOutAdjustment -= segments(datagram, permitted, length);
				if (permitted == 0) {
					return;
				}
				length = permitted;
			}
		}
		int wireLength;
		try {
			wireLength = this.sink.transmit(datagram, length);
		}
		catch (RuntimeException ex) {
			this.transmitFailure = ex;
			this.drops[DropReason.ENCRYPT_FAILED.ordinal()]++;
			return;
		}
		if (wireLength >= 0) {
			this.datagramsOut++;
			this.bytesOut += wireLength;
			if (this.validation != null) {
				this.validation.sent(wireLength);
			}
		}
	}

	// ---------------------------------------------------------------- a server's terms

	/**
	 * Puts a new connection of a server under its terms: the peer must prove itself (see {@link PeerValidation}),
	 * memory counts in the server's budgets, and the close signal is offered only in answer to the peer's offer.
	 * Called by the {@link ConversationTable} before any traffic.
	 */
	void acceptedByServer(PeerValidation terms) {
		this.validation = terms;
		this.addressEcho = null;
		this.closeSignalOffer.respondOnly();
		terms.apply(this.kcp, this.config);
		this.idleTimeoutMillis = terms.idleTimeoutMillis(this.config.idleTimeout().toMillis());
	}

	private void afterValidatedInput(PeerValidation terms) {
		if (terms.afterInput(this.kcp, this.config)) {
			this.idleTimeoutMillis = terms.idleTimeoutMillis(this.config.idleTimeout().toMillis());
		}
		if (terms.budgetRefused(this.kcp)) {
			countDrop(DropReason.MEMORY_BUDGET);
		}
	}

	/**
	 * Whether the peer has shown that it receives our datagrams: it acknowledged data we sent, echoing our send
	 * time. Until then a server's connection works under the server's terms for unproven peers (see the README's
	 * admission section). Always true on a client.
	 */
	public boolean isPeerProven() {
		return this.validation == null || this.validation.isProven();
	}

	/**
	 * Whether the peer is known to understand the close signal: it offered the close handshake, sent a signal, or
	 * {@link #assumePeerUnderstandsCloseSignal() was created with us}. Only then is it sent one; a standard KCP peer
	 * never is, and times out on its own.
	 */
	public boolean peerUnderstandsCloseSignal() {
		return this.closeSignalOffer.peerUnderstands();
	}

	/**
	 * Knows from the start that the peer understands the close signal, for two ends created together (a pair of
	 * sessions), which need not wait for the peer's offer to tell each other of a close.
	 */
	public void assumePeerUnderstandsCloseSignal() {
		this.closeSignalOffer.peerSignalled();
	}

	/** How many whole segments lie between {@code from} and {@code to} of a datagram (from a segment boundary). */
	private static int segments(byte[] datagram, int from, int to) {
		int count = 0;
		int position = from;
		while (to - position >= KcpCodec.OVERHEAD) {
			position += KcpCodec.OVERHEAD + KcpCodec.readInt(datagram, position + 20);
			count++;
		}
		return count;
	}

	private void countDrop(DropReason reason) {
		this.drops[reason.ordinal()]++;
		if (this.validation != null) {
			this.validation.countForServer(reason);
		}
	}

	// ---------------------------------------------------------------- statistics

	/** A snapshot of the engine's state and the connection's counters. */
	public KcpSessionStats stats() {
		return new KcpSessionStats(this.kcp, this.ledger.bytes(), this.datagramsOut, this.bytesOut,
				this.segmentsOutAdjustment, this.datagramsIn, this.bytesIn, this.drops, this.messagesOut,
				this.messagesIn, this.payloadBytesOut, this.payloadBytesIn, isPeerProven());
	}

	@Override
	public String toString() {
		return "KcpConnection{conv=" + Integer.toUnsignedString(this.conv) + ", state=" + this.state + "}";
	}

}
