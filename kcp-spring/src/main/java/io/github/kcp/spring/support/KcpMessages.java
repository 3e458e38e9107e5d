package io.github.kcp.spring.support;

import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.envelope.KcpEnvelope;

import org.springframework.messaging.Message;
import org.springframework.messaging.support.MessageBuilder;

/**
 * Builds the spring-messaging {@link Message} of a received KCP message, the same way on the server side (for
 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods) and on the client side (for replies and
 * pushes): the payload is the received bytes, the headers name the session and, in a DTLS session, the peer's
 * certificate principal and the cipher suite (see {@link KcpHeaders}).
 */
public final class KcpMessages {

	private KcpMessages() {
	}

	/**
	 * A builder of the message of {@code payload} received on {@code session}, with the session headers set, for
	 * callers that add headers of their own.
	 * @param session the session the bytes arrived on
	 * @param payload the received bytes
	 * @return the builder
	 */
	public static MessageBuilder<byte[]> builder(KcpSession session, byte[] payload) {
		MessageBuilder<byte[]> builder = MessageBuilder.withPayload(payload)
			.setHeader(KcpHeaders.CONV, session.conv())
			.setHeader(KcpHeaders.REMOTE_ADDRESS, session.remoteAddress())
			.setHeader(KcpHeaders.LOCAL_ADDRESS, session.localAddress())
			.setHeader(KcpHeaders.SESSION_ID, KcpHeaders.sessionId(session))
			.setHeader(KcpHeaders.SESSION, session);
		KcpSecurityInfo security = session.securityInfo();
		if (security != null) {
			// Who the peer proved to be and what protects the session; never key material (the record holds none).
			builder.setHeader(KcpHeaders.CIPHER_SUITE, security.cipherSuite());
			if (security.peerPrincipal() != null) {
				builder.setHeader(KcpHeaders.PEER_PRINCIPAL, security.peerPrincipal());
			}
		}
		return builder;
	}

	/**
	 * The message of an envelope frame received on {@code session}: its payload, the session headers, its route,
	 * frame type, correlation id (for requests, replies and errors) and content type (if any) under their
	 * {@link KcpHeaders} names, and the frame's own headers under their names (except any starting with
	 * {@value KcpHeaders#PREFIX}, which a peer cannot set).
	 * @param session the session the frame arrived on
	 * @param envelope the frame
	 * @return the message
	 */
	public static Message<byte[]> of(KcpSession session, KcpEnvelope envelope) {
		MessageBuilder<byte[]> builder = builder(session, envelope.payload());
		envelope.headers().forEach((name, value) -> {
			if (!name.startsWith(KcpHeaders.PREFIX)) {
				builder.setHeader(name, value);
			}
		});
		builder.setHeader(KcpHeaders.ROUTE, envelope.route()).setHeader(KcpHeaders.FRAME_TYPE, envelope.type());
		if (envelope.type().isCorrelated()) {
			builder.setHeader(KcpHeaders.CORRELATION_ID, envelope.correlationId());
		}
		if (envelope.contentType() != null) {
			builder.setHeader(KcpHeaders.CONTENT_TYPE, envelope.contentType());
		}
		return builder.build();
	}

	/**
	 * The message of {@code payload} received on {@code session}.
	 * @param session the session the bytes arrived on
	 * @param payload the received bytes
	 * @return the message with the session headers
	 */
	public static Message<byte[]> of(KcpSession session, byte[] payload) {
		return builder(session, payload).build();
	}

}
