package io.github.kcp.core.connection;

/**
 * Why a KCP connection (a session) closed, as {@link KcpConnection#closeReason()} and the transport's session
 * handler report it.
 */
public enum CloseReason {

	/** This side closed or aborted the session. */
	CLOSED_LOCALLY,

	/** The peer closed the session and told us so with the close signal (see the README's protocol notes). */
	CLOSED_BY_PEER,

	/** Nothing was received from the peer for the configured idle timeout. */
	IDLE_TIMEOUT,

	/** A segment was transmitted the configured dead-link number of times without being acknowledged. */
	DEAD_LINK,

	/** The server that owned the session shut down. */
	SERVER_SHUTDOWN,

	/**
	 * The server closed the session to make room for a new one: the server, or the peer's address, had reached its
	 * session limit (or the unproven sessions their memory budget), and this session's peer had not proven yet that
	 * it receives the server's datagrams (see {@link KcpConnection#isPeerProven()}); the oldest such session goes
	 * first.
	 */
	EVICTED,

	/**
	 * An unexpected error: the UDP socket failed, or the packet cipher could not encrypt (nothing is sent in clear;
	 * the peer is not told, as the close signal would need encrypting too). The cause comes with the close. A
	 * session handler that threw is not one: that is logged and counted, and the session goes on.
	 */
	ERROR

}
