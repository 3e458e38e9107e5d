package io.github.kcp.spring.support;

/**
 * What one KCP message carries between a Spring server and its clients; both ends must agree.
 */
public enum KcpMessageFormat {

	/**
	 * The bytes of the payload and nothing else: what C, Go, C#, Python (aiokcp) and other KCP peers send. Messages
	 * are routed by what they look like and replies matched to requests in order (see
	 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} and
	 * {@link io.github.kcp.spring.core.KcpTemplate KcpTemplate}).
	 */
	RAW,

	/**
	 * Each message is a {@link io.github.kcp.spring.envelope.KcpEnvelope} frame: a route, a correlation id, a frame
	 * type (request, reply, error, one-way, push), a content type and headers around the payload. Handlers are chosen
	 * by route, replies by correlation id, and a push is never taken for a reply.
	 */
	ENVELOPE

}
