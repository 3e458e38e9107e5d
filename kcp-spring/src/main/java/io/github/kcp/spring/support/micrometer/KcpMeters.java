package io.github.kcp.spring.support.micrometer;

/**
 * The names and tag keys of the KCP meters (the README's table describes each). Every meter has the tags
 * {@value #SIDE} ({@code server} or {@code client}) and {@value #NAME} (the server's id, {@code default} for the
 * default server, or the template's bean name); none has a per-session or per-address tag, so the number of time
 * series does not grow with the sessions.
 */
public final class KcpMeters {

	/** Tag: {@code server} or {@code client}. */
	public static final String SIDE = "side";

	/** Tag: the server's id ({@code default} for the default server) or the template's bean name. */
	public static final String NAME = "name";

	/** Tag: {@code in} or {@code out}. */
	public static final String DIRECTION = "direction";

	/** Tag: a {@code CloseReason} or {@code DropReason}, lower case. */
	public static final String REASON = "reason";

	/** Tag: what triggered a retransmission: {@code timeout}, {@code fast} or {@code early}. */
	public static final String KIND = "kind";

	/** Gauge: sessions open now. */
	public static final String SESSIONS_ACTIVE = "kcp.sessions.active";

	/** Counter: sessions opened. */
	public static final String SESSIONS_OPENED = "kcp.sessions.opened";

	/** Counter: sessions closed, by {@value #REASON}. */
	public static final String SESSIONS_CLOSED = "kcp.sessions.closed";

	/** Counter: messages, by {@value #DIRECTION}. */
	public static final String MESSAGES = "kcp.messages";

	/** Counter: bytes of messages, by {@value #DIRECTION}. */
	public static final String PAYLOAD_BYTES = "kcp.payload.bytes";

	/** Counter: datagrams of the sessions, by {@value #DIRECTION}. */
	public static final String DATAGRAMS = "kcp.datagrams";

	/** Counter: bytes of the sessions' datagrams on the wire, by {@value #DIRECTION}. */
	public static final String WIRE_BYTES = "kcp.wire.bytes";

	/** Counter: retransmitted data segments, by {@value #KIND}. */
	public static final String RETRANSMISSIONS = "kcp.retransmissions";

	/** Counter: data segments received more than once. */
	public static final String DUPLICATE_SEGMENTS = "kcp.segments.duplicate";

	/** Counter: dropped datagrams, by {@value #REASON}. */
	public static final String DATAGRAMS_DROPPED = "kcp.datagrams.dropped";

	/** Timer: the round-trip time samples of the engines. */
	public static final String RTT = "kcp.rtt";

	/** Gauge: bytes sent and not yet acknowledged, over the open sessions. */
	public static final String SEND_BUFFERED = "kcp.buffer.send";

	/** Gauge: segments received and not yet read, over the open sessions. */
	public static final String RECEIVE_BUFFERED = "kcp.buffer.receive";

	/** Counter: failed handler invocations (server). */
	public static final String HANDLER_FAILURES = "kcp.handler.failures";

	/** Counter: times the handler executor refused work and a session waited (server). */
	public static final String HANDLER_REJECTED = "kcp.handler.rejected";

	/** Gauge: messages received and not yet handled and replied to (server). */
	public static final String HANDLER_PENDING = "kcp.handler.pending";

	/** Counter: messages no handler takes (server). */
	public static final String MESSAGES_UNROUTED = "kcp.messages.unrouted";

	/** Counter: messages dropped as unreadable frames. */
	public static final String MESSAGES_MALFORMED = "kcp.messages.malformed";

	/** Counter: replies that could not be converted or sent (server). */
	public static final String REPLIES_FAILED = "kcp.replies.failed";

	/** Counter: replies that came after their request timed out (client). */
	public static final String REPLIES_LATE = "kcp.replies.late";

	/** Counter: sessions refused because the server was stopping (server). */
	public static final String SESSIONS_REFUSED = "kcp.sessions.refused";

	/** Counter: DTLS handshakes, tagged {@code outcome=completed|failed} (server, only with DTLS). */
	public static final String DTLS_HANDSHAKES = "kcp.dtls.handshakes";

	/** Counter: cookies the stateless DTLS cookie exchange sent (server, only with DTLS). */
	public static final String DTLS_COOKIES_SENT = "kcp.dtls.cookies.sent";

	/** Tag: how a DTLS handshake ended ({@code completed} or {@code failed}). */
	public static final String OUTCOME = "outcome";

	private KcpMeters() {
	}

}
