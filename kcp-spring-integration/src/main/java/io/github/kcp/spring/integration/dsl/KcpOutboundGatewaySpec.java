package io.github.kcp.spring.integration.dsl;

import java.time.Duration;
import java.util.function.Function;

import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.outbound.KcpOutboundGateway;
import org.jspecify.annotations.Nullable;

import org.springframework.integration.dsl.MessageHandlerSpec;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;

/**
 * The spec of a {@link KcpOutboundGateway}; see {@link Kcp#outboundGateway(String, int)}.
 */
public class KcpOutboundGatewaySpec extends MessageHandlerSpec<KcpOutboundGatewaySpec, KcpOutboundGateway>
		implements KcpSettingsSpec<KcpOutboundGatewaySpec> {

	/**
	 * @param gateway the gateway
	 */
	protected KcpOutboundGatewaySpec(KcpOutboundGateway gateway) {
		this.target = gateway;
	}

	@Override
	public KcpEndpointSettings kcpSettings() {
		return this.target.getSettings();
	}

	/**
	 * Sets how long a request waits for its reply (the counterpart of {@code TcpOutboundGatewaySpec.remoteTimeout}).
	 * @param replyTimeout the timeout
	 * @return the spec
	 */
	public KcpOutboundGatewaySpec replyTimeout(Duration replyTimeout) {
		this.target.setReplyTimeout(replyTimeout);
		return this;
	}

	/**
	 * Sets the route of each request (messaging envelope); default the {@code kcp_route} header.
	 * @param route the route of a message
	 * @return the spec
	 */
	public KcpOutboundGatewaySpec route(Function<Message<?>, @Nullable String> route) {
		this.target.setRouteFunction(route);
		return this;
	}

	/**
	 * Sets one route for every request (messaging envelope).
	 * @param route the route
	 * @return the spec
	 */
	public KcpOutboundGatewaySpec route(String route) {
		this.target.setRouteFunction((message) -> route);
		return this;
	}

	/**
	 * Sets whether the gateway produces its reply asynchronously, leaving the calling thread free.
	 * @param async default false
	 * @return the spec
	 */
	public KcpOutboundGatewaySpec async(boolean async) {
		this.target.setAsync(async);
		return this;
	}

	/**
	 * Sets where messages the peer sends unasked go.
	 * @param channel the channel
	 * @return the spec
	 */
	public KcpOutboundGatewaySpec unsolicitedMessageChannel(MessageChannel channel) {
		this.target.setUnsolicitedMessageChannel(channel);
		return this;
	}

	/**
	 * Sets the lifecycle phase of the gateway.
	 * @param phase the phase
	 * @return the spec
	 */
	public KcpOutboundGatewaySpec phase(int phase) {
		this.target.setPhase(phase);
		return this;
	}

	/**
	 * Sets whether the gateway starts with the context.
	 * @param autoStartup default true
	 * @return the spec
	 */
	public KcpOutboundGatewaySpec autoStartup(boolean autoStartup) {
		this.target.setAutoStartup(autoStartup);
		return this;
	}

}
