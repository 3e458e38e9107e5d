package io.github.kcp.spring.support;

import io.github.kcp.core.transport.KcpSession;

/**
 * Names of the message headers that carry KCP session details, for {@code @Header} parameters of
 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods and for the messages a
 * {@link io.github.kcp.spring.core.KcpPushHandler} receives. Named like spring-integration-ip's {@code IpHeaders}.
 * With the messaging envelope the envelope's own headers (such as {@code traceparent}) are message headers too,
 * under their own names.
 *
 * <pre class="code">
 * &#64;KcpHandler
 * String greet(String name, &#64;Header(KcpHeaders.REMOTE_ADDRESS) InetSocketAddress from) { ... }
 * </pre>
 */
public final class KcpHeaders {

	/** The prefix of every KCP header. */
	public static final String PREFIX = "kcp_";

	/**
	 * The conversation id ({@link Integer}). KCP's conv is an unsigned 32-bit number carried in an {@code int}:
	 * use {@link Integer#toUnsignedLong(int)} to show it.
	 */
	public static final String CONV = PREFIX + "conv";

	/** The peer's address ({@link java.net.InetSocketAddress}). */
	public static final String REMOTE_ADDRESS = PREFIX + "remoteAddress";

	/** The local address the session's datagrams leave from ({@link java.net.InetSocketAddress}). */
	public static final String LOCAL_ADDRESS = PREFIX + "localAddress";

	/**
	 * A text id of the session, unique among the open sessions of one server: {@code host:port/conv} of the peer,
	 * see {@link #sessionId(KcpSession)}.
	 */
	public static final String SESSION_ID = PREFIX + "sessionId";

	/** The {@link KcpSession} itself. A parameter of type {@code KcpSession} is simpler. */
	public static final String SESSION = PREFIX + "session";

	/** With the messaging envelope: the route of the message ({@link String}, empty for none). */
	public static final String ROUTE = PREFIX + "route";

	/**
	 * With the messaging envelope, on the server: the route pattern of the {@code @KcpHandler} that took the message
	 * ({@link String}, such as {@code quote.price.{symbol}}); absent for messages routed without a route.
	 */
	public static final String ROUTE_PATTERN = PREFIX + "routePattern";

	/**
	 * With the messaging envelope: the correlation id of a request, reply or error ({@link Integer}, unsigned 32-bit
	 * on the wire); absent for one-way messages and pushes.
	 */
	public static final String CORRELATION_ID = PREFIX + "correlationId";

	/** With the messaging envelope: the frame type ({@link io.github.kcp.spring.envelope.KcpFrameType}). */
	public static final String FRAME_TYPE = PREFIX + "frameType";

	/**
	 * With the messaging envelope: the content type the sender declared ({@link String}), if any. Payloads are still
	 * converted by the parameter's type, so a {@code byte[]} parameter gets the bytes whatever the content type.
	 */
	public static final String CONTENT_TYPE = PREFIX + "contentType";

	/**
	 * In a DTLS session: the subject of the peer's certificate ({@link java.security.Principal}, an
	 * {@link javax.security.auth.x500.X500Principal}); absent without DTLS or when the peer sent no certificate (a
	 * client of a server whose client authentication is not {@code need}). A parameter of type {@code Principal}
	 * is simpler: it is resolved from this header, {@code null} when absent.
	 */
	public static final String PEER_PRINCIPAL = PREFIX + "peerPrincipal";

	/**
	 * In a DTLS session: the cipher suite it negotiated ({@link String}, such as
	 * {@code TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}); absent without DTLS.
	 */
	public static final String CIPHER_SUITE = PREFIX + "cipherSuite";

	private KcpHeaders() {
	}

	/**
	 * The value of {@link #SESSION_ID} for a session: the peer's {@code host:port}, a slash and the unsigned conv.
	 * @param session the session
	 * @return for example {@code 127.0.0.1:50123/3735928559}
	 */
	public static String sessionId(KcpSession session) {
		return session.remoteAddress().getHostString() + ":" + session.remoteAddress().getPort() + "/"
				+ Integer.toUnsignedString(session.conv());
	}

}
