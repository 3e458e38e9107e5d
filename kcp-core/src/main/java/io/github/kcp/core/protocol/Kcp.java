package io.github.kcp.core.protocol;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.IntConsumer;

import static io.github.kcp.core.protocol.KcpCodec.CMD_ACK;
import static io.github.kcp.core.protocol.KcpCodec.CMD_PUSH;
import static io.github.kcp.core.protocol.KcpCodec.CMD_WASK;
import static io.github.kcp.core.protocol.KcpCodec.CMD_WINS;
import static io.github.kcp.core.protocol.KcpCodec.OVERHEAD;

/**
 * The KCP engine: one end of a KCP conversation, byte-compatible with skywind3000's ikcp (and so with kcp-go,
 * kcp-netty and aiokcp).
 * <p>
 * The engine is a pure state machine: it does no I/O, starts no threads and never reads a clock. The caller
 * passes the current time (milliseconds on any wrapping 32-bit clock) to {@link #update}, {@link #check},
 * {@link #flush} and {@link #input}, feeds received datagrams to {@link #input}, and sends what the engine
 * emits through its {@link KcpOutput}. Drive it by calling {@link #update} at the time {@link #check} returns
 * (and after each {@link #send} or {@link #input} if latency matters, {@link #flush}).
 * <p>
 * Sequence numbers, acknowledgements and timestamps are unsigned 32-bit values on the wire; they are kept in
 * {@code int}s and compared by the sign of their difference, so they wrap around 2^32 correctly.
 * <p>
 * Steady-state operation allocates nothing: segments are pooled and the queues are array rings.
 * <p>
 * The algorithm is ikcp.c's, as upstream builds it (with {@code IKCP_FASTACK_CONSERVE}). By default the engine runs
 * in {@link EngineMode#TUNED}, with kcp-go's and TCP's loss recovery on top; in {@link EngineMode#IKCP}, fed the same
 * datagrams at the same times, it emits the same bytes as ikcp.c. One deliberate difference in both: a segment's backed-off
 * retransmission timeout stops growing at {@link #RTO_MAX}, where ikcp lets it double without bound (with nodelay
 * off, the twentieth transmission of a segment comes some 29 hours after the first from a 200 ms RTO).
 * <p>
 * Not thread-safe: confine an engine to one thread.
 */
public final class Kcp {

	/** Minimum retransmission timeout with nodelay on (ms). */
	public static final int RTO_NODELAY_MIN = 30;

	/** Minimum retransmission timeout with nodelay off (ms). */
	public static final int RTO_MIN = 100;

	/** Initial retransmission timeout (ms). */
	public static final int RTO_DEFAULT = 200;

	/** Maximum retransmission timeout (ms). */
	public static final int RTO_MAX = 60_000;

	/** Default send window (segments). */
	public static final int DEFAULT_SEND_WINDOW = 32;

	/**
	 * Default and minimum receive window (segments). It must exceed the largest fragment count of a message, so
	 * that a C-derived peer's largest message (127 fragments) always fits.
	 */
	public static final int DEFAULT_RECEIVE_WINDOW = 128;

	/** Largest window the 16-bit window field can announce. */
	public static final int MAX_WINDOW = 0xffff;

	/** Default maximum datagram size (bytes). */
	public static final int DEFAULT_MTU = 1400;

	/** Smallest accepted mtu (bytes), as ikcp. */
	public static final int MIN_MTU = 50;

	/** Largest accepted mtu: the largest UDP payload over IPv4. */
	public static final int MAX_MTU = 65_507;

	/** Default internal update interval (ms). */
	public static final int DEFAULT_INTERVAL = 100;

	/** Smallest update interval (ms); smaller values are raised to it, as ikcp. */
	public static final int MIN_INTERVAL = 10;

	/** Largest update interval (ms); larger values are lowered to it, as ikcp. */
	public static final int MAX_INTERVAL = 5000;

	/** Default number of transmissions of one segment after which the link counts as dead. */
	public static final int DEFAULT_DEAD_LINK = 20;

	/** Default cap on fast retransmissions of one segment. */
	public static final int DEFAULT_FAST_LIMIT = 5;

	/** The largest fragment count of a message: the frg field is 8 bits and counts down to 0. */
	public static final int MAX_FRAGMENTS = 255;

	private static final int ASK_SEND = 1;

	private static final int ASK_TELL = 2;

	private static final int THRESH_INIT = 2;

	private static final int THRESH_MIN = 2;

	private static final int PROBE_INIT = 7000;

	private static final int PROBE_LIMIT = 120_000;

	/** Clock jumps larger than this resynchronise the flush schedule instead of replaying missed ticks. */
	private static final int CLOCK_JUMP = 10_000;

	private final int conv;

	private final KcpOutput output;

	private int mtu;

	private int mss;

	private boolean deadLink;

	private int sndUna;

	private int sndNxt;

	private int rcvNxt;

	private int ssthresh = THRESH_INIT;

	private int rxRttval;

	private int rxSrtt;

	private int rxRto = RTO_DEFAULT;

	private int rxMinRto = RTO_MIN;

	private int sndWnd = DEFAULT_SEND_WINDOW;

	private int rcvWnd = DEFAULT_RECEIVE_WINDOW;

	private int rmtWnd = DEFAULT_RECEIVE_WINDOW;

	private int cwnd;

	private int incr;

	private int probe;

	private int current;

	private int interval = DEFAULT_INTERVAL;

	private int tsFlush = DEFAULT_INTERVAL;

	private int nodelay;

	private boolean updated;

	private int tsProbe;

	private int probeWait;

	private int deadLinkLimit = DEFAULT_DEAD_LINK;

	private int fastResend;

	private int fastLimit = DEFAULT_FAST_LIMIT;

	private boolean noCongestionWindow;

	private boolean stream;

	private final SegmentQueue sndQueue = new SegmentQueue(16);

	private final SegmentQueue rcvQueue = new SegmentQueue(16);

	private final SegmentWindow sndBuf = new SegmentWindow(16);

	private final SegmentWindow rcvBuf = new SegmentWindow(DEFAULT_RECEIVE_WINDOW);

	/** Pending acknowledgements as (sn, ts) pairs. */
	private int[] ackList = new int[32];

	private int ackCount;

	private byte[] buffer;

	private Segment[] pool = new Segment[16];

	private int pooled;

	// Counters: plain longs, read by the owning thread (or published by it as a snapshot).

	private long outDatagrams;

	private long outBytes;

	private long outSegments;

	private long outDataSegments;

	private long timeoutRetransmissions;

	private long fastRetransmissions;

	private long inDatagrams;

	private long inBytes;

	private long inSegments;

	private long inDataSegments;

	private long duplicateSegments;

	private long outOfWindowSegments;

	private final long[] inputErrors = new long[InputResult.values().length];

	private long budgetRefusedSegments;

	private long refusedDataSegments;

	// Admission hooks (see setReceiveBudget, setAcceptingData, isPeerProven).

	private ReceiveBudget receiveBudget = ReceiveBudget.UNLIMITED;

	/** Bytes reserved from the budget for the segments now in rcv_buf. */
	private long parkedBytes;

	private boolean acceptingData = true;

	/** The most bytes the conversation's first data segment carries; 0 for no limit (see setFirstSegmentLimit). */
	private int firstSegmentLimit;

	/** Whether a data segment has left the send queue. */
	private boolean firstSegmentSent;

	private boolean peerAcknowledgedData;

	private boolean messageCompletedInOrder;

	// Tuned mode (see EngineMode.TUNED).

	private EngineMode mode = EngineMode.TUNED;

	/** The earliest retransmission deadline of the send window as of the last flush (a lower bound since). */
	private int earliestDeadline;

	/** Whether an acknowledgement since the last flush made a fast or early retransmission due. */
	private boolean retransmitPending;

	/** When an acknowledgement last made progress: retransmission timers run from here at the earliest. */
	private int rtoRestart;

	private boolean rtoRestarted;

	/** When the tail probe is due, while {@link #tailProbeArmed}. */
	private int tailProbeAt;

	/**
	 * Tuned: new data left with nothing queued behind it, so no later data can bring the duplicate acknowledgement
	 * that would resend it early: the oldest unacknowledged segment is sent once more at {@link #tailProbeAt} (a tail
	 * loss probe, RFC 8985) unless acknowledged first.
	 */
	private boolean tailProbeArmed;

	private long tailProbes;

	/** Whether data arrived out of order (or again) since acknowledgements were last flushed. */
	private boolean urgentAcks;

	private long earlyRetransmissions;

	private long spuriousRetransmissions;

	private long trimmedAcks;

	/** Told of each round-trip sample (see setRttListener); null for none. */
	private IntConsumer rttListener;

	/**
	 * Creates an engine with ikcp's defaults: mtu 1400, windows 32/128, interval 100 ms, nodelay off, fast resend
	 * off, congestion control on, message mode.
	 * @param conv the conversation id, shared by both ends
	 * @param output where the engine's datagrams go
	 */
	public Kcp(int conv, KcpOutput output) {
		this.conv = conv;
		this.output = Objects.requireNonNull(output, "output");
		this.mtu = DEFAULT_MTU;
		this.mss = DEFAULT_MTU - OVERHEAD;
		this.buffer = new byte[DEFAULT_MTU];
	}

	// ---------------------------------------------------------------- sending and receiving

	/**
	 * Queues data for sending. In message mode the bytes form one message, delivered whole (split into at most
	 * {@link #maxMessageSize()} bytes' worth of fragments); in stream mode they are appended to the byte stream,
	 * topping up the last queued segment first. The data is copied; nothing is sent until the next flush.
	 * @throws KcpMessageTooLargeException in message mode when the message needs too many fragments
	 */
	public void send(byte[] data, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, data.length);
		if (this.stream) {
			Segment last = this.sndQueue.peekLast();
			if (last != null && last.len < lastQueuedCapacity()) {
				int extend = Math.min(length, lastQueuedCapacity() - last.len);
				last.ensureCapacity(this.mss);
				System.arraycopy(data, offset, last.data, last.len, extend);
				last.len += extend;
				offset += extend;
				length -= extend;
			}
			if (length == 0) {
				// An empty segment carries nothing in a byte stream.
				return;
			}
		}
		int first = firstFragmentSize(length);
		int count = fragments(length, first);
		for (int i = 0; i < count; i++) {
			int size = (i == 0) ? first : Math.min(length, this.mss);
			Segment segment = acquire(this.mss);
			System.arraycopy(data, offset, segment.data, 0, size);
			segment.len = size;
			segment.frg = this.stream ? 0 : count - i - 1;
			this.sndQueue.addLast(segment);
			offset += size;
			length -= size;
		}
	}

	/** Queues the whole array; see {@link #send(byte[], int, int)}. */
	public void send(byte[] data) {
		send(data, 0, data.length);
	}

	/**
	 * Queues the remaining bytes of {@code data} (consuming them); see {@link #send(byte[], int, int)}.
	 */
	public void send(ByteBuffer data) {
		if (data.hasArray()) {
			send(data.array(), data.arrayOffset() + data.position(), data.remaining());
			data.position(data.limit());
			return;
		}
		// A direct (or read-only) buffer: copied once, straight into the segments.
		int length = data.remaining();
		if (this.stream) {
			Segment last = this.sndQueue.peekLast();
			if (last != null && last.len < lastQueuedCapacity()) {
				int extend = Math.min(length, lastQueuedCapacity() - last.len);
				last.ensureCapacity(this.mss);
				data.get(last.data, last.len, extend);
				last.len += extend;
				length -= extend;
			}
			if (length == 0) {
				return;
			}
		}
		int first = firstFragmentSize(length);
		int count = fragments(length, first);
		for (int i = 0; i < count; i++) {
			int size = (i == 0) ? first : Math.min(length, this.mss);
			Segment segment = acquire(this.mss);
			data.get(segment.data, 0, size);
			segment.len = size;
			segment.frg = this.stream ? 0 : count - i - 1;
			this.sndQueue.addLast(segment);
			length -= size;
		}
	}

	/** How many bytes the last queued segment may hold: the first segment's limit while it is the only one. */
	private int lastQueuedCapacity() {
		return (this.firstSegmentLimit > 0 && this.sndQueue.size() == 1) ? Math.min(this.firstSegmentLimit, this.mss)
				: this.mss;
	}

	/** The size of the first segment a send of {@code length} bytes queues (the first segment's limit applies). */
	private int firstFragmentSize(int length) {
		int size = Math.min(length, this.mss);
		if (this.firstSegmentLimit > 0 && this.sndQueue.isEmpty() && size > this.firstSegmentLimit) {
			// A message split this way needs a fragment more: unless that is one too many, send the first few
			// bytes alone.
			int split = this.firstSegmentLimit;
			if (this.stream || fragmentCount(length, split) <= maxFragments()) {
				return split;
			}
		}
		return size;
	}

	/**
	 * How many fragments a send of {@code length} bytes becomes, the first carrying {@code first} bytes.
	 * @throws KcpMessageTooLargeException in message mode when it is more than the peer can reassemble
	 */
	private int fragments(int length, int first) {
		int count = fragmentCount(length, first);
		if (!this.stream && count > maxFragments()) {
			throw new KcpMessageTooLargeException(length, maxMessageSize(), maxFragments(), this.mss);
		}
		return count;
	}

	private int fragmentCount(int length, int first) {
		return (length <= first) ? 1 : 1 + (length - first + this.mss - 1) / this.mss;
	}

	/**
	 * Size of the next complete message (in stream mode, of the next received segment), or -1 if none is ready.
	 */
	public int peekSize() {
		Segment first = this.rcvQueue.peekFirst();
		if (first == null) {
			return -1;
		}
		if (first.frg == 0) {
			return first.len;
		}
		if (this.rcvQueue.size() < first.frg + 1) {
			return -1;
		}
		int length = 0;
		for (int i = 0; i < this.rcvQueue.size(); i++) {
			Segment segment = this.rcvQueue.get(i);
			length += segment.len;
			if (segment.frg == 0) {
				break;
			}
		}
		return length;
	}

	/**
	 * Moves the next complete message into {@code buffer}.
	 * @return the message size, or -1 if no complete message is ready
	 * @throws IllegalArgumentException if the message is longer than {@code length}; nothing is consumed
	 */
	public int receive(byte[] buffer, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, buffer.length);
		int size = peekSize();
		if (size < 0) {
			return -1;
		}
		if (size > length) {
			throw new IllegalArgumentException(
					"Buffer of " + length + " bytes is too small for the next message of " + size + " bytes");
		}
		boolean recover = this.rcvQueue.size() >= this.rcvWnd;
		int position = offset;
		// Up to the fragment numbered 0, or, when a peer numbered its fragments inconsistently (sn0 frg=1 then
		// sn1 frg=5), to the end of the queue: ikcp_recv walks the queue the same way, and peekSize counted it so.
		Segment segment;
		while ((segment = this.rcvQueue.pollFirst()) != null) {
			System.arraycopy(segment.data, 0, buffer, position, segment.len);
			position += segment.len;
			int fragment = segment.frg;
			release(segment);
			if (fragment == 0) {
				break;
			}
		}
		moveReceivedToQueue();
		if (recover && this.rcvQueue.size() < this.rcvWnd) {
			// The peer saw a full (zero) window: tell it promptly that there is room again.
			this.probe |= ASK_TELL;
		}
		return size;
	}

	/** Returns the next complete message, or {@code null} if none is ready. */
	public byte[] receive() {
		int size = peekSize();
		if (size < 0) {
			return null;
		}
		byte[] message = new byte[size];
		receive(message, 0, size);
		return message;
	}

	/**
	 * Feeds one received datagram to the engine. Parsing stops at the first malformed segment or one of another
	 * conversation; segments before it stay applied, and the event is counted. Never throws for bad input.
	 * @param now the current time in milliseconds (wrapping 32-bit clock), used for RTT samples
	 * @return {@link InputResult#OK} or why parsing stopped
	 */
	public InputResult input(byte[] data, int offset, int length, int now) {
		Objects.checkFromIndexSize(offset, length, data.length);
		this.current = now;
		this.inDatagrams++;
		this.inBytes += length;
		if (length < OVERHEAD) {
			return inputError(InputResult.TRUNCATED);
		}
		int prevUna = this.sndUna;
		boolean ackSeen = false;
		int maxAck = 0;
		int latestTs = 0;
		InputResult result = InputResult.OK;
		int position = offset;
		int end = offset + length;
		while (position < end) {
			if (end - position < OVERHEAD) {
				// As ikcp, a short tail only ends the datagram: the acknowledgements before it still count
				// towards fast resend and the congestion window below. Unlike ikcp, it is reported and counted.
				result = inputError(InputResult.TRUNCATED);
				break;
			}
			if (KcpCodec.readInt(data, position) != this.conv) {
				return inputError(InputResult.CONV_MISMATCH);
			}
			int cmd = data[position + 4] & 0xff;
			int frg = data[position + 5] & 0xff;
			int wnd = KcpCodec.readShort(data, position + 6);
			int ts = KcpCodec.readInt(data, position + 8);
			int sn = KcpCodec.readInt(data, position + 12);
			int una = KcpCodec.readInt(data, position + 16);
			int len = KcpCodec.readInt(data, position + 20);
			position += OVERHEAD;
			if (len < 0 || len > end - position) {
				return inputError(InputResult.BAD_LENGTH);
			}
			if (!KcpCodec.isKnownCommand(cmd)) {
				return inputError(InputResult.UNKNOWN_COMMAND);
			}
			this.inSegments++;
			if (cmd == CMD_ACK) {
				// Before una releases the segment it names.
				inspectAck(sn, ts);
			}
			this.rmtWnd = wnd;
			parseUna(una);
			shrinkBuf();
			if (cmd == CMD_ACK) {
				int rtt = this.current - ts;
				if (rtt >= 0) {
					updateAck(rtt);
					if (this.rttListener != null) {
						this.rttListener.accept(rtt);
					}
				}
				parseAck(sn);
				shrinkBuf();
				// ikcp's IKCP_FASTACK_CONSERVE (defined in ikcp.c): the highest sn acknowledged, among the
				// acknowledgements echoing the latest send time.
				if (!ackSeen) {
					ackSeen = true;
					maxAck = sn;
					latestTs = ts;
				}
				else if (sn - maxAck > 0 && ts - latestTs > 0) {
					maxAck = sn;
					latestTs = ts;
				}
			}
			else if (cmd == CMD_PUSH) {
				this.inDataSegments++;
				if (!this.acceptingData) {
					// Neither acknowledged nor queued: the sender keeps the data and learns nothing was taken.
					this.refusedDataSegments++;
				}
				else if (sn - (this.rcvNxt + this.rcvWnd) >= 0) {
					this.outOfWindowSegments++;
				}
				else if (sn - this.rcvNxt < 0 || this.rcvBuf.get(sn) != null) {
					// Had it already: acknowledge again (the first ACK may have been lost), keep nothing.
					ackPush(sn, ts);
					this.duplicateSegments++;
					this.urgentAcks = true;
				}
				else if (parks(sn) && !this.receiveBudget.tryReserve(footprint(len))) {
					// Over budget: dropped unacknowledged, as if lost; the sender will retransmit it.
					this.budgetRefusedSegments++;
				}
				else {
					if (sn != this.rcvNxt) {
						// A gap: the sender needs these acknowledgements now to resend what is missing.
						this.urgentAcks = true;
					}
					ackPush(sn, ts);
					parseData(sn, frg, wnd, ts, una, data, position, len);
				}
			}
			else if (cmd == CMD_WASK) {
				this.probe |= ASK_TELL;
				this.urgentAcks = true;
			}
			// CMD_WINS carries only the window, already recorded above.
			position += len;
		}
		if (ackSeen) {
			parseFastAck(maxAck, latestTs);
		}
		if (this.sndUna - prevUna > 0) {
			growCongestionWindow();
			restartRetransmissionTimer();
		}
		return result;
	}

	private InputResult inputError(InputResult result) {
		this.inputErrors[result.ordinal()]++;
		return result;
	}

	// ---------------------------------------------------------------- timing

	/**
	 * Advances the engine to {@code now}: flushes (acknowledgements, probes, new data, retransmissions) when the
	 * interval has elapsed since the last flush. Call it repeatedly, ideally at the time {@link #check} returns.
	 * @param now the current time in milliseconds (wrapping 32-bit clock)
	 */
	public void update(int now) {
		this.current = now;
		if (!this.updated) {
			this.updated = true;
			this.tsFlush = now;
		}
		int slap = now - this.tsFlush;
		if (slap >= CLOCK_JUMP || slap < -CLOCK_JUMP) {
			this.tsFlush = now;
			slap = 0;
		}
		if (slap >= 0) {
			this.tsFlush += this.interval;
			if (now - this.tsFlush >= 0) {
				this.tsFlush = now + this.interval;
			}
			flushInternal(false);
		}
		else if (this.mode == EngineMode.TUNED && retransmissionDue(now)) {
			// Between ticks: a retransmission is due now, not at the next tick.
			flushInternal(false);
		}
	}

	/**
	 * Tuned mode: whether data in flight waits for nothing but acknowledgements or timeouts — nothing queued behind
	 * the window, no acknowledgement or window answer to send, no zero window to probe.
	 */
	private boolean onlyTimeoutsPending() {
		return this.sndBuf.count() != 0 && this.sndQueue.isEmpty() && this.ackCount == 0 && this.probe == 0
				&& this.rmtWnd != 0;
	}

	/** Tuned mode: whether a timeout, fast or early retransmission is due at {@code now}. */
	private boolean retransmissionDue(int now) {
		return this.retransmitPending || (this.sndBuf.count() != 0 && now - this.earliestDeadline >= 0);
	}

	/**
	 * When {@link #update} next needs to be called: {@code now} if immediately, otherwise the earliest of the next
	 * flush tick and the next retransmission deadline, at most one interval ahead. Input and sends can make an
	 * earlier update worthwhile, so call this again after them. In {@link EngineMode#TUNED} it costs O(1), the
	 * update at a retransmission deadline between ticks retransmits, and while data in flight waits for nothing but
	 * acknowledgements it names that deadline, however far, instead of the interval ticks before it (they would send
	 * nothing); in {@link EngineMode#IKCP} it walks the send window and such an update waits for the tick, as ikcp.
	 * @param now the current time in milliseconds (wrapping 32-bit clock)
	 * @return the time of the next needed update, on the same clock
	 */
	public int check(int now) {
		if (!this.updated) {
			return now;
		}
		if (this.mode == EngineMode.TUNED && onlyTimeoutsPending()) {
			// A tick would find nothing to do but look for timeouts, whose earliest deadline is known: no tick until
			// then. A peer slow to acknowledge then costs one update per RTO, not one per interval.
			return retransmissionDue(now) ? now : this.earliestDeadline;
		}
		int tsFlushLocal = this.tsFlush;
		if (now - tsFlushLocal >= CLOCK_JUMP || now - tsFlushLocal < -CLOCK_JUMP) {
			tsFlushLocal = now;
		}
		if (now - tsFlushLocal >= 0) {
			return now;
		}
		if (this.mode == EngineMode.TUNED) {
			// O(1): the earliest deadline is kept by each flush; acknowledgements since can only have moved it later,
			// so at worst this answers early, and the update then finds nothing due.
			if (retransmissionDue(now)) {
				return now;
			}
			if (this.sndBuf.count() != 0 && this.earliestDeadline - tsFlushLocal < 0) {
				return this.earliestDeadline;
			}
			return tsFlushLocal;
		}
		int tmFlush = tsFlushLocal - now;
		int tmPacket = Integer.MAX_VALUE;
		for (int sn = this.sndUna; sn != this.sndNxt; sn++) {
			Segment segment = this.sndBuf.get(sn);
			if (segment == null) {
				continue;
			}
			int diff = segment.resendts - now;
			if (diff <= 0) {
				return now;
			}
			if (diff < tmPacket) {
				tmPacket = diff;
			}
		}
		int minimal = Math.min(tmPacket, tmFlush);
		if (minimal >= this.interval) {
			minimal = this.interval;
		}
		return now + minimal;
	}

	/**
	 * Flushes now, regardless of the interval: sends pending acknowledgements and probes, moves queued data into
	 * the send window and transmits what is due. Calling it right after {@link #send} or {@link #input} cuts
	 * latency by up to one interval.
	 * @param now the current time in milliseconds (wrapping 32-bit clock)
	 */
	public void flush(int now) {
		this.current = now;
		if (!this.updated) {
			this.updated = true;
			this.tsFlush = now;
		}
		flushInternal(false);
	}

	/**
	 * Sends only the pending acknowledgements (and window probes/answers), immediately. A cheap way to keep the
	 * peer's RTT estimate tight without pushing data outside the interval.
	 * @param now the current time in milliseconds (wrapping 32-bit clock)
	 */
	public void flushAcks(int now) {
		this.current = now;
		if (!this.updated) {
			this.updated = true;
			this.tsFlush = now;
		}
		flushInternal(true);
	}

	// ---------------------------------------------------------------- the ikcp algorithm

	private void flushInternal(boolean ackOnly) {
		if (!this.updated) {
			return;
		}
		int now = this.current;
		int wnd = windowUnused();
		int position = 0;

		// Acknowledgements first.
		int probeSn = 0;
		int probeTs = 0;
		boolean tuned = this.mode == EngineMode.TUNED;
		for (int i = 0; i < this.ackCount; i++) {
			int ackSn = this.ackList[2 * i];
			if (tuned && ackSn - this.rcvNxt < 0 && i != this.ackCount - 1) {
				// Below rcv_nxt: una already says it (kcp-go). The latest stays, for the RTT sample.
				this.trimmedAcks++;
				continue;
			}
			position = makeSpace(position, OVERHEAD);
			probeSn = ackSn;
			probeTs = this.ackList[2 * i + 1];
			position = KcpCodec.writeHeader(this.buffer, position, this.conv, CMD_ACK, 0, wnd, probeTs, probeSn,
					this.rcvNxt, 0);
			this.outSegments++;
		}
		this.ackCount = 0;
		this.urgentAcks = false;

		// Window probing while the peer announces a zero window.
		if (this.rmtWnd == 0) {
			if (this.probeWait == 0) {
				this.probeWait = PROBE_INIT;
				this.tsProbe = now + this.probeWait;
			}
			else if (now - this.tsProbe >= 0) {
				if (this.probeWait < PROBE_INIT) {
					this.probeWait = PROBE_INIT;
				}
				this.probeWait += this.probeWait / 2;
				if (this.probeWait > PROBE_LIMIT) {
					this.probeWait = PROBE_LIMIT;
				}
				this.tsProbe = now + this.probeWait;
				this.probe |= ASK_SEND;
			}
		}
		else {
			this.tsProbe = 0;
			this.probeWait = 0;
		}
		// Receivers ignore ts and sn of a probe; ikcp happens to leave those of the last acknowledgement written in
		// them (0 when there is none), and so do we, so that our datagrams are byte for byte those of ikcp.
		if ((this.probe & ASK_SEND) != 0) {
			position = makeSpace(position, OVERHEAD);
			position = KcpCodec.writeHeader(this.buffer, position, this.conv, CMD_WASK, 0, wnd, probeTs, probeSn,
					this.rcvNxt, 0);
			this.outSegments++;
		}
		if ((this.probe & ASK_TELL) != 0) {
			position = makeSpace(position, OVERHEAD);
			position = KcpCodec.writeHeader(this.buffer, position, this.conv, CMD_WINS, 0, wnd, probeTs, probeSn,
					this.rcvNxt, 0);
			this.outSegments++;
		}
		this.probe = 0;

		if (ackOnly) {
			if (position > 0) {
				emit(position);
			}
			return;
		}

		// Move queued data into the send window.
		int window = Math.min(this.sndWnd, this.rmtWnd);
		if (!this.noCongestionWindow) {
			window = Math.min(this.cwnd, window);
		}
		int newSegments = 0;
		while (this.sndNxt - (this.sndUna + window) < 0) {
			Segment segment = this.sndQueue.pollFirst();
			if (segment == null) {
				break;
			}
			newSegments++;
			// The first segment is on its way: later ones are full size again.
			this.firstSegmentLimit = 0;
			this.firstSegmentSent = true;
			this.sndBuf.ensureSpan(this.sndNxt - this.sndUna + 1);
			segment.conv = this.conv;
			segment.cmd = CMD_PUSH;
			segment.wnd = wnd;
			segment.ts = now;
			segment.sn = this.sndNxt++;
			segment.una = this.rcvNxt;
			segment.resendts = now;
			segment.rto = this.rxRto;
			segment.fastack = 0;
			segment.xmit = 0;
			this.sndBuf.put(segment);
		}

		int resent = (this.fastResend > 0) ? this.fastResend : Integer.MAX_VALUE;
		int rtoMin = (this.nodelay == 0) ? (this.rxRto >> 3) : 0;
		boolean lost = false;
		boolean change = false;
		this.retransmitPending = false;
		int earliest = now + RTO_MAX;
		boolean probeDue = tuned && this.tailProbeArmed && now - this.tailProbeAt >= 0;
		if (probeDue) {
			this.tailProbeArmed = false;
		}

		for (int sn = this.sndUna; sn != this.sndNxt; sn++) {
			Segment segment = this.sndBuf.get(sn);
			if (segment == null) {
				continue;
			}
			boolean needSend = false;
			boolean probing = false;
			if (segment.xmit == 0) {
				needSend = true;
				segment.xmit++;
				segment.rto = this.rxRto;
				segment.resendts = now + segment.rto + rtoMin;
				this.outDataSegments++;
			}
			else if (tuned) {
				boolean mayResendEarly = segment.xmit <= this.fastLimit || this.fastLimit <= 0;
				if (segment.fastack >= resent && mayResendEarly) {
					needSend = true;
					this.fastRetransmissions++;
				}
				else if (segment.fastack > 0 && newSegments == 0 && mayResendEarly) {
					// Early retransmit (kcp-go): a duplicate acknowledgement, and nothing new to send instead.
					needSend = true;
					this.earlyRetransmissions++;
				}
				if (needSend) {
					segment.xmit++;
					segment.fastack = 0;
					segment.rto = this.rxRto;
					segment.resendts = now + segment.rto;
					change = true;
				}
				else if (now - deadline(segment) < 0 && probeDue) {
					// The tail probe: one more copy of the oldest segment (a transmission, as the dead link counts
					// them); its timer runs on, and duplicate acknowledgements still count against the first copy.
					needSend = true;
					probing = true;
					segment.xmit++;
					this.tailProbes++;
				}
				else if (now - deadline(segment) >= 0) {
					needSend = true;
					segment.xmit++;
					this.timeoutRetransmissions++;
					// kcp-go's backoff: add the estimated RTO, or half of it with nodelay.
					segment.rto += (this.nodelay == 0) ? this.rxRto : this.rxRto / 2;
					if (segment.rto > RTO_MAX) {
						segment.rto = RTO_MAX;
					}
					segment.fastack = 0;
					segment.resendts = now + segment.rto;
					lost = true;
				}
			}
			else if (now - segment.resendts >= 0) {
				needSend = true;
				segment.xmit++;
				this.timeoutRetransmissions++;
				if (this.nodelay == 0) {
					segment.rto += Math.max(segment.rto, this.rxRto);
				}
				else {
					int step = (this.nodelay < 2) ? segment.rto : this.rxRto;
					segment.rto += step / 2;
				}
				// ikcp lets a segment's rto grow without bound; capping it keeps it from overflowing.
				if (segment.rto > RTO_MAX) {
					segment.rto = RTO_MAX;
				}
				segment.resendts = now + segment.rto;
				lost = true;
			}
			else if (segment.fastack >= resent) {
				if (segment.xmit <= this.fastLimit || this.fastLimit <= 0) {
					needSend = true;
					segment.xmit++;
					segment.fastack = 0;
					segment.resendts = now + segment.rto;
					this.fastRetransmissions++;
					change = true;
				}
			}
			probeDue = false;
			if (needSend) {
				if (!probing) {
					segment.ts = now;
				}
				segment.wnd = wnd;
				segment.una = this.rcvNxt;
				position = makeSpace(position, OVERHEAD + segment.len);
				// The probe's copy carries the present time, so that its acknowledgement is a true RTT sample.
				position = KcpCodec.writeHeader(this.buffer, position, segment.conv, CMD_PUSH, segment.frg, segment.wnd,
						now, segment.sn, segment.una, segment.len);
				System.arraycopy(segment.data, 0, this.buffer, position, segment.len);
				position += segment.len;
				this.outSegments++;
				if (segment.xmit >= this.deadLinkLimit) {
					this.deadLink = true;
				}
			}
			if (tuned) {
				int due = deadline(segment);
				if (due - earliest < 0) {
					earliest = due;
				}
			}
		}
		if (position > 0) {
			emit(position);
		}
		if (tuned) {
			earliest = armTailProbe(now, newSegments, earliest);
		}
		this.earliestDeadline = earliest;

		if (change) {
			int inflight = this.sndNxt - this.sndUna;
			this.ssthresh = Math.max(inflight / 2, THRESH_MIN);
			// Early retransmits may come with fast resend off: then grow from the threshold by one.
			this.cwnd = this.ssthresh + ((this.fastResend > 0) ? this.fastResend : 1);
			this.incr = this.cwnd * this.mss;
		}
		if (lost) {
			// As ikcp: halve the window this flush could use (send, remote and congestion window), not cwnd alone,
			// which may have grown past the send window.
			this.ssthresh = Math.max(window / 2, THRESH_MIN);
			this.cwnd = 1;
			this.incr = this.mss;
		}
		if (this.cwnd < 1) {
			this.cwnd = 1;
			this.incr = this.mss;
		}
	}

	/**
	 * Tuned mode, after a flush: arms the tail probe when new data left with nothing queued behind it, disarms it
	 * once nothing is in flight; returns the earliest deadline including the probe's.
	 * <p>
	 * The probe comes two smoothed RTTs after the send, plus one interval when a single segment is in flight (the
	 * longest a standard KCP peer holds back its acknowledgement: until its next update), and at least one interval;
	 * none before the first RTT sample or when the retransmission timeout comes first.
	 */
	private int armTailProbe(int now, int newSegments, int earliest) {
		if (this.sndBuf.count() == 0) {
			this.tailProbeArmed = false;
			return earliest;
		}
		if (newSegments > 0 && this.sndQueue.isEmpty() && this.rxSrtt > 0) {
			int inFlight = this.sndBuf.count();
			int pto = 2 * this.rxSrtt + ((inFlight == 1) ? this.interval : 0);
			pto = Math.max(pto, this.interval);
			int at = now + pto;
			this.tailProbeArmed = at - earliest < 0;
			this.tailProbeAt = at;
		}
		if (this.tailProbeArmed && this.tailProbeAt - earliest < 0) {
			return this.tailProbeAt;
		}
		return earliest;
	}

	/**
	 * Tuned mode: when a segment times out. Its own deadline, but not before its RTO has run since the last
	 * acknowledgement that made progress (RFC 6298 5.3).
	 */
	private int deadline(Segment segment) {
		if (this.rtoRestarted) {
			int restarted = this.rtoRestart + segment.rto;
			if (restarted - segment.resendts > 0) {
				return restarted;
			}
		}
		return segment.resendts;
	}

	/** Emits the buffer if {@code needed} more bytes would not fit in one mtu; returns the write position. */
	private int makeSpace(int position, int needed) {
		if (position + needed > this.mtu && position > 0) {
			emit(position);
			position = 0;
		}
		if (needed > this.buffer.length) {
			// Only a segment queued before the mtu was lowered can be this large; send it alone.
			this.buffer = new byte[needed];
		}
		return position;
	}

	private void emit(int length) {
		this.outDatagrams++;
		this.outBytes += length;
		this.output.output(this.buffer, length);
	}

	private void updateAck(int rtt) {
		if (this.rxSrtt == 0) {
			this.rxSrtt = rtt;
			this.rxRttval = rtt / 2;
		}
		else {
			int delta = Math.abs(rtt - this.rxSrtt);
			this.rxRttval = (3 * this.rxRttval + delta) / 4;
			this.rxSrtt = (7 * this.rxSrtt + rtt) / 8;
			if (this.rxSrtt < 1) {
				this.rxSrtt = 1;
			}
		}
		int rto = this.rxSrtt + Math.max(this.interval, 4 * this.rxRttval);
		this.rxRto = Math.min(Math.max(this.rxMinRto, rto), RTO_MAX);
	}

	/** Advances snd_una to the first unacknowledged segment, or snd_nxt when everything is acknowledged. */
	private void shrinkBuf() {
		while (this.sndUna != this.sndNxt && this.sndBuf.get(this.sndUna) == null) {
			this.sndUna++;
		}
	}

	private void parseAck(int sn) {
		if (sn - this.sndUna < 0 || sn - this.sndNxt >= 0) {
			return;
		}
		Segment segment = this.sndBuf.remove(sn);
		if (segment != null) {
			release(segment);
			restartRetransmissionTimer();
		}
	}

	/** RFC 6298 5.3, tuned mode: an acknowledgement of new data restarts the retransmission timers. */
	private void restartRetransmissionTimer() {
		if (this.mode == EngineMode.TUNED) {
			this.rtoRestart = this.current;
			this.rtoRestarted = true;
		}
	}

	private void parseUna(int una) {
		while (this.sndUna != this.sndNxt && una - this.sndUna > 0) {
			Segment segment = this.sndBuf.remove(this.sndUna);
			if (segment != null) {
				release(segment);
			}
			this.sndUna++;
		}
	}

	/**
	 * Counts one duplicate acknowledgement for each unacknowledged segment before {@code sn} that was last sent no
	 * later than the acknowledged one ({@code ts}). A segment retransmitted after it is not counted, as ikcp with
	 * IKCP_FASTACK_CONSERVE: an acknowledgement of older data says nothing about the newer copy.
	 */
	private void parseFastAck(int sn, int ts) {
		if (sn - this.sndUna < 0 || sn - this.sndNxt >= 0) {
			return;
		}
		for (int s = this.sndUna; s - sn < 0; s++) {
			Segment segment = this.sndBuf.get(s);
			if (segment != null && ts - segment.ts >= 0) {
				segment.fastack++;
				// Tuned: the next flush may resend it (early retransmit needs one duplicate acknowledgement).
				if (this.mode == EngineMode.TUNED) {
					this.retransmitPending = true;
				}
			}
		}
	}

	private void ackPush(int sn, int ts) {
		if (2 * this.ackCount + 2 > this.ackList.length) {
			int[] larger = new int[this.ackList.length * 2];
			System.arraycopy(this.ackList, 0, larger, 0, 2 * this.ackCount);
			this.ackList = larger;
		}
		this.ackList[2 * this.ackCount] = sn;
		this.ackList[2 * this.ackCount + 1] = ts;
		this.ackCount++;
	}

	/**
	 * What an acknowledgement tells before it releases its segment: an exact echo of the time we last sent it proves
	 * the peer (an off-path spoofer would have to guess our millisecond clock as well as the sequence number), and
	 * an echo of an older copy's time shows that the last retransmission was not needed.
	 */
	private void inspectAck(int sn, int ts) {
		if (sn - this.sndUna < 0 || sn - this.sndNxt >= 0) {
			return;
		}
		Segment acked = this.sndBuf.get(sn);
		if (acked == null || acked.sn != sn || acked.xmit == 0) {
			return;
		}
		if (acked.ts == ts) {
			this.peerAcknowledgedData = true;
		}
		else if (acked.xmit > 1 && ts - acked.ts < 0) {
			this.spuriousRetransmissions++;
		}
	}

	/**
	 * What parking a segment of {@code len} payload bytes costs the budget: the memory it really holds, a buffer of
	 * at least one mss (segments are pooled at that size, so a one-byte segment holds as much as a full one) plus
	 * its header.
	 */
	private int footprint(int len) {
		return Math.max(len, this.mss) + OVERHEAD;
	}

	/** Whether a new data segment {@code sn} would wait in rcv_buf rather than go straight to the receive queue. */
	private boolean parks(int sn) {
		return sn != this.rcvNxt || this.rcvQueue.size() >= this.rcvWnd;
	}

	private void parseData(int sn, int frg, int wnd, int ts, int una, byte[] data, int offset, int len) {
		int charge = parks(sn) ? footprint(len) : 0;
		// Reserved from the budget by input().
		this.parkedBytes += charge;
		Segment segment = acquire(len);
		segment.parkedCharge = charge;
		segment.conv = this.conv;
		segment.cmd = CMD_PUSH;
		segment.frg = frg;
		segment.wnd = wnd;
		segment.ts = ts;
		segment.sn = sn;
		segment.una = una;
		segment.len = len;
		System.arraycopy(data, offset, segment.data, 0, len);
		this.rcvBuf.put(segment);
		moveReceivedToQueue();
	}

	/** Moves in-order segments from the receive buffer to the receive queue while the queue has room. */
	private void moveReceivedToQueue() {
		while (this.rcvQueue.size() < this.rcvWnd) {
			Segment segment = this.rcvBuf.remove(this.rcvNxt);
			if (segment == null) {
				break;
			}
			unpark(segment);
			if (segment.frg == 0) {
				this.messageCompletedInOrder = true;
			}
			this.rcvQueue.addLast(segment);
			this.rcvNxt++;
		}
	}

	/** Gives back the budget of a segment leaving rcv_buf, if it was parked there (not merely passing through). */
	private void unpark(Segment segment) {
		int charge = segment.parkedCharge;
		if (charge != 0) {
			segment.parkedCharge = 0;
			this.parkedBytes -= charge;
			this.receiveBudget.release(charge);
		}
	}

	private void growCongestionWindow() {
		if (this.cwnd >= this.rmtWnd) {
			return;
		}
		int mssLocal = this.mss;
		if (this.cwnd < this.ssthresh) {
			this.cwnd++;
			this.incr += mssLocal;
		}
		else {
			if (this.incr < mssLocal) {
				this.incr = mssLocal;
			}
			this.incr += (mssLocal * mssLocal) / this.incr + (mssLocal / 16);
			if ((this.cwnd + 1) * mssLocal <= this.incr) {
				this.cwnd = (this.incr + mssLocal - 1) / mssLocal;
			}
		}
		if (this.cwnd > this.rmtWnd) {
			this.cwnd = this.rmtWnd;
			this.incr = this.rmtWnd * mssLocal;
		}
	}

	private int windowUnused() {
		int unused = Math.max(0, this.rcvWnd - this.rcvQueue.size());
		if (this.receiveBudget != ReceiveBudget.UNLIMITED && unused > 0) {
			// Announce no more than the budget can park, so that a standard sender does not send what would be
			// refused (each refusal costs it a timeout): the next in-order segment, those parked, and the room left.
			long room = 1 + this.rcvBuf.count() + Math.max(0, this.receiveBudget.available()) / (this.mss + OVERHEAD);
			if (room < unused) {
				unused = (int) room;
			}
		}
		return unused;
	}

	private Segment acquire(int capacity) {
		Segment segment;
		if (this.pooled > 0) {
			segment = this.pool[--this.pooled];
			this.pool[this.pooled] = null;
			segment.ensureCapacity(capacity);
		}
		else {
			segment = new Segment(Math.max(capacity, this.mss));
		}
		segment.len = 0;
		segment.frg = 0;
		segment.parkedCharge = 0;
		return segment;
	}

	private void release(Segment segment) {
		// Keep enough segments for a full send and receive window; let the rest go after a burst.
		int limit = this.sndWnd + 2 * this.rcvWnd;
		if (this.pooled < limit) {
			if (this.pooled == this.pool.length) {
				Segment[] larger = new Segment[Math.min(limit, this.pool.length * 2)];
				System.arraycopy(this.pool, 0, larger, 0, this.pooled);
				this.pool = larger;
			}
			this.pool[this.pooled++] = segment;
		}
	}

	// ---------------------------------------------------------------- configuration

	/**
	 * Sets the latency knobs, as ikcp's {@code ikcp_nodelay}.
	 * @param nodelay 0 off (min RTO 100 ms, RTO doubles on timeout), 1 on (min RTO 30 ms, RTO grows by half), 2 on
	 * (in {@link EngineMode#IKCP}, RTO grows by half the estimated RTO as ikcp; in the tuned mode as 1, whose
	 * timeouts already grow by half the estimated RTO, as kcp-go)
	 * @param interval internal update interval in ms, clamped to 10..5000
	 * @param resend fast retransmit after this many duplicate acknowledgements, 0 to disable
	 * @param noCongestionControl whether to ignore the congestion window (send as fast as the windows allow)
	 */
	public void setNoDelay(int nodelay, int interval, int resend, boolean noCongestionControl) {
		if (nodelay < 0 || nodelay > 2) {
			throw new IllegalArgumentException("nodelay must be 0, 1 or 2 but was " + nodelay);
		}
		if (resend < 0) {
			throw new IllegalArgumentException("resend must be 0 (off) or positive but was " + resend);
		}
		this.nodelay = nodelay;
		this.rxMinRto = (nodelay != 0) ? RTO_NODELAY_MIN : RTO_MIN;
		setInterval(interval);
		this.fastResend = resend;
		this.noCongestionWindow = noCongestionControl;
	}

	/** Sets the internal update interval in ms, clamped to 10..5000 as ikcp. */
	public void setInterval(int interval) {
		this.interval = Math.min(Math.max(interval, MIN_INTERVAL), MAX_INTERVAL);
	}

	/**
	 * Sets the window sizes in segments. The receive window is raised to at least 128, as ikcp, so that any
	 * message a standard peer may send fits.
	 * @throws IllegalArgumentException if a size is not positive or exceeds 65535
	 */
	public void setWindowSize(int sendWindow, int receiveWindow) {
		if (sendWindow < 1 || sendWindow > MAX_WINDOW) {
			throw new IllegalArgumentException("send window must be 1.." + MAX_WINDOW + " but was " + sendWindow);
		}
		if (receiveWindow < 1 || receiveWindow > MAX_WINDOW) {
			throw new IllegalArgumentException(
					"receive window must be 1.." + MAX_WINDOW + " but was " + receiveWindow);
		}
		this.sndWnd = sendWindow;
		this.rcvWnd = Math.max(receiveWindow, DEFAULT_RECEIVE_WINDOW);
		this.rcvBuf.ensureSpan(this.rcvWnd);
		// A larger queue may now take segments that were waiting in the buffer.
		moveReceivedToQueue();
	}

	/**
	 * Sets the maximum datagram size. Segments already queued keep their size.
	 * @throws IllegalArgumentException outside 50..65507
	 */
	public void setMtu(int mtu) {
		if (mtu < MIN_MTU || mtu > MAX_MTU) {
			throw new IllegalArgumentException("mtu must be " + MIN_MTU + ".." + MAX_MTU + " but was " + mtu);
		}
		this.mtu = mtu;
		this.mss = mtu - OVERHEAD;
		if (this.buffer.length < mtu) {
			this.buffer = new byte[mtu];
		}
	}

	/** Sets stream mode (a byte stream, segments merged) or message mode (message boundaries kept). */
	public void setStream(boolean stream) {
		this.stream = stream;
	}

	/** Sets the minimum retransmission timeout in ms (after {@link #setNoDelay}, which resets it). */
	public void setMinRto(int minRto) {
		if (minRto < 1 || minRto > RTO_MAX) {
			throw new IllegalArgumentException("min RTO must be 1.." + RTO_MAX + " ms but was " + minRto);
		}
		this.rxMinRto = minRto;
	}

	/** Caps fast retransmissions: a segment sent more than this many times is only resent on timeout; 0 = no cap. */
	public void setFastLimit(int fastLimit) {
		if (fastLimit < 0) {
			throw new IllegalArgumentException("fast limit must be 0 (no cap) or positive but was " + fastLimit);
		}
		this.fastLimit = fastLimit;
	}

	/** Sets after how many transmissions of one segment the link is declared dead. */
	public void setDeadLink(int deadLink) {
		if (deadLink < 1) {
			throw new IllegalArgumentException("dead link must be positive but was " + deadLink);
		}
		this.deadLinkLimit = deadLink;
	}

	/**
	 * Sets how the engine recovers from loss and schedules itself: {@link EngineMode#TUNED} (the default) or
	 * {@link EngineMode#IKCP}, byte for byte ikcp.c. Set it before traffic; switching later is safe but mixes the
	 * two behaviours for segments already in flight.
	 * @param mode the mode
	 */
	public void setMode(EngineMode mode) {
		this.mode = Objects.requireNonNull(mode, "mode");
		if (mode == EngineMode.IKCP) {
			this.rtoRestarted = false;
			this.retransmitPending = false;
			this.tailProbeArmed = false;
		}
	}

	/**
	 * Sets who is told of each round-trip time sample, in milliseconds: one per acknowledgement whose echoed
	 * timestamp is not in the future, the same samples the smoothed RTT and the RTO are estimated from. Called during
	 * {@link #input}; it must be quick and must not call back into the engine.
	 * @param listener the listener, or {@code null} for none (the default)
	 */
	public void setRttListener(IntConsumer listener) {
		this.rttListener = listener;
	}

	/**
	 * Sets the budget consulted before out-of-order data is parked in the receive buffer (see
	 * {@link ReceiveBudget}); {@link ReceiveBudget#UNLIMITED} by default, as ikcp. Bytes already parked move to the
	 * new budget: released from the old one and {@link ReceiveBudget#reserve reserved} in the new one whatever its
	 * room, since that data was acknowledged and must be kept. So a session can move from a small budget to a larger
	 * one when its peer is {@link #isPeerProven() proven}.
	 * @param budget the budget
	 */
	public void setReceiveBudget(ReceiveBudget budget) {
		Objects.requireNonNull(budget, "budget");
		if (budget == this.receiveBudget) {
			return;
		}
		if (this.parkedBytes > 0) {
			this.receiveBudget.release((int) this.parkedBytes);
			budget.reserve((int) this.parkedBytes);
		}
		this.receiveBudget = budget;
	}

	/**
	 * Whether incoming data is taken. With {@code false}, data segments are neither acknowledged nor queued (the
	 * peer keeps them and retransmits), and counted ({@link #refusedDataSegments()}); acknowledgements, window probes
	 * and window updates are still processed, so what this end sent keeps completing. For a graceful stop: refuse
	 * new data while the send queue drains, so that nothing is acknowledged that the application will not read.
	 * @param acceptingData {@code true} (the default) to take data, {@code false} to refuse it
	 */
	public void setAcceptingData(boolean acceptingData) {
		this.acceptingData = acceptingData;
	}

	/**
	 * Makes the first data segment of the conversation carry at most {@code bytes} bytes; the following ones are
	 * full size. For a server that may send a peer whose address it has not validated only a few times what it
	 * received (an anti-amplification limit, as QUIC's): a small first segment fits that allowance even when the
	 * first reply is large, and the peer's acknowledgement of it {@link #peerAcknowledgedData() proves} the peer, so
	 * the rest may follow. In message mode the first message is split so (its first fragment is small) unless that
	 * would need one fragment more than the peer can reassemble; in stream mode later writes do not top the small
	 * segment up. Does nothing once a data segment has been sent.
	 * @param bytes the limit, at least 1, or 0 for none (the default)
	 */
	public void setFirstSegmentLimit(int bytes) {
		if (bytes < 0) {
			throw new IllegalArgumentException("first segment limit must be 0 (none) or positive but was " + bytes);
		}
		if (!this.firstSegmentSent) {
			this.firstSegmentLimit = bytes;
		}
	}

	/**
	 * Drops every segment parked in the receive buffer and gives its bytes back to the {@link ReceiveBudget}. Only
	 * for an engine being discarded: those segments were acknowledged, so the peer will not send them again.
	 */
	public void discardReceiveBuffer() {
		for (int i = 0; i < this.rcvWnd && this.rcvBuf.count() > 0; i++) {
			Segment segment = this.rcvBuf.remove(this.rcvNxt + i);
			if (segment != null) {
				unpark(segment);
				release(segment);
			}
		}
	}

	/**
	 * Restarts the sequence space at {@code sn} on an engine that has exchanged nothing yet. Both ends must use
	 * the same value. For tests of the 2^32 wrap-around.
	 */
	void initialSequence(int sn) {
		if (this.sndNxt != 0 || this.rcvNxt != 0 || !this.sndQueue.isEmpty()) {
			throw new IllegalStateException("initial sequence must be set before any traffic");
		}
		this.sndUna = sn;
		this.sndNxt = sn;
		this.rcvNxt = sn;
	}

	// ---------------------------------------------------------------- state

	/** The conversation id. */
	public int conv() {
		return this.conv;
	}

	/** The maximum datagram size. */
	public int mtu() {
		return this.mtu;
	}

	/** The maximum segment payload: mtu minus the 24-byte header. */
	public int mss() {
		return this.mss;
	}

	/** The update interval in ms. */
	public int interval() {
		return this.interval;
	}

	/** The nodelay mode, 0..2. */
	public int nodelay() {
		return this.nodelay;
	}

	/** The fast-resend threshold (0 = off). */
	public int fastResend() {
		return this.fastResend;
	}

	/** Whether the congestion window is ignored. */
	public boolean isNoCongestionControl() {
		return this.noCongestionWindow;
	}

	/** Whether the engine is in stream mode. */
	public boolean isStream() {
		return this.stream;
	}

	/** The send window in segments. */
	public int sendWindow() {
		return this.sndWnd;
	}

	/** The receive window in segments. */
	public int receiveWindow() {
		return this.rcvWnd;
	}

	/** The window the peer last announced. */
	public int remoteWindow() {
		return this.rmtWnd;
	}

	/** The congestion window in segments. */
	public int congestionWindow() {
		return this.cwnd;
	}

	/** The slow-start threshold in segments. */
	public int slowStartThreshold() {
		return this.ssthresh;
	}

	/** Smoothed round-trip time in ms (0 before the first sample). */
	public int srtt() {
		return this.rxSrtt;
	}

	/** Round-trip time variation in ms. */
	public int rttVariation() {
		return this.rxRttval;
	}

	/** Current retransmission timeout in ms. */
	public int rto() {
		return this.rxRto;
	}

	/** The minimum retransmission timeout in ms. */
	public int minRto() {
		return this.rxMinRto;
	}

	/** The fast retransmission cap. */
	public int fastLimit() {
		return this.fastLimit;
	}

	/** Transmissions of one segment after which the link counts as dead. */
	public int deadLinkLimit() {
		return this.deadLinkLimit;
	}

	/** Whether some segment has been transmitted {@link #deadLinkLimit()} times without acknowledgement. */
	public boolean isDeadLink() {
		return this.deadLink;
	}

	/** Segments waiting to be sent or acknowledged (ikcp's {@code ikcp_waitsnd}). */
	public int waitSnd() {
		return this.sndBuf.count() + this.sndQueue.size();
	}

	/** Segments queued by {@link #send} and not yet moved into the send window. */
	public int sendQueueSize() {
		return this.sndQueue.size();
	}

	/**
	 * The sequence number the most recently queued segment carries (or will carry once it enters the send
	 * window). Data passed to {@link #send} is fully acknowledged once {@link #sendUnacknowledged()} has moved
	 * past the value this returned right after that call.
	 */
	public int lastQueuedSequence() {
		return this.sndNxt + this.sndQueue.size() - 1;
	}

	/**
	 * Whether the engine has nothing to do until new input or a new send: nothing queued or in flight, no
	 * acknowledgement or window answer pending, and no zero window to probe. A driver need not schedule
	 * {@link #update} for an idle engine, which keeps thousands of quiet conversations free.
	 */
	public boolean isIdle() {
		return this.sndQueue.isEmpty() && this.sndBuf.count() == 0 && this.ackCount == 0 && this.probe == 0
				&& this.rmtWnd != 0;
	}

	/** Whether acknowledgements (or a window answer) are waiting for the next flush. */
	public boolean hasPendingAcks() {
		return this.ackCount != 0 || this.probe != 0;
	}

	/** The engine's mode (see {@link #setMode}). */
	public EngineMode mode() {
		return this.mode;
	}

	/**
	 * Whether the pending acknowledgements should leave at once rather than wait to be coalesced with others: data
	 * arrived out of order (a gap the sender must learn about to resend early), arrived again (the sender missed
	 * our acknowledgement), or the peer probed our window. In-order data may be acknowledged a little later, in one
	 * datagram with others. A driver that coalesces calls {@link #flushAcks} at once when this is true.
	 */
	public boolean hasUrgentAcks() {
		return this.urgentAcks && (this.ackCount != 0 || this.probe != 0);
	}

	/** Whether incoming data is taken (see {@link #setAcceptingData}). */
	public boolean isAcceptingData() {
		return this.acceptingData;
	}

	/** The budget consulted before parking out-of-order data. */
	public ReceiveBudget receiveBudget() {
		return this.receiveBudget;
	}

	/**
	 * Bytes parked in the receive buffer, held from the budget: per segment its buffer (at least one mss) plus
	 * {@link KcpCodec#OVERHEAD}.
	 */
	public long parkedBytes() {
		return this.parkedBytes;
	}

	/**
	 * Whether the peer has shown that it exchanges data with us: {@link #peerAcknowledgedData()} or
	 * {@link #messageCompletedInOrder()}. Once true, stays true.
	 */
	public boolean isPeerProven() {
		return this.peerAcknowledgedData || this.messageCompletedInOrder;
	}

	/**
	 * Whether the peer has acknowledged a segment we sent, echoing the exact send time we stamped on it: proof that
	 * it receives our datagrams at its address (an off-path spoofer would have to guess both the sequence number and
	 * our millisecond clock). Once true, stays true.
	 */
	public boolean peerAcknowledgedData() {
		return this.peerAcknowledgedData;
	}

	/**
	 * Whether a whole message (in stream mode, a segment) has been received in order and is, or was, ready for
	 * {@link #receive}. The weaker sign: it shows that the peer speaks KCP from its address, not that it receives
	 * what we send. Once true, stays true.
	 */
	public boolean messageCompletedInOrder() {
		return this.messageCompletedInOrder;
	}

	/** Segments sent but not yet acknowledged. */
	public int inFlight() {
		return this.sndBuf.count();
	}

	/** Segments in the receive queue, ready for {@link #receive}. */
	public int receiveQueueSize() {
		return this.rcvQueue.size();
	}

	/** Out-of-order segments waiting in the receive buffer. */
	public int receiveBufferSize() {
		return this.rcvBuf.count();
	}

	/**
	 * The largest message {@link #send} accepts in message mode: {@code min(255, receiveWindow - 1)} fragments of
	 * {@link #mss()} bytes.
	 */
	public int maxMessageSize() {
		return maxFragments() * this.mss;
	}

	private int maxFragments() {
		return Math.min(MAX_FRAGMENTS, this.rcvWnd - 1);
	}

	/** The next sequence number to send. */
	public int sendNext() {
		return this.sndNxt;
	}

	/** The first unacknowledged sequence number. */
	public int sendUnacknowledged() {
		return this.sndUna;
	}

	/** The next sequence number expected from the peer. */
	public int receiveNext() {
		return this.rcvNxt;
	}

	// ---------------------------------------------------------------- counters

	/** Datagrams emitted through the output. */
	public long outDatagrams() {
		return this.outDatagrams;
	}

	/** Bytes emitted through the output. */
	public long outBytes() {
		return this.outBytes;
	}

	/** Segments of all kinds emitted (data, acknowledgements, probes). */
	public long outSegments() {
		return this.outSegments;
	}

	/** Data segments sent for the first time. */
	public long outDataSegments() {
		return this.outDataSegments;
	}

	/** Data segments retransmitted because their timeout expired. */
	public long timeoutRetransmissions() {
		return this.timeoutRetransmissions;
	}

	/** Data segments retransmitted early after duplicate acknowledgements. */
	public long fastRetransmissions() {
		return this.fastRetransmissions;
	}

	/** Datagrams fed to {@link #input}. */
	public long inDatagrams() {
		return this.inDatagrams;
	}

	/** Bytes fed to {@link #input}. */
	public long inBytes() {
		return this.inBytes;
	}

	/** Well-formed segments received. */
	public long inSegments() {
		return this.inSegments;
	}

	/** Data segments received, including duplicates. */
	public long inDataSegments() {
		return this.inDataSegments;
	}

	/** Data segments received that had already been received (acknowledged again, then dropped). */
	public long duplicateSegments() {
		return this.duplicateSegments;
	}

	/** Data segments dropped because they lay beyond the receive window. */
	public long outOfWindowSegments() {
		return this.outOfWindowSegments;
	}

	/**
	 * Data segments retransmitted early ({@link EngineMode#TUNED}): after one duplicate acknowledgement, in a flush
	 * that had no new data to send.
	 */
	public long earlyRetransmissions() {
		return this.earlyRetransmissions;
	}

	/**
	 * Tail loss probes sent ({@link EngineMode#TUNED}): the oldest unacknowledged segment sent once more when new
	 * data that had nothing queued behind it went unacknowledged for two smoothed RTTs (plus the peer's interval for
	 * a lone segment). Not counted as retransmissions by timeout; its timer runs on.
	 */
	public long tailProbes() {
		return this.tailProbes;
	}

	/**
	 * Retransmissions found needless: the peer acknowledged an earlier copy of a segment than the one we sent last
	 * (its acknowledgement echoes the older send time). A lower bound: a needless copy whose segment was released by
	 * una without an acknowledgement of its own, or whose later copy's acknowledgement came first, is not seen; the
	 * receiver's {@link #duplicateSegments()} counts the copies that arrived twice.
	 */
	public long spuriousRetransmissions() {
		return this.spuriousRetransmissions;
	}

	/** Acknowledgements left out of a flush because una already covered them ({@link EngineMode#TUNED}). */
	public long trimmedAcks() {
		return this.trimmedAcks;
	}

	/** Data segments dropped unacknowledged because the {@link ReceiveBudget} refused to park them. */
	public long budgetRefusedSegments() {
		return this.budgetRefusedSegments;
	}

	/** Data segments refused, unacknowledged, while {@link #setAcceptingData not accepting data}. */
	public long refusedDataSegments() {
		return this.refusedDataSegments;
	}

	/** How many datagrams stopped parsing for {@code reason}. */
	public long inputErrors(InputResult reason) {
		return this.inputErrors[reason.ordinal()];
	}

}
