package io.github.kcp.core.connection;

/**
 * Why a datagram was dropped. Every drop is counted under one of these: by the server as a whole (its drop
 * counters) and, for datagrams that reached a session, by that session ({@link KcpSessionStats}).
 */
public enum DropReason {

	/** Not a well-formed KCP datagram (short, bad length, unknown command, mixed conversations). */
	MALFORMED,

	/** The packet cipher rejected it (wrong key, tampered, truncated). */
	DECRYPT_FAILED,

	/**
	 * Authentic, but the packet cipher had already accepted it or it is too old (a replayed or duplicated
	 * datagram; see {@code ReplayProtection}).
	 */
	REPLAYED,

	/** From an unknown peer, well formed, but carrying no data segment, so it cannot open a conversation. */
	NOT_A_NEW_CONVERSATION,

	/** It would have opened a session beyond the server's session limit. */
	SESSION_LIMIT,

	/** It would have opened a session faster than the server's admission rate allows. */
	RATE_LIMITED,

	/**
	 * It would have opened a session beyond the sessions allowed per source address
	 * ({@link KcpSettings#MAX_SESSIONS_PER_ADDRESS}; an IPv6 address counts by its /64 prefix), and no unproven
	 * session of that address could make room.
	 */
	ADDRESS_SESSION_LIMIT,

	/**
	 * It would have opened a session faster than one source address may
	 * ({@link KcpSettings#NEW_SESSIONS_PER_ADDRESS_PER_SECOND}).
	 */
	ADDRESS_RATE_LIMITED,

	/**
	 * A session's engine dropped out-of-order data in it, unacknowledged (the sender retransmits it), because the
	 * memory budget had no room: the session's own while its peer is unproven, the unproven sessions' together, or
	 * the server's ({@link KcpSettings#MEMORY_BUDGET}). The datagram's other segments were applied. Counted once per
	 * datagram.
	 */
	MEMORY_BUDGET,

	/**
	 * An outgoing datagram, or its tail, that was not sent because the peer is unproven and it would have exceeded
	 * the anti-amplification limit ({@link KcpSettings#AMPLIFICATION_FACTOR}); the engine sends that data again later.
	 */
	AMPLIFICATION_LIMITED,

	/** It belongs to a conversation that already closed (a late retransmission); it does not reopen it. */
	CLOSED_SESSION,

	/** It arrived while the server was shutting down (or had stopped receiving) and did not belong to a live session. */
	SHUTTING_DOWN,

	/** A client received it from an address other than its server, or for another conversation id. */
	UNEXPECTED_SOURCE,

	/** The session's engine stopped parsing it (truncated segment, bad length, unknown command). */
	ENGINE_REJECTED,

	/** An outgoing datagram that the packet cipher failed to encrypt; it was not sent at all. */
	ENCRYPT_FAILED,

	/**
	 * DTLS: a datagram from a source without a DTLS connection that is not a well-formed, unfragmented ClientHello
	 * (application data of a connection that is gone, garbage); the server keeps nothing for it.
	 */
	DTLS_REJECTED,

	/** DTLS: application data that arrived before the handshake completed (reordered ahead of the last flight). */
	DTLS_EARLY_DATA,

	/**
	 * Handling it threw an unexpected exception (a bug, logged): the datagram was dropped and the endpoint went on.
	 * Exceptions thrown by session handlers are not counted here but as handler failures.
	 */
	INPUT_FAILED

}
