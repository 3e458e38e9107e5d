package io.github.kcp.spring.listener.adapter;

import org.jspecify.annotations.Nullable;

import org.springframework.messaging.Message;

/**
 * Chooses the {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} method of a received message.
 */
@FunctionalInterface
public interface KcpHandlerRouter {

	/**
	 * Routes a message.
	 * @param message the received message (payload: its bytes; headers: see
	 * {@link io.github.kcp.spring.support.KcpHeaders})
	 * @return the handler and the message to invoke it with (possibly with headers added, such as the values of
	 * route variables), or {@code null} if no handler takes the message
	 */
	@Nullable Match route(Message<byte[]> message);

	/**
	 * A routing decision.
	 *
	 * @param handler the chosen handler
	 * @param message the message to invoke it with
	 */
	record Match(HandlerAdapter handler, Message<byte[]> message) {
	}

}
