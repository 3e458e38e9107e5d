package io.github.kcp.spring.boot.autoconfigure.integration;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpConfigMapper;
import io.github.kcp.spring.boot.autoconfigure.KcpProperties;
import io.github.kcp.spring.boot.autoconfigure.StreamFramingFactory;
import io.github.kcp.spring.integration.KcpIntegrationDefaults;
import io.github.kcp.spring.support.KcpMessageFormat;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.messaging.converter.MessageConverter;

/**
 * Spring Integration over KCP with Spring Boot: the {@link KcpIntegrationDefaults} the {@code Kcp} DSL's endpoints
 * fall back on, made from the {@code kcp.*} properties &mdash; the server side's protocol settings
 * ({@code kcp.*} overridden by {@code kcp.server.*}) for inbound endpoints, the client side's for outbound ones, the
 * packet cipher of {@code kcp.crypto.*}, the message formats, {@code kcp.stream-framing.*}, the client's reply
 * timeout, the server's shutdown timeout and the {@code kcpMessageConverter}. Only when kcp-spring-integration is on
 * the class path; replace the bean to choose otherwise.
 */
@AutoConfiguration(after = KcpAutoConfiguration.class)
@ConditionalOnClass(KcpIntegrationDefaults.class)
public final class KcpIntegrationAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	KcpIntegrationDefaults kcpIntegrationDefaults(KcpProperties properties, PacketCipher cipher,
			@Qualifier(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME) MessageConverter messageConverter) {
		KcpConfigMapper mapper = new KcpConfigMapper(properties);
		return new KcpIntegrationDefaults(mapper.serverConfig(cipher), mapper.clientConfig(cipher),
				(cipher != PacketCipher.NONE) ? cipher : null,
				side(properties.getServer().getMessageFormat(), properties),
				side(properties.getClient().getMessageFormat(), properties), StreamFramingFactory.framing(properties),
				properties.getClient().getReplyTimeout(), properties.getServer().getShutdownTimeout(),
				messageConverter);
	}

	private static KcpMessageFormat side(KcpMessageFormat override, KcpProperties properties) {
		return (override != null) ? override : properties.getMessageFormat();
	}

}
