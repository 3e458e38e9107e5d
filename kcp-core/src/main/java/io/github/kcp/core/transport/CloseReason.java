package io.github.kcp.core.transport;

/**
 * Why a {@link KcpSession} closed, as reported to {@link KcpSessionHandler#onClose}.
 */
public enum CloseReason {

	/** This side called {@link KcpSession#close()} or {@link KcpSession#abort()}. */
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
	 * An unexpected error: the UDP socket failed, or the packet cipher could not encrypt (nothing is sent in clear;
	 * the peer is not told, as the close signal would need encrypting too). The cause comes with
	 * {@link KcpSessionHandler#onClose}. A handler that threw is not one: that is logged and counted
	 * ({@link KcpEndpoint#handlerFailures()}) and the session goes on.
	 */
	ERROR

}
