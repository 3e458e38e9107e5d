package io.github.kcp.spring.listener;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import org.jspecify.annotations.Nullable;

import org.springframework.messaging.Message;

/**
 * Decides what the peer gets when a {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} method throws
 * (or its future fails, or its payload cannot be converted). The failure is logged and counted by the
 * {@link io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter} before this is called; the session
 * and the server go on either way.
 * <p>
 * The Spring Boot starter uses a bean of this type.
 *
 * <pre class="code">
 * &#64;Bean
 * KcpHandlerErrorHandler errorReply() {
 *     return (session, endpoint, message, error) -&gt; new ErrorReply(error.getMessage());
 * }
 * </pre>
 */
@FunctionalInterface
public interface KcpHandlerErrorHandler {

	/**
	 * Handles a failure.
	 * @param session the session the message came from
	 * @param endpoint the handler that failed
	 * @param message the message it was handling (payload: the received bytes)
	 * @param error what the handler threw, or why its future failed
	 * @return a reply to send on the session (converted like a handler's return value), or {@code null} for none
	 */
	@Nullable Object handleError(KcpSession session, KcpHandlerEndpoint endpoint, Message<byte[]> message,
			Throwable error);

}
