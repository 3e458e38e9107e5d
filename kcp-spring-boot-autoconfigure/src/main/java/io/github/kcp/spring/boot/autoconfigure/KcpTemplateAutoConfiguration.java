package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.core.KcpOperations;
import io.github.kcp.spring.core.KcpPushHandler;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpMessageConverters;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.thread.Threading;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.core.task.VirtualThreadTaskExecutor;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.util.StringUtils;

/**
 * Auto-configuration of the KCP client side: a {@link KcpTemplate} whose default target is
 * {@code kcp.client.host}:{@code kcp.client.port}, whose sessions use the protocol settings of {@code kcp.*}
 * overridden by {@code kcp.client.*} and the {@link PacketCipher} bean, and which hands pushed messages to every
 * {@link KcpPushHandler} bean. With {@code spring.threads.virtual.enabled} on a JVM that has virtual threads, its
 * futures, push handlers and events run on virtual threads. {@link KcpTemplateCustomizer} beans are applied last.
 * <p>
 * Backs off when the application defines its own {@link KcpOperations} bean.
 */
@AutoConfiguration(after = KcpAutoConfiguration.class)
@EnableConfigurationProperties(KcpProperties.class)
public final class KcpTemplateAutoConfiguration {

	/**
	 * The template.
	 * @param properties the KCP properties
	 * @param packetCipher the packet cipher bean; without one, the cipher {@code kcp.crypto.*} describes
	 * @param messageConverter the {@code kcpMessageConverter} bean; without one, a default KCP converter
	 * @param pushHandlers the handlers of pushed messages
	 * @param customizers the template customizers
	 * @param environment the environment, for {@code spring.threads.virtual.enabled}
	 * @return the template, closed with the context
	 */
	@Bean
	@ConditionalOnMissingBean(KcpOperations.class)
	KcpTemplate kcpTemplate(KcpProperties properties, ObjectProvider<PacketCipher> packetCipher,
			@Qualifier(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME) ObjectProvider<MessageConverter> messageConverter,
			ObjectProvider<KcpPushHandler> pushHandlers, ObjectProvider<KcpTemplateCustomizer> customizers,
			Environment environment) {
		PacketCipher cipher = packetCipher.getIfAvailable(() -> PacketCipherFactory.create(properties.getCrypto()));
		KcpConfig config = new KcpConfigMapper(properties).clientConfig(cipher);
		KcpTemplate template = new KcpTemplate(config,
				messageConverter.getIfAvailable(KcpMessageConverters::create));
		template.setPacketCipher(cipher);
		KcpProperties.Client client = properties.getClient();
		if (!StringUtils.hasText(client.getHost())) {
			throw new InvalidConfigurationPropertyValueException("kcp.client.host", client.getHost(),
					"A host name or address is required");
		}
		if (client.getPort() < 1 || client.getPort() > 65535) {
			throw new InvalidConfigurationPropertyValueException("kcp.client.port", client.getPort(),
					"A UDP port 1..65535 is required");
		}
		template.setDefaultTarget(client.getHost(), client.getPort());
		if (Threading.VIRTUAL.isActive(environment)) {
			template.setCallbackExecutor(new VirtualThreadTaskExecutor("kcp-template-"));
		}
		pushHandlers.orderedStream().forEach(template::addPushHandler);
		customizers.orderedStream().forEach((customizer) -> customizer.customize(template));
		return template;
	}

}
