package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpOperations;
import io.github.kcp.spring.core.KcpPushHandler;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.micrometer.KcpTemplateObservationConvention;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.MessageHandlerMethodFactory;

/**
 * Auto-configuration of the KCP client side: a {@link KcpTemplate} whose default target is
 * {@code kcp.client.host}:{@code kcp.client.port}, whose sessions use the protocol settings of {@code kcp.*}
 * overridden by {@code kcp.client.*} and the {@link PacketCipher} bean (or DTLS with the SSL bundle named by
 * {@code kcp.client.ssl.bundle}, else {@code kcp.ssl.bundle}), whose message format is
 * {@code kcp.client.message-format} (else {@code kcp.message-format}), and which hands pushed messages to the
 * client-side {@code @KcpHandler} methods, then to every {@link KcpPushHandler} bean. With
 * {@code spring.threads.virtual.enabled} on a JVM that has virtual threads, its futures, push handlers and events run
 * on virtual threads. {@link KcpTemplateCustomizer} beans are applied last. The {@link KcpTemplateConfigurer} that
 * does all this is a bean too, for templates of the application's own.
 * <p>
 * Backs off when the application defines its own {@link KcpOperations} bean.
 */
@AutoConfiguration(after = KcpAutoConfiguration.class)
@EnableConfigurationProperties(KcpProperties.class)
public final class KcpTemplateAutoConfiguration {

	/**
	 * Applies {@code kcp.*} to templates, the auto-configured one and any the application defines.
	 * @param properties the KCP properties
	 * @param packetCipher the packet cipher bean; without one, the cipher {@code kcp.crypto.*} describes
	 * @param pushHandlers the handlers of pushed messages
	 * @param handlerRegistry the {@code @KcpHandler} methods, for the client-side ones
	 * @param handlerMethodFactory resolves their arguments
	 * @param customizers the template customizers
	 * @param observationRegistry the observation registry, if any (used with
	 * {@code kcp.client.observation-enabled=true})
	 * @param observationConvention the application's template observation convention, if unique
	 * @param sslBundles Boot's SSL bundles, for DTLS with {@code kcp.ssl.bundle}
	 * @param environment the environment, for {@code spring.threads.virtual.enabled}
	 * @return the configurer
	 */
	@Bean
	@ConditionalOnMissingBean
	KcpTemplateConfigurer kcpTemplateConfigurer(KcpProperties properties, ObjectProvider<PacketCipher> packetCipher,
			ObjectProvider<KcpPushHandler> pushHandlers, ObjectProvider<KcpHandlerRegistry> handlerRegistry,
			@Qualifier(KcpAutoConfiguration.MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME)
			ObjectProvider<MessageHandlerMethodFactory> handlerMethodFactory,
			ObjectProvider<KcpTemplateCustomizer> customizers, ObjectProvider<ObservationRegistry> observationRegistry,
			ObjectProvider<KcpTemplateObservationConvention> observationConvention,
			ObjectProvider<SslBundles> sslBundles, Environment environment) {
		PacketCipher cipher = packetCipher.getIfAvailable(() -> PacketCipherFactory.create(properties.getCrypto()));
		KcpTemplateConfigurer configurer = new KcpTemplateConfigurer(properties, cipher,
				pushHandlers.orderedStream().toList(), handlerRegistry.getIfUnique(),
				handlerMethodFactory.getIfAvailable(), customizers.orderedStream().toList(), environment);
		configurer.setObservation(observationRegistry.getIfUnique(), observationConvention.getIfUnique());
		configurer.setSslBundles(sslBundles.getIfAvailable());
		return configurer;
	}

	/**
	 * The template.
	 * @param configurer applies the properties
	 * @param messageConverter the {@code kcpMessageConverter} bean; without one, a default KCP converter
	 * @return the template, closed with the context
	 */
	@Bean
	@ConditionalOnMissingBean(KcpOperations.class)
	KcpTemplate kcpTemplate(KcpTemplateConfigurer configurer,
			@Qualifier(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME)
			ObjectProvider<MessageConverter> messageConverter) {
		KcpTemplate template = new KcpTemplate(configurer.clientConfig(),
				messageConverter.getIfAvailable(KcpMessageConverters::create));
		configurer.configure(template);
		return template;
	}

}
