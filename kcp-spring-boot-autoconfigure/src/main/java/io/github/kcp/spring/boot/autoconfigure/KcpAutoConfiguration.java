package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.support.KcpMessageConverters;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.converter.MessageConverter;

/**
 * Auto-configuration of KCP: the payload converter and packet cipher shared by the server and the client side.
 *
 * @see KcpProperties
 */
@AutoConfiguration(afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@EnableConfigurationProperties(KcpProperties.class)
public final class KcpAutoConfiguration {

	/** Name of the {@link MessageConverter} bean that turns KCP payloads into Java objects and back. */
	public static final String MESSAGE_CONVERTER_BEAN_NAME = "kcpMessageConverter";

	/**
	 * The packet cipher of every session, from {@code kcp.crypto.*}; {@link PacketCipher#NONE} when the mode is
	 * none. Derived once (PBKDF2 is deliberately slow) and shared by the server and the client side.
	 * @param properties the KCP properties
	 * @return the cipher
	 */
	@Bean
	@ConditionalOnMissingBean
	PacketCipher kcpPacketCipher(KcpProperties properties) {
		return PacketCipherFactory.create(properties.getCrypto());
	}

	/** The payload converter with JSON through Boot's {@code JsonMapper} (or a default one). */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(JsonMapper.class)
	static class JsonMessageConverterConfiguration {

		@Bean(MESSAGE_CONVERTER_BEAN_NAME)
		@ConditionalOnMissingBean(name = MESSAGE_CONVERTER_BEAN_NAME)
		MessageConverter kcpMessageConverter(ObjectProvider<JsonMapper> jsonMapper) {
			return KcpMessageConverters.create(jsonMapper.getIfAvailable(() -> JsonMapper.builder().build()));
		}

	}

	/** The payload converter without JSON, when Jackson 3 is absent. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingClass("tools.jackson.databind.json.JsonMapper")
	static class PlainMessageConverterConfiguration {

		@Bean(MESSAGE_CONVERTER_BEAN_NAME)
		@ConditionalOnMissingBean(name = MESSAGE_CONVERTER_BEAN_NAME)
		MessageConverter kcpMessageConverter() {
			return KcpMessageConverters.create();
		}

	}

}
