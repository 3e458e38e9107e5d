package io.github.kcp.spring.integration.dsl;

import java.time.Duration;
import java.util.function.Function;

import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.outbound.KcpSendingMessageHandler;
import org.jspecify.annotations.Nullable;

import org.springframework.integration.dsl.MessageHandlerSpec;
import org.springframework.messaging.Message;

/**
 * The spec of a {@link KcpSendingMessageHandler}; see {@link Kcp#outboundAdapter(String, int)}. The KCP settings
 * apply to an adapter with a template of its own; an adapter answering the sessions of a server uses that server's.
 */
public class KcpOutboundChannelAdapterSpec
		extends MessageHandlerSpec<KcpOutboundChannelAdapterSpec, KcpSendingMessageHandler>
		implements KcpSettingsSpec<KcpOutboundChannelAdapterSpec> {

	/**
	 * @param handler the adapter
	 */
	protected KcpOutboundChannelAdapterSpec(KcpSendingMessageHandler handler) {
		this.target = handler;
	}

	@Override
	public KcpEndpointSettings kcpSettings() {
		return this.target.getSettings();
	}

	/**
	 * Sets the route of each message (messaging envelope); default the {@code kcp_route} header.
	 * @param route the route of a message
	 * @return the spec
	 */
	public KcpOutboundChannelAdapterSpec route(Function<Message<?>, @Nullable String> route) {
		this.target.setRouteFunction(route);
		return this;
	}

	/**
	 * Sets one route for every message (messaging envelope).
	 * @param route the route
	 * @return the spec
	 */
	public KcpOutboundChannelAdapterSpec route(String route) {
		this.target.setRouteFunction((message) -> route);
		return this;
	}

	/**
	 * Sets whether a send waits until the peer acknowledged the message.
	 * @param waitForAcknowledgement default false (until it is queued)
	 * @return the spec
	 */
	public KcpOutboundChannelAdapterSpec waitForAcknowledgement(boolean waitForAcknowledgement) {
		this.target.setWaitForAcknowledgement(waitForAcknowledgement);
		return this;
	}

	/**
	 * Sets how long a send waits for the acknowledgement.
	 * @param timeout default 10 s
	 * @return the spec
	 */
	public KcpOutboundChannelAdapterSpec acknowledgementTimeout(Duration timeout) {
		this.target.setAcknowledgementTimeout(timeout);
		return this;
	}

	/**
	 * Sets the lifecycle phase of the adapter.
	 * @param phase the phase
	 * @return the spec
	 */
	public KcpOutboundChannelAdapterSpec phase(int phase) {
		this.target.setPhase(phase);
		return this;
	}

	/**
	 * Sets whether the adapter starts with the context.
	 * @param autoStartup default true
	 * @return the spec
	 */
	public KcpOutboundChannelAdapterSpec autoStartup(boolean autoStartup) {
		this.target.setAutoStartup(autoStartup);
		return this;
	}

}
