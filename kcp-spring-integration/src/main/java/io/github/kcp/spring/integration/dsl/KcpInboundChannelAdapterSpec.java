package io.github.kcp.spring.integration.dsl;

import java.time.Duration;

import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.inbound.KcpReceivingChannelAdapter;
import io.github.kcp.spring.listener.KcpServerContainer;

import org.springframework.integration.dsl.MessageProducerSpec;

/**
 * The spec of a {@link KcpReceivingChannelAdapter}; see {@link Kcp#inboundAdapter(int)}.
 */
public class KcpInboundChannelAdapterSpec
		extends MessageProducerSpec<KcpInboundChannelAdapterSpec, KcpReceivingChannelAdapter>
		implements KcpSettingsSpec<KcpInboundChannelAdapterSpec> {

	/**
	 * @param port the UDP port of the adapter's own server; 0 picks a free one
	 */
	protected KcpInboundChannelAdapterSpec(int port) {
		super(new KcpReceivingChannelAdapter(port));
	}

	/**
	 * @param container a server set up elsewhere
	 */
	protected KcpInboundChannelAdapterSpec(KcpServerContainer container) {
		super(new KcpReceivingChannelAdapter(container));
	}

	@Override
	public KcpEndpointSettings kcpSettings() {
		return this.target.getSettings();
	}

	/**
	 * Sets the local address the adapter's own server binds.
	 * @param localAddress a host name or address
	 * @return the spec
	 */
	public KcpInboundChannelAdapterSpec localAddress(String localAddress) {
		this.target.setLocalAddress(localAddress);
		return this;
	}

	/**
	 * Sets how long the graceful stop may take.
	 * @param shutdownTimeout the timeout
	 * @return the spec
	 */
	public KcpInboundChannelAdapterSpec shutdownTimeout(Duration shutdownTimeout) {
		this.target.setShutdownTimeout(shutdownTimeout);
		return this;
	}

}
