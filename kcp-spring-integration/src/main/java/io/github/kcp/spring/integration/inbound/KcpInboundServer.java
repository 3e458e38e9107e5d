package io.github.kcp.spring.integration.inbound;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.KcpIntegrationDefaults;
import io.github.kcp.spring.integration.KcpMessageMapper;
import io.github.kcp.spring.listener.KcpMessageListener;
import io.github.kcp.spring.listener.KcpServerContainer;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.ApplicationEventPublisher;

/**
 * The KCP server behind an inbound endpoint: a {@link KcpServerContainer} the endpoint was given (and may share
 * with an outbound adapter that answers its sessions), or one it builds from its settings and the
 * {@link KcpIntegrationDefaults} and owns. Either way the endpoint's listener receives every message, and the
 * endpoint's lifecycle starts and stops the container (its graceful stop: every message the server acknowledged is
 * handed to the flow before the sessions close).
 */
final class KcpInboundServer {

	private final @Nullable KcpServerContainer given;

	private final int port;

	private final KcpEndpointSettings settings = new KcpEndpointSettings();

	private @Nullable String localAddress;

	private @Nullable Duration shutdownTimeout;

	private @Nullable KcpServerContainer container;

	private @Nullable KcpMessageMapper mapper;

	KcpInboundServer(KcpServerContainer container) {
		this.given = Objects.requireNonNull(container, "container");
		this.port = -1;
	}

	KcpInboundServer(int port) {
		if (port < 0 || port > 65535) {
			throw new IllegalArgumentException("port must be 0..65535 (0 picks a free one) but was " + port);
		}
		this.given = null;
		this.port = port;
	}

	KcpEndpointSettings settings() {
		return this.settings;
	}

	void setLocalAddress(@Nullable String localAddress) {
		this.localAddress = localAddress;
	}

	void setShutdownTimeout(Duration shutdownTimeout) {
		this.shutdownTimeout = shutdownTimeout;
	}

	/**
	 * Builds (or takes) the container and gives it the endpoint's listener.
	 * @throws IllegalStateException if the container already has another listener
	 */
	void initialize(@Nullable BeanFactory beanFactory, @Nullable ApplicationEventPublisher publisher,
			KcpMessageListener listener, @Nullable String endpoint) {
		KcpIntegrationDefaults defaults = defaults(beanFactory);
		KcpServerContainer server = this.given;
		if (server == null) {
			server = new KcpServerContainer(new KcpHandlerRegistry(), defaults.messageConverter());
			KcpConfig config = this.settings.resolveConfig(defaults.serverConfig());
			server.setConfig(config);
			server.setPacketCipher(this.settings.resolvePacketCipher(defaults));
			server.setDtlsSettings(this.settings.resolveDtls(defaults.serverDtls()));
			server.setMessageFormat(this.settings.resolveMessageFormat(defaults.serverMessageFormat()));
			server.setStreamFraming(this.settings.resolveStreamFraming(config, defaults));
			server.setBindAddress((this.localAddress != null) ? new InetSocketAddress(this.localAddress, this.port)
					: new InetSocketAddress(this.port));
			server.setShutdownTimeout((this.shutdownTimeout != null) ? this.shutdownTimeout : defaults.shutdownTimeout());
			if (endpoint != null) {
				server.setId(endpoint);
			}
			if (publisher != null) {
				server.setApplicationEventPublisher(publisher);
			}
		}
		else if (server.getMessageListener() != null || server.isRunning()) {
			throw new IllegalStateException("The KCP server " + server + " given to " + endpoint + " is already "
					+ "running with another listener: one inbound endpoint per server");
		}
		server.setMessageListener(listener);
		this.container = server;
		this.mapper = new KcpMessageMapper(server.getMessageFormat(), defaults.messageConverter());
	}

	static KcpIntegrationDefaults defaults(@Nullable BeanFactory beanFactory) {
		if (beanFactory == null) {
			return KcpIntegrationDefaults.standard();
		}
		return beanFactory.getBeanProvider(KcpIntegrationDefaults.class).getIfUnique(KcpIntegrationDefaults::standard);
	}

	KcpServerContainer container() {
		KcpServerContainer server = this.container;
		if (server == null) {
			throw new IllegalStateException("The KCP inbound endpoint is not initialized yet");
		}
		return server;
	}

	KcpMessageMapper mapper() {
		KcpMessageMapper current = this.mapper;
		if (current == null) {
			throw new IllegalStateException("The KCP inbound endpoint is not initialized yet");
		}
		return current;
	}

	/** The container, if the endpoint was given one or has built its own. */
	@Nullable KcpServerContainer containerIfAny() {
		return (this.container != null) ? this.container : this.given;
	}

	void start() {
		container().start();
	}

	/** Stops the container gracefully; {@code callback} runs once it has stopped. */
	void stop(Runnable callback) {
		KcpServerContainer server = this.container;
		if (server == null) {
			callback.run();
			return;
		}
		server.stop(callback);
	}

	/** Stops and waits for the stop (bounded by the container's shutdown timeout). */
	void stopAndWait() {
		CountDownLatch stopped = new CountDownLatch(1);
		stop(stopped::countDown);
		try {
			KcpServerContainer server = this.container;
			long wait = (server != null) ? server.getShutdownTimeout().toMillis() + 5000 : 0;
			stopped.await(wait, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** Releases the container's threads if the endpoint built it. */
	void destroy() {
		KcpServerContainer server = this.container;
		if (server != null && this.given == null) {
			server.destroy();
		}
	}

	/** The bound port, -1 when not listening. */
	int port() {
		KcpServerContainer server = this.container;
		return (server != null) ? server.getPort() : -1;
	}

	@Override
	public String toString() {
		KcpServerContainer server = containerIfAny();
		return (server != null) ? server.toString() : "KCP server on port " + this.port;
	}

}
