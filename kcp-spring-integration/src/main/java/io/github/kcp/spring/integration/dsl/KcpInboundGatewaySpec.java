package io.github.kcp.spring.integration.dsl;

import java.time.Duration;

import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.inbound.KcpInboundGateway;
import io.github.kcp.spring.listener.KcpServerContainer;

import org.springframework.integration.dsl.MessagingGatewaySpec;

/**
 * The spec of a {@link KcpInboundGateway}; see {@link Kcp#inboundGateway(int)}.
 */
public class KcpInboundGatewaySpec extends MessagingGatewaySpec<KcpInboundGatewaySpec, KcpInboundGateway>
		implements KcpSettingsSpec<KcpInboundGatewaySpec> {

	/**
	 * @param port the UDP port of the gateway's own server; 0 picks a free one
	 */
	protected KcpInboundGatewaySpec(int port) {
		super(new KcpInboundGateway(port));
	}

	/**
	 * @param container a server set up elsewhere
	 */
	protected KcpInboundGatewaySpec(KcpServerContainer container) {
		super(new KcpInboundGateway(container));
	}

	@Override
	public KcpEndpointSettings kcpSettings() {
		return this.target.getSettings();
	}

	/**
	 * Sets how long the flow may take to answer; a request without an answer by then gets none (raw) or an error
	 * frame (envelope).
	 * @param replyTimeout the timeout
	 * @return the spec
	 */
	public KcpInboundGatewaySpec replyTimeout(Duration replyTimeout) {
		return replyTimeout(replyTimeout.toMillis());
	}

	/**
	 * Sets the local address the gateway's own server binds.
	 * @param localAddress a host name or address
	 * @return the spec
	 */
	public KcpInboundGatewaySpec localAddress(String localAddress) {
		this.target.setLocalAddress(localAddress);
		return this;
	}

	/**
	 * Sets how long the graceful stop may take.
	 * @param shutdownTimeout the timeout
	 * @return the spec
	 */
	public KcpInboundGatewaySpec shutdownTimeout(Duration shutdownTimeout) {
		this.target.setShutdownTimeout(shutdownTimeout);
		return this;
	}

}
