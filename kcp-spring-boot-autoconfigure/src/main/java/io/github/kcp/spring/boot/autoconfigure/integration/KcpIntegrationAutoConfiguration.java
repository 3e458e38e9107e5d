package io.github.kcp.spring.boot.autoconfigure.integration;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.boot.autoconfigure.DtlsSettingsFactory;
import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpConfigMapper;
import io.github.kcp.spring.boot.autoconfigure.KcpProperties;
import io.github.kcp.spring.boot.autoconfigure.StreamFramingFactory;
import io.github.kcp.spring.integration.KcpIntegrationDefaults;
import io.github.kcp.spring.support.KcpMessageFormat;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.messaging.converter.MessageConverter;

/**
 * Spring Integration over KCP with Spring Boot: the {@link KcpIntegrationDefaults} the {@code Kcp} DSL's endpoints
 * fall back on, made from the {@code kcp.*} properties &mdash; the server side's protocol settings
 * ({@code kcp.*} overridden by {@code kcp.server.*}) for inbound endpoints, the client side's for outbound ones, the
 * packet cipher of {@code kcp.crypto.*}, the message formats, {@code kcp.stream-framing.*}, the client's reply
 * timeout, the server's shutdown timeout, the {@code kcpMessageConverter}, and DTLS from {@code kcp.ssl.*} (the SSL
 * bundle as it is when the endpoints start: a later reload of the bundle does not reach them). Only when kcp-spring-integration is on
 * the class path; replace the bean to choose otherwise.
 */
@AutoConfiguration(after = KcpAutoConfiguration.class)
@ConditionalOnClass(KcpIntegrationDefaults.class)
public final class KcpIntegrationAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	KcpIntegrationDefaults kcpIntegrationDefaults(KcpProperties properties, PacketCipher cipher,
			@Qualifier(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME) MessageConverter messageConverter,
			ObjectProvider<SslBundles> sslBundles) {
		KcpConfigMapper mapper = new KcpConfigMapper(properties);
		KcpConfig serverConfig = mapper.serverConfig(cipher);
		KcpConfig clientConfig = mapper.clientConfig(cipher);
		// The endpoints build their servers and templates when they start: they get the bundle as it is now.
		DtlsSettingsFactory dtls = new DtlsSettingsFactory(properties, sslBundles.getIfAvailable());
		return new KcpIntegrationDefaults(serverConfig, clientConfig, (cipher != PacketCipher.NONE) ? cipher : null,
				side(properties.getServer().getMessageFormat(), properties),
				side(properties.getClient().getMessageFormat(), properties), StreamFramingFactory.framing(properties),
				properties.getClient().getReplyTimeout(), properties.getServer().getShutdownTimeout(),
				messageConverter, dtls.create(DtlsSettingsFactory.Side.SERVER, serverConfig.mtu(), cipher),
				dtls.create(DtlsSettingsFactory.Side.CLIENT, clientConfig.mtu(), cipher));
	}

	private static KcpMessageFormat side(KcpMessageFormat override, KcpProperties properties) {
		return (override != null) ? override : properties.getMessageFormat();
	}

}
