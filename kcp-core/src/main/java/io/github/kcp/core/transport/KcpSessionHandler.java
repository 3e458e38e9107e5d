package io.github.kcp.core.transport;

import io.github.kcp.core.connection.CloseReason;
import org.jspecify.annotations.Nullable;

/**
 * Receives the events of one session: opened, each message, round-trip samples, closed. The counterpart of asyncio's
 * {@code Protocol} in aiokcp ({@code connection_made}, {@code data_received}, {@code connection_lost}).
 * <p>
 * All callbacks of a session run on that session's event-loop thread, one at a time and in order, so a handler
 * needs no locking for per-session state. They must not block: hand slow work to an executor. A callback that
 * throws is logged and counted; the session goes on.
 */
@FunctionalInterface
public interface KcpSessionHandler {

	/**
	 * The session is open. For a server, the first datagram of a new conversation arrived (its messages follow);
	 * for a client, the local socket is bound.
	 */
	default void onOpen(KcpSession session) {
	}

	/**
	 * A message arrived: in message mode one whole message as the peer sent it, in stream mode the next bytes of
	 * the stream. The array belongs to the handler.
	 */
	void onMessage(KcpSession session, byte[] message);

	/**
	 * The engine took a round-trip time sample: one per acknowledgement received, the samples its smoothed RTT and
	 * retransmission timeout are estimated from ({@link KcpSession#stats()} has those). For RTT distributions
	 * (metrics); does nothing by default. Called while a datagram is being processed: it must be quick.
	 * @param rttMillis the round-trip time of one segment in milliseconds (the engine's resolution)
	 */
	default void onRttSample(KcpSession session, int rttMillis) {
	}

	/**
	 * The session closed. Every message the peer sent before its close signal has been delivered first.
	 * @param reason why it closed
	 * @param cause the error for {@link CloseReason#ERROR}, otherwise {@code null}
	 */
	default void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
	}

}
