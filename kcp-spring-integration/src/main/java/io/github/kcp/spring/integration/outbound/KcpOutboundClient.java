package io.github.kcp.spring.integration.outbound;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.KcpIntegrationDefaults;
import io.github.kcp.spring.support.KcpTargets;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.messaging.Message;

/**
 * The client side of an outbound endpoint: a {@link KcpTemplate} given to the endpoint, or one the endpoint builds
 * from its settings and the {@link KcpIntegrationDefaults} when it starts and destroys when it stops (closing its
 * sessions gracefully), and where each message goes.
 */
final class KcpOutboundClient {

	private final @Nullable KcpTemplate given;

	private final Function<Message<?>, InetSocketAddress> target;

	private final String description;

	private final KcpEndpointSettings settings = new KcpEndpointSettings();

	private @Nullable Duration replyTimeout;

	private @Nullable BeanFactory beanFactory;

	private @Nullable ApplicationEventPublisher publisher;

	private volatile @Nullable KcpTemplate template;

	private volatile @Nullable KcpIntegrationDefaults defaults;

	KcpOutboundClient(String host, int port, @Nullable KcpTemplate template) {
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException("port must be 1..65535 but was " + port);
		}
		Objects.requireNonNull(host, "host");
		this.given = template;
		this.target = (message) -> KcpTargets.resolve(host, port);
		this.description = host + ":" + port;
	}

	KcpOutboundClient(Function<Message<?>, InetSocketAddress> target, @Nullable KcpTemplate template) {
		this.given = template;
		this.target = Objects.requireNonNull(target, "target");
		this.description = "a target per message";
	}

	KcpEndpointSettings settings() {
		return this.settings;
	}

	void setReplyTimeout(Duration replyTimeout) {
		this.replyTimeout = replyTimeout;
	}

	void initialize(@Nullable BeanFactory beanFactory, @Nullable ApplicationEventPublisher publisher) {
		this.beanFactory = beanFactory;
		this.publisher = publisher;
		this.defaults = defaults(beanFactory);
	}

	static KcpIntegrationDefaults defaults(@Nullable BeanFactory beanFactory) {
		if (beanFactory == null) {
			return KcpIntegrationDefaults.standard();
		}
		return beanFactory.getBeanProvider(KcpIntegrationDefaults.class).getIfUnique(KcpIntegrationDefaults::standard);
	}

	/** The template in use: the one given, or the endpoint's own while it runs. */
	KcpTemplate template() {
		KcpTemplate current = (this.given != null) ? this.given : this.template;
		if (current == null) {
			throw new IllegalStateException("The KCP outbound endpoint to " + this.description + " is not running");
		}
		return current;
	}

	InetSocketAddress target(Message<?> message) {
		return this.target.apply(message);
	}

	/** How long a request waits for its reply. */
	Duration replyTimeout() {
		if (this.replyTimeout != null) {
			return this.replyTimeout;
		}
		return (this.given != null) ? this.given.getReplyTimeout() : defaults().replyTimeout();
	}

	private KcpIntegrationDefaults defaults() {
		KcpIntegrationDefaults current = this.defaults;
		return (current != null) ? current : defaults(this.beanFactory);
	}

	/** Builds the endpoint's own template (unless one was given). */
	synchronized void start() {
		if (this.given != null || this.template != null) {
			return;
		}
		KcpIntegrationDefaults current = defaults();
		KcpConfig config = this.settings.resolveConfig(current.clientConfig());
		KcpTemplate created = new KcpTemplate(config, current.messageConverter());
		created.setMessageFormat(this.settings.resolveMessageFormat(current.clientMessageFormat()));
		created.setPacketCipher(this.settings.resolvePacketCipher(current));
		created.setDtlsSettings(this.settings.resolveDtls(current.clientDtls()));
		created.setStreamFraming(this.settings.resolveStreamFraming(config, current));
		created.setReplyTimeout(replyTimeout());
		if (this.publisher != null) {
			created.setApplicationEventPublisher(this.publisher);
		}
		this.template = created;
	}

	/** Closes the endpoint's own template's sessions gracefully (a given template is left alone). */
	synchronized void stop() {
		KcpTemplate current = this.template;
		this.template = null;
		if (current != null) {
			current.destroy();
		}
	}

	boolean ownsTemplate() {
		return this.given == null;
	}

	@Override
	public String toString() {
		return "KCP client to " + this.description;
	}

}
