package io.github.kcp.spring.boot.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpPushHandler;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpTargets;
import io.github.kcp.spring.support.micrometer.KcpTemplateObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.thread.Threading;
import org.springframework.core.env.Environment;
import org.springframework.core.task.VirtualThreadTaskExecutor;
import org.springframework.messaging.handler.annotation.support.MessageHandlerMethodFactory;
import org.springframework.util.StringUtils;

/**
 * Applies the {@code kcp.*} and {@code kcp.client.*} properties to a {@link KcpTemplate}, registers the
 * {@link KcpPushHandler} beans and the client-side {@code @KcpHandler} methods, then applies the
 * {@link KcpTemplateCustomizer} beans: what the auto-configured template gets, for templates an application defines
 * itself (for another server, for example).
 *
 * <pre class="code">
 * &#64;Bean
 * KcpTemplate pricingTemplate(KcpTemplateConfigurer configurer, MessageConverter kcpMessageConverter) {
 *     KcpTemplate template = new KcpTemplate(configurer.clientConfig(), kcpMessageConverter);
 *     configurer.configure(template);
 *     template.setDefaultTarget("pricing.internal", 9700);
 *     return template;
 * }
 * </pre>
 */
public class KcpTemplateConfigurer {

	/** The port of the default target when neither {@code kcp.client.port} nor a local server says otherwise. */
	static final int DEFAULT_PORT = 9700;

	private final KcpProperties properties;

	private final PacketCipher cipher;

	private final List<KcpPushHandler> pushHandlers;

	private final @Nullable KcpHandlerRegistry handlerRegistry;

	private final @Nullable MessageHandlerMethodFactory handlerMethodFactory;

	private final List<KcpTemplateCustomizer> customizers;

	private final Environment environment;

	private @Nullable ObservationRegistry observationRegistry;

	private @Nullable KcpTemplateObservationConvention observationConvention;

	private @Nullable SslBundles sslBundles;

	/**
	 * @param properties the KCP properties
	 * @param cipher the packet cipher of every session
	 * @param pushHandlers handlers of pushes no client-side {@code @KcpHandler} takes, in order
	 * @param handlerRegistry the {@code @KcpHandler} methods (for the client-side ones), or {@code null}
	 * @param handlerMethodFactory resolves their arguments, or {@code null}
	 * @param customizers applied last, in order
	 * @param environment for {@code spring.threads.virtual.enabled}
	 */
	public KcpTemplateConfigurer(KcpProperties properties, PacketCipher cipher, List<KcpPushHandler> pushHandlers,
			@Nullable KcpHandlerRegistry handlerRegistry, @Nullable MessageHandlerMethodFactory handlerMethodFactory,
			List<KcpTemplateCustomizer> customizers, Environment environment) {
		this.properties = Objects.requireNonNull(properties, "properties");
		this.cipher = Objects.requireNonNull(cipher, "cipher");
		this.pushHandlers = List.copyOf(pushHandlers);
		this.handlerRegistry = handlerRegistry;
		this.handlerMethodFactory = handlerMethodFactory;
		this.customizers = List.copyOf(customizers);
		this.environment = Objects.requireNonNull(environment, "environment");
	}

	/**
	 * The configuration of the template's sessions: {@code kcp.*} overridden by {@code kcp.client.*}, its mtu
	 * checked against the packet cipher's overhead (the cipher itself is set on the template by
	 * {@link #configure}).
	 * @return the configuration
	 * @throws InvalidConfigurationPropertyValueException naming the property of the first invalid value
	 */
	public KcpConfig clientConfig() {
		return new KcpConfigMapper(this.properties).clientConfig(this.cipher);
	}

	/**
	 * Sets what observes template calls when {@code kcp.client.observation-enabled} is true.
	 * @param observationRegistry the application's registry, or {@code null} for none
	 * @param observationConvention the application's convention, or {@code null} for the default
	 */
	public void setObservation(@Nullable ObservationRegistry observationRegistry,
			@Nullable KcpTemplateObservationConvention observationConvention) {
		this.observationRegistry = observationRegistry;
		this.observationConvention = observationConvention;
	}

	/**
	 * Sets where the SSL bundle named by {@code kcp.client.ssl.bundle} (else {@code kcp.ssl.bundle}) comes from.
	 * @param sslBundles Boot's SSL bundles, or {@code null} for none (then no bundle can be named)
	 */
	public void setSslBundles(@Nullable SslBundles sslBundles) {
		this.sslBundles = sslBundles;
	}

	/**
	 * Applies the packet cipher (or DTLS with the SSL bundle of the client side, kept current for new sessions
	 * when the bundle is reloaded), the properties, the push handlers, the client-side handler methods and the
	 * customizers.
	 * @param template the template to configure
	 * @throws InvalidConfigurationPropertyValueException naming the property of the first invalid value
	 */
	public void configure(KcpTemplate template) {
		template.setPacketCipher(this.cipher);
		DtlsSettingsFactory dtlsFactory = new DtlsSettingsFactory(this.properties, this.sslBundles);
		int mtu = template.getConfig().mtu();
		DtlsSettings dtls = dtlsFactory.create(DtlsSettingsFactory.Side.CLIENT, mtu, this.cipher);
		template.setDtlsSettings(dtls);
		if (dtls != null) {
			dtlsFactory.onReload(DtlsSettingsFactory.Side.CLIENT, mtu, dtls, template::getDtlsSettings,
					template::setDtlsSettings, template);
		}
		KcpProperties.Client client = this.properties.getClient();
		if (!StringUtils.hasText(client.getHost())) {
			throw new InvalidConfigurationPropertyValueException("kcp.client.host", client.getHost(),
					"A host name or address is required");
		}
		Integer port = client.getPort();
		if (port != null && (port < 1 || port > 65535)) {
			throw new InvalidConfigurationPropertyValueException("kcp.client.port", port,
					"A UDP port 1..65535 is required");
		}
		if (port != null) {
			template.setDefaultTarget(client.getHost(), port);
		}
		else {
			// Resolved at each call: this application's own server may bind its port (port 0) after this runs.
			String host = client.getHost();
			template.setDefaultTarget(() -> KcpTargets.resolve(host, this.environment
				.getProperty(KcpServerPortPublisher.LOCAL_PORT_PROPERTY, Integer.class, DEFAULT_PORT)));
		}
		template.setReplyTimeout(positive("kcp.client.reply-timeout", client.getReplyTimeout()));
		template.setMessageFormat(messageFormat());
		template.setStreamFraming(StreamFramingFactory.framing(this.properties, template.getConfig()));
		if (Threading.VIRTUAL.isActive(this.environment)) {
			template.setCallbackExecutor(new VirtualThreadTaskExecutor("kcp-template-"));
		}
		if (client.isObservationEnabled() && this.observationRegistry != null) {
			template.setObservationRegistry(this.observationRegistry);
			template.setObservationConvention(this.observationConvention);
		}
		this.pushHandlers.forEach(template::addPushHandler);
		if (this.handlerRegistry != null && this.handlerMethodFactory != null) {
			template.setHandlerMethods(this.handlerRegistry, this.handlerMethodFactory);
		}
		this.customizers.forEach((customizer) -> customizer.customize(template));
	}

	private static Duration positive(String property, @Nullable Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw new InvalidConfigurationPropertyValueException(property, value, "Expected a positive duration");
		}
		return value;
	}

	/** The message format of the client side: {@code kcp.client.message-format}, else {@code kcp.message-format}. */
	KcpMessageFormat messageFormat() {
		KcpMessageFormat override = this.properties.getClient().getMessageFormat();
		return (override != null) ? override : this.properties.getMessageFormat();
	}

}
