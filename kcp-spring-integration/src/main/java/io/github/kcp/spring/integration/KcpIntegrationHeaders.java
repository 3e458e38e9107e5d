package io.github.kcp.spring.integration;

import io.github.kcp.spring.support.KcpHeaders;

/**
 * The headers of the messages the KCP endpoints produce, in the spirit of spring-integration-ip's {@code IpHeaders}:
 * every name starts with {@value KcpHeaders#PREFIX}. The session headers are those of kcp-spring's
 * {@link KcpHeaders}, so a message means the same to a {@code @KcpHandler} and to a flow; this class adds the peer's
 * host and port and the local port as separate values, as {@code IpHeaders} carries them.
 * <p>
 * Outbound endpoints read {@link #SESSION_ID} to send a message back to the session it came from (a
 * {@code Kcp.outboundAdapter(server)} after a {@code Kcp.inboundAdapter(server)}), and, with the messaging envelope,
 * {@link #CORRELATION_ID} and {@link #FRAME_TYPE} to answer a request with a reply its sender is waiting for.
 * <p>
 * The {@code KcpSession} object itself ({@link KcpHeaders#SESSION}) is not put on Spring Integration messages:
 * messages may be stored or sent on, and the session id names the session well enough.
 */
public final class KcpIntegrationHeaders {

	/** The conversation id ({@link Integer}, unsigned 32-bit on the wire). */
	public static final String CONV = KcpHeaders.CONV;

	/** A text id of the session, {@code host:port/conv} of the peer ({@link String}). */
	public static final String SESSION_ID = KcpHeaders.SESSION_ID;

	/** The peer's address ({@link java.net.InetSocketAddress}). */
	public static final String REMOTE_ADDRESS = KcpHeaders.REMOTE_ADDRESS;

	/** The peer's IP address as text ({@link String}), like {@code IpHeaders.IP_ADDRESS}. */
	public static final String REMOTE_HOST = KcpHeaders.PREFIX + "remoteHost";

	/** The peer's UDP port ({@link Integer}), like {@code IpHeaders.REMOTE_PORT}. */
	public static final String REMOTE_PORT = KcpHeaders.PREFIX + "remotePort";

	/** The local address the session's datagrams leave from ({@link java.net.InetSocketAddress}). */
	public static final String LOCAL_ADDRESS = KcpHeaders.LOCAL_ADDRESS;

	/** The local UDP port ({@link Integer}). */
	public static final String LOCAL_PORT = KcpHeaders.PREFIX + "localPort";

	/** With the messaging envelope: the route ({@link String}); outbound endpoints send with it when set. */
	public static final String ROUTE = KcpHeaders.ROUTE;

	/** With the messaging envelope: the correlation id of a request or reply ({@link Integer}). */
	public static final String CORRELATION_ID = KcpHeaders.CORRELATION_ID;

	/** With the messaging envelope: the frame type ({@link io.github.kcp.spring.envelope.KcpFrameType}). */
	public static final String FRAME_TYPE = KcpHeaders.FRAME_TYPE;

	/** With the messaging envelope: the content type the sender declared ({@link String}), if any. */
	public static final String CONTENT_TYPE = KcpHeaders.CONTENT_TYPE;

	private KcpIntegrationHeaders() {
	}

}
