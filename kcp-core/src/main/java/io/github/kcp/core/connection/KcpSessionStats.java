package io.github.kcp.core.connection;

import java.util.EnumMap;
import java.util.Map;

import io.github.kcp.core.protocol.Kcp;

/**
 * A snapshot of one session's protocol state and counters, taken by {@link KcpConnection#stats()}. Wire counters
 * are as the datagrams went over the socket: after encryption on the way out, before decryption on the way in.
 */
public final class KcpSessionStats {

	private final int srtt;

	private final int rttVariation;

	private final int rto;

	private final int congestionWindow;

	private final int remoteWindow;

	private final int inFlight;

	private final int waitingSegments;

	private final long sendBufferedBytes;

	private final int receiveQueueSegments;

	private final int receiveBufferSegments;

	private final long timeoutRetransmissions;

	private final long fastRetransmissions;

	private final long datagramsOut;

	private final long bytesOut;

	private final long segmentsOut;

	private final long datagramsIn;

	private final long bytesIn;

	private final long segmentsIn;

	private final long duplicateSegments;

	private final long[] drops;

	private final long messagesOut;

	private final long messagesIn;

	private final long payloadBytesOut;

	private final long payloadBytesIn;

	// ---- loss recovery (tuned engine mode)

	private final long earlyRetransmissions;

	private final long tailProbes;

	private final long spuriousRetransmissions;

	private final long trimmedAcks;

	private final boolean peerProven;

	KcpSessionStats(Kcp kcp, long sendBufferedBytes, long datagramsOut, long bytesOut, long segmentsOutAdjustment,
			long datagramsIn, long bytesIn, long[] drops, long messagesOut, long messagesIn, long payloadBytesOut,
			long payloadBytesIn, boolean peerProven) {
		this.srtt = kcp.srtt();
		this.rttVariation = kcp.rttVariation();
		this.rto = kcp.rto();
		this.congestionWindow = kcp.congestionWindow();
		this.remoteWindow = kcp.remoteWindow();
		this.inFlight = kcp.inFlight();
		this.waitingSegments = kcp.waitSnd();
		this.sendBufferedBytes = sendBufferedBytes;
		this.receiveQueueSegments = kcp.receiveQueueSize();
		this.receiveBufferSegments = kcp.receiveBufferSize();
		this.timeoutRetransmissions = kcp.timeoutRetransmissions();
		this.fastRetransmissions = kcp.fastRetransmissions();
		this.earlyRetransmissions = kcp.earlyRetransmissions();
		this.tailProbes = kcp.tailProbes();
		this.datagramsOut = datagramsOut;
		this.bytesOut = bytesOut;
		// As on the wire: with the connection's own segments (close-signal offers), without those it held back.
		this.segmentsOut = kcp.outSegments() + segmentsOutAdjustment;
		this.datagramsIn = datagramsIn;
		this.bytesIn = bytesIn;
		this.segmentsIn = kcp.inSegments();
		this.duplicateSegments = kcp.duplicateSegments();
		this.drops = drops.clone();
		this.messagesOut = messagesOut;
		this.messagesIn = messagesIn;
		this.payloadBytesOut = payloadBytesOut;
		this.payloadBytesIn = payloadBytesIn;
		this.spuriousRetransmissions = kcp.spuriousRetransmissions();
		this.trimmedAcks = kcp.trimmedAcks();
		this.peerProven = peerProven;
	}

	/** Smoothed round-trip time in ms (0 before the first sample). */
	public int srtt() {
		return this.srtt;
	}

	/** Round-trip time variation in ms. */
	public int rttVariation() {
		return this.rttVariation;
	}

	/** Current retransmission timeout in ms. */
	public int rto() {
		return this.rto;
	}

	/** Congestion window in segments. */
	public int congestionWindow() {
		return this.congestionWindow;
	}

	/** The receive window the peer last announced, in segments. */
	public int remoteWindow() {
		return this.remoteWindow;
	}

	/** Segments sent and not yet acknowledged. */
	public int inFlight() {
		return this.inFlight;
	}

	/** Segments queued or in flight. */
	public int waitingSegments() {
		return this.waitingSegments;
	}

	/** Bytes the application sent and the peer has not acknowledged yet. */
	public long sendBufferedBytes() {
		return this.sendBufferedBytes;
	}

	/**
	 * Segments received in order and waiting for the application to read them (at most the receive window: a
	 * reader that does not read closes the window).
	 */
	public int receiveQueueSegments() {
		return this.receiveQueueSegments;
	}

	/**
	 * Segments received out of order (or beyond a full receive queue), waiting for the gap before them to be filled
	 * (at most the receive window).
	 */
	public int receiveBufferSegments() {
		return this.receiveBufferSegments;
	}

	/** Segments resent after their timeout expired. */
	public long timeoutRetransmissions() {
		return this.timeoutRetransmissions;
	}

	/** Segments resent early after duplicate acknowledgements. */
	public long fastRetransmissions() {
		return this.fastRetransmissions;
	}

	/**
	 * Segments resent early ({@link io.github.kcp.core.protocol.EngineMode#TUNED}, as kcp-go): after a single
	 * duplicate acknowledgement, in a flush that had no new data to send instead.
	 */
	public long earlyRetransmissions() {
		return this.earlyRetransmissions;
	}

	/**
	 * Tail loss probes sent ({@link io.github.kcp.core.protocol.EngineMode#TUNED}, RFC 8985): the oldest
	 * unacknowledged segment sent once more when new data with nothing queued behind it went unacknowledged for two
	 * smoothed RTTs (plus the peer's interval for a lone segment).
	 */
	public long tailProbes() {
		return this.tailProbes;
	}

	/**
	 * Retransmissions that turned out not to be needed: the peer acknowledged an earlier copy (a lower bound; the
	 * echoed timestamp tells which copy arrived).
	 */
	public long spuriousRetransmissions() {
		return this.spuriousRetransmissions;
	}

	/**
	 * Acknowledgements left out of a flush because the cumulative acknowledgement already covered them
	 * ({@link io.github.kcp.core.protocol.EngineMode#TUNED}, as kcp-go).
	 */
	public long trimmedAcks() {
		return this.trimmedAcks;
	}

	/** All retransmissions, whatever triggered them (timeout, fast, early and tail probe). */
	public long retransmissions() {
		return this.timeoutRetransmissions + this.fastRetransmissions + this.earlyRetransmissions + this.tailProbes;
	}

	/** Datagrams sent (close signals included). */
	public long datagramsOut() {
		return this.datagramsOut;
	}

	/** Bytes sent on the wire (after encryption, so the cipher's overhead included). */
	public long bytesOut() {
		return this.bytesOut;
	}

	/** Segments sent (data, acknowledgements, probes). */
	public long segmentsOut() {
		return this.segmentsOut;
	}

	/** Datagrams received for this session and given to it (close signals included, dropped ones not). */
	public long datagramsIn() {
		return this.datagramsIn;
	}

	/** Bytes of those datagrams as received on the wire (before decryption). */
	public long bytesIn() {
		return this.bytesIn;
	}

	/** Well-formed segments received. */
	public long segmentsIn() {
		return this.segmentsIn;
	}

	/** Data segments received more than once. */
	public long duplicateSegments() {
		return this.duplicateSegments;
	}

	/**
	 * Datagrams of this session that were dropped: received ones its engine rejected (on a client also those that
	 * failed decryption, were too short or came for another conversation), and an outgoing one the packet stage
	 * failed to protect ({@link DropReason#ENCRYPT_FAILED}; the session closes then).
	 */
	public long droppedDatagrams() {
		long total = 0;
		for (long count : this.drops) {
			total += count;
		}
		return total;
	}

	/** Datagrams for this session dropped for {@code reason}. */
	public long droppedDatagrams(DropReason reason) {
		return this.drops[reason.ordinal()];
	}

	/** Messages (stream mode: writes) the application sent. */
	public long messagesOut() {
		return this.messagesOut;
	}

	/** Messages (stream mode: chunks) delivered to the application. */
	public long messagesIn() {
		return this.messagesIn;
	}

	/** Bytes of the messages (stream mode: writes) the application sent, before any framing or encryption. */
	public long payloadBytesOut() {
		return this.payloadBytesOut;
	}

	/** Bytes of the messages (stream mode: chunks) delivered to the application. */
	public long payloadBytesIn() {
		return this.payloadBytesIn;
	}

	/**
	 * Whether the peer has proven that it receives our datagrams (it acknowledged data we sent); until then a server
	 * keeps the session under its terms for unproven peers. Always true on a client. See
	 * {@link KcpConnection#isPeerProven()}.
	 */
	public boolean peerProven() {
		return this.peerProven;
	}

	@Override
	public String toString() {
		Map<DropReason, Long> dropped = new EnumMap<>(DropReason.class);
		for (DropReason reason : DropReason.values()) {
			if (this.drops[reason.ordinal()] > 0) {
				dropped.put(reason, this.drops[reason.ordinal()]);
			}
		}
		return "KcpSessionStats{srtt=" + this.srtt + ", rttVariation=" + this.rttVariation + ", rto=" + this.rto
				+ ", congestionWindow=" + this.congestionWindow + ", remoteWindow=" + this.remoteWindow + ", inFlight="
				+ this.inFlight + ", waitingSegments=" + this.waitingSegments + ", sendBufferedBytes="
				+ this.sendBufferedBytes + ", receiveQueueSegments=" + this.receiveQueueSegments
				+ ", receiveBufferSegments=" + this.receiveBufferSegments + ", timeoutRetransmissions="
				+ this.timeoutRetransmissions + ", fastRetransmissions=" + this.fastRetransmissions
				+ ", earlyRetransmissions=" + this.earlyRetransmissions + ", tailProbes=" + this.tailProbes
				+ ", datagramsOut="
				+ this.datagramsOut + ", bytesOut=" + this.bytesOut + ", segmentsOut=" + this.segmentsOut
				+ ", datagramsIn=" + this.datagramsIn + ", bytesIn=" + this.bytesIn + ", segmentsIn=" + this.segmentsIn
				+ ", duplicateSegments=" + this.duplicateSegments + ", dropped=" + dropped + ", messagesOut="
				+ this.messagesOut + ", messagesIn=" + this.messagesIn + ", payloadBytesOut=" + this.payloadBytesOut
				+ ", payloadBytesIn=" + this.payloadBytesIn + ", spuriousRetransmissions="
				+ this.spuriousRetransmissions + ", trimmedAcks=" + this.trimmedAcks + "}";
	}

}
