package io.github.kcp.spring.support.micrometer;

import java.net.InetSocketAddress;
import java.util.Objects;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.support.KcpHeaders;
import io.micrometer.observation.transport.ReceiverContext;
import org.jspecify.annotations.Nullable;

import org.springframework.messaging.Message;

/**
 * The context of the observation of one {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} invocation:
 * the received message (the carrier: trace context is read from its text headers, which the messaging envelope
 * carries), the session, the handler and the server. Raw KCP messages carry no headers, so their observations start
 * new traces.
 */
public class KcpHandlerObservationContext extends ReceiverContext<Message<byte[]>> {

	private final KcpSession session;

	private final KcpHandlerEndpoint handler;

	private final String serverName;

	/**
	 * @param message the message the handler is invoked with
	 * @param session the session it arrived on
	 * @param handler the handler
	 * @param serverName the name of the server ({@code default} for the default one)
	 */
	public KcpHandlerObservationContext(Message<byte[]> message, KcpSession session, KcpHandlerEndpoint handler,
			String serverName) {
		super((carrier, key) -> {
			Object value = carrier.getHeaders().get(key);
			return (value instanceof String text) ? text : null;
		});
		setCarrier(Objects.requireNonNull(message, "message"));
		this.session = Objects.requireNonNull(session, "session");
		this.handler = Objects.requireNonNull(handler, "handler");
		this.serverName = Objects.requireNonNull(serverName, "serverName");
		InetSocketAddress remote = session.remoteAddress();
		setRemoteServiceAddress(remote.getHostString() + ":" + remote.getPort());
	}

	/** The message the handler is invoked with. */
	public Message<byte[]> getMessage() {
		return Objects.requireNonNull(getCarrier());
	}

	/** The session the message arrived on. */
	public KcpSession getSession() {
		return this.session;
	}

	/** The handler. */
	public KcpHandlerEndpoint getHandler() {
		return this.handler;
	}

	/** The name of the server: its id, or {@code default}. */
	public String getServerName() {
		return this.serverName;
	}

	/** The route pattern of the handler that matched the message's route, or {@code null} without a route. */
	public @Nullable String getRoutePattern() {
		Object pattern = getMessage().getHeaders().get(KcpHeaders.ROUTE_PATTERN);
		return (pattern != null) ? pattern.toString() : null;
	}

	/** The correlation id of an envelope request, or {@code null} for other messages. */
	public @Nullable Integer getCorrelationId() {
		Object id = getMessage().getHeaders().get(KcpHeaders.CORRELATION_ID);
		return (id instanceof Integer value) ? value : null;
	}

}
