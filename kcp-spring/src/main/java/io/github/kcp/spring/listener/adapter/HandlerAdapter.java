package io.github.kcp.spring.listener.adapter;

import java.util.Objects;

import io.github.kcp.spring.config.KcpHandlerEndpoint;
import org.jspecify.annotations.Nullable;

import org.springframework.messaging.Message;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;

/**
 * One {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} method ready to be called: its endpoint and
 * the {@link InvocableHandlerMethod} that resolves its arguments from a message.
 */
public final class HandlerAdapter {

	private final KcpHandlerEndpoint endpoint;

	private final InvocableHandlerMethod method;

	/**
	 * @param endpoint the handler's description
	 * @param method the invocable method created for it
	 */
	public HandlerAdapter(KcpHandlerEndpoint endpoint, InvocableHandlerMethod method) {
		this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
		this.method = Objects.requireNonNull(method, "method");
	}

	/** The handler's description. */
	public KcpHandlerEndpoint getEndpoint() {
		return this.endpoint;
	}

	/**
	 * Calls the method.
	 * @param message the message its arguments are resolved from
	 * @param providedArgs arguments passed by type (the session)
	 * @return what the method returned
	 * @throws Exception whatever argument resolution or the method threw
	 */
	public @Nullable Object invoke(Message<?> message, @Nullable Object... providedArgs) throws Exception {
		return this.method.invoke(message, providedArgs);
	}

	@Override
	public String toString() {
		return this.endpoint.toString();
	}

}
