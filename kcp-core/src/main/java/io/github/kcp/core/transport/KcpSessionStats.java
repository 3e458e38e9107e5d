package io.github.kcp.core.transport;

/**
 * A snapshot of one session's protocol state and counters.
 *
 * @param srtt smoothed round-trip time in ms (0 before the first sample)
 * @param rttVariation round-trip time variation in ms
 * @param rto current retransmission timeout in ms
 * @param congestionWindow congestion window in segments
 * @param remoteWindow the receive window the peer last announced, in segments
 * @param inFlight segments sent and not yet acknowledged
 * @param waitingSegments segments queued or in flight
 * @param sendBufferedBytes bytes sent by the application and not yet acknowledged
 * @param receiveQueueSegments segments received in order and waiting for the application to read them (at most
 * the receive window: a reader that does not read closes the window)
 * @param receiveBufferSegments segments received out of order (or beyond a full receive queue), waiting for the
 * gap before them to be filled (at most the receive window)
 * @param timeoutRetransmissions segments resent after their timeout expired
 * @param fastRetransmissions segments resent early after duplicate acknowledgements
 * @param datagramsOut datagrams sent (close signals included)
 * @param bytesOut bytes sent on the wire (after encryption, so cipher overhead included)
 * @param segmentsOut segments sent (data, acknowledgements, probes)
 * @param datagramsIn datagrams received for this session and given to it (close signals included, dropped ones
 * not)
 * @param bytesIn bytes of those datagrams as received on the wire (before decryption)
 * @param segmentsIn well-formed segments received
 * @param duplicateSegments data segments received more than once
 * @param droppedDatagrams datagrams for this session dropped (rejected by the engine; on a client also those that
 * failed decryption, were too short or came for another conversation)
 * @param messagesOut messages (stream mode: writes) the application sent
 * @param messagesIn messages (stream mode: chunks) delivered to the application
 */
public record KcpSessionStats(int srtt, int rttVariation, int rto, int congestionWindow, int remoteWindow,
		int inFlight, int waitingSegments, long sendBufferedBytes, int receiveQueueSegments,
		int receiveBufferSegments, long timeoutRetransmissions,
		long fastRetransmissions, long datagramsOut, long bytesOut, long segmentsOut, long datagramsIn, long bytesIn,
		long segmentsIn, long duplicateSegments, long droppedDatagrams, long messagesOut, long messagesIn) {

	/** All retransmissions, whatever triggered them. */
	public long retransmissions() {
		return this.timeoutRetransmissions + this.fastRetransmissions;
	}

}
