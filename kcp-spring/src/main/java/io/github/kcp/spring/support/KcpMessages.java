package io.github.kcp.spring.support;

import io.github.kcp.core.transport.KcpSession;

import org.springframework.messaging.Message;
import org.springframework.messaging.support.MessageBuilder;

/**
 * Builds the spring-messaging {@link Message} of a received KCP message, the same way on the server side (for
 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods) and on the client side (for replies and
 * pushes): the payload is the received bytes, the headers name the session (see {@link KcpHeaders}).
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
		return MessageBuilder.withPayload(payload)
			.setHeader(KcpHeaders.CONV, session.conv())
			.setHeader(KcpHeaders.REMOTE_ADDRESS, session.remoteAddress())
			.setHeader(KcpHeaders.LOCAL_ADDRESS, session.localAddress())
			.setHeader(KcpHeaders.SESSION_ID, KcpHeaders.sessionId(session))
			.setHeader(KcpHeaders.SESSION, session);
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
