package io.github.kcp.spring.integration.dsl;

import java.util.function.Supplier;

import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.integration.outbound.KcpOutboundGateway;
import io.github.kcp.spring.integration.outbound.KcpSendingMessageHandler;
import io.github.kcp.spring.listener.KcpServerContainer;

/**
 * The Java DSL factory of the KCP endpoints, in the style of spring-integration-ip's {@code Tcp} and {@code Udp}.
 *
 * <pre class="code">
 * KcpInboundChannelAdapterSpec readings = Kcp.inboundAdapter(9700).interval(Duration.ofMillis(10));
 *
 * &#64;Bean
 * IntegrationFlow telemetry() {
 *     return IntegrationFlow.from(readings)
 *         .transform(Transformers.objectToString())
 *         .handle(Kcp.outboundAdapter(readings));           // back to the session each message came from
 * }
 *
 * &#64;Bean
 * IntegrationFlow quotes() {
 *     return IntegrationFlow.from(Kcp.inboundGateway(9701).messageFormat(KcpMessageFormat.ENVELOPE))
 *         .handle(quoteService, "quote")                     // the return value is the reply
 *         .get();
 * }
 *
 * &#64;Bean
 * IntegrationFlow upstream() {
 *     return (flow) -&gt; flow.handle(Kcp.outboundGateway("pricing.internal", 9700).framing(TcpCodecs.crlf()));
 * }
 * </pre>
 *
 * Each spec takes the KCP settings of {@link KcpSettingsSpec}; what it leaves out comes from the
 * {@link io.github.kcp.spring.integration.KcpIntegrationDefaults} bean (with Spring Boot: the {@code kcp.*}
 * properties), else the core's defaults.
 */
public final class Kcp {

	private Kcp() {
	}

	/**
	 * An inbound channel adapter with a KCP server of its own.
	 * @param port the UDP port; 0 picks a free one
	 * @return the spec
	 */
	public static KcpInboundChannelAdapterSpec inboundAdapter(int port) {
		return new KcpInboundChannelAdapterSpec(port);
	}

	/**
	 * An inbound channel adapter on a server set up elsewhere (for example the starter's {@code kcpServerContainer},
	 * configured by {@code kcp.server.*}).
	 * @param server the server
	 * @return the spec
	 */
	public static KcpInboundChannelAdapterSpec inboundAdapter(KcpServerContainer server) {
		return new KcpInboundChannelAdapterSpec(server);
	}

	/**
	 * An inbound gateway with a KCP server of its own: request/reply to the sending session.
	 * @param port the UDP port; 0 picks a free one
	 * @return the spec
	 */
	public static KcpInboundGatewaySpec inboundGateway(int port) {
		return new KcpInboundGatewaySpec(port);
	}

	/**
	 * An inbound gateway on a server set up elsewhere.
	 * @param server the server
	 * @return the spec
	 */
	public static KcpInboundGatewaySpec inboundGateway(KcpServerContainer server) {
		return new KcpInboundGatewaySpec(server);
	}

	/**
	 * An outbound channel adapter to a KCP peer, with a template of its own.
	 * @param host the peer's host
	 * @param port the peer's UDP port
	 * @return the spec
	 */
	public static KcpOutboundChannelAdapterSpec outboundAdapter(String host, int port) {
		return new KcpOutboundChannelAdapterSpec(new KcpSendingMessageHandler(host, port));
	}

	/**
	 * An outbound channel adapter to a KCP peer through a template set up elsewhere.
	 * @param template the template
	 * @param host the peer's host
	 * @param port the peer's UDP port
	 * @return the spec
	 */
	public static KcpOutboundChannelAdapterSpec outboundAdapter(KcpTemplate template, String host, int port) {
		return new KcpOutboundChannelAdapterSpec(new KcpSendingMessageHandler(host, port, template));
	}

	/**
	 * An outbound channel adapter answering the sessions of a server: each message goes to the session its
	 * {@code kcp_sessionId} header names (with the envelope as the reply to its request, or as a push).
	 * @param server the server
	 * @return the spec
	 */
	public static KcpOutboundChannelAdapterSpec outboundAdapter(KcpServerContainer server) {
		return new KcpOutboundChannelAdapterSpec(new KcpSendingMessageHandler(server));
	}

	/**
	 * An outbound channel adapter answering the sessions of an inbound adapter's own server.
	 * @param inbound the inbound adapter's spec
	 * @return the spec
	 */
	public static KcpOutboundChannelAdapterSpec outboundAdapter(KcpInboundChannelAdapterSpec inbound) {
		Supplier<KcpServerContainer> server = () -> inbound.getObject().getServer();
		return new KcpOutboundChannelAdapterSpec(new KcpSendingMessageHandler(server));
	}

	/**
	 * An outbound gateway to a KCP peer, with a template of its own.
	 * @param host the peer's host
	 * @param port the peer's UDP port
	 * @return the spec
	 */
	public static KcpOutboundGatewaySpec outboundGateway(String host, int port) {
		return new KcpOutboundGatewaySpec(new KcpOutboundGateway(host, port));
	}

	/**
	 * An outbound gateway to a KCP peer through a template set up elsewhere.
	 * @param template the template
	 * @param host the peer's host
	 * @param port the peer's UDP port
	 * @return the spec
	 */
	public static KcpOutboundGatewaySpec outboundGateway(KcpTemplate template, String host, int port) {
		return new KcpOutboundGatewaySpec(new KcpOutboundGateway(host, port, template));
	}

}
