package io.github.kcp.spring.listener;

import java.util.concurrent.CompletionStage;

import io.github.kcp.core.transport.KcpSession;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link KcpServerContainer} hands each received message to. The container's own listener routes messages
 * to {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods
 * ({@link io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter}); other integrations (a channel
 * adapter, for example) give the container a listener of their own.
 * <p>
 * The messages of one session are passed one at a time, in the order they arrived, on the container's handler
 * executor (never on the network thread); messages of different sessions in parallel. A listener may block; it
 * holds up its own session only.
 */
@FunctionalInterface
public interface KcpMessageListener {

	/**
	 * Handles one message.
	 * @param session the session it arrived on
	 * @param message the message bytes (owned by the listener)
	 * @return a stage completed once the message is done with (its reply, if any, handed to the session), or
	 * {@code null} if it is done already; a graceful stop of the container waits for it
	 */
	@Nullable CompletionStage<?> onMessage(KcpSession session, byte[] message);

}
