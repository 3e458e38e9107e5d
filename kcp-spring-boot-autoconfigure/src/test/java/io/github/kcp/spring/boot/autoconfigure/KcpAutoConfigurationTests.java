package io.github.kcp.spring.boot.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.github.kcp.core.crypto.AesGcmCipher;
import io.github.kcp.core.crypto.PacketCipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.converter.StringMessageConverter;
import org.springframework.messaging.support.MessageBuilder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link KcpAutoConfiguration}.
 */
@Timeout(30)
class KcpAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(KcpAutoConfiguration.class));

	@Test
	void messageConverterUsesBootsJsonMapper() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class))
			.withPropertyValues("spring.jackson.property-naming-strategy=SNAKE_CASE")
			.run((context) -> {
				assertThat(context).hasBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME);
				MessageConverter converter = context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME,
						MessageConverter.class);
				byte[] json = (byte[]) converter.toMessage(new Sample("x", 2), null).getPayload();
				// Boot's mapper is the one configured by spring.jackson.*: the naming strategy shows it
				assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"first_name\":\"x\"");
			});
	}

	@Test
	void messageConverterWithoutBootsJsonMapperStillReadsJson() {
		this.contextRunner.run((context) -> {
			MessageConverter converter = context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME,
					MessageConverter.class);
			Object read = converter.fromMessage(
					MessageBuilder.withPayload("{\"firstName\":\"y\",\"count\":3}".getBytes(StandardCharsets.UTF_8))
						.build(),
					Sample.class);
			assertThat(read).isEqualTo(new Sample("y", 3));
		});
	}

	@Test
	void userMessageConverterWins() {
		this.contextRunner.withUserConfiguration(UserConverterConfiguration.class).run((context) -> {
			assertThat(context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME))
				.isInstanceOf(StringMessageConverter.class);
		});
	}

	@Test
	void packetCipherIsNoneByDefault() {
		this.contextRunner.run((context) -> assertThat(context.getBean(PacketCipher.class)).isSameAs(PacketCipher.NONE));
	}

	@Test
	void packetCipherFromCryptoProperties() {
		this.contextRunner
			.withPropertyValues("kcp.crypto.mode=aes-gcm", "kcp.crypto.key=secret", "kcp.crypto.salt=hex:0011")
			.run((context) -> assertThat(context.getBean(PacketCipher.class)).isInstanceOf(AesGcmCipher.class));
	}

	@Test
	void userPacketCipherWins() {
		PacketCipher mine = PacketCipher.NONE;
		this.contextRunner.withBean("myCipher", PacketCipher.class, () -> mine)
			.withPropertyValues("kcp.crypto.mode=aes-gcm", "kcp.crypto.key=secret", "kcp.crypto.salt=salt")
			.run((context) -> {
				assertThat(context).hasSingleBean(PacketCipher.class);
				assertThat(context).hasBean("myCipher");
			});
	}

	@Test
	void cryptoModeWithoutKeyFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("kcp.crypto.mode=aes-cbc-hmac").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("kcp.crypto.key");
		});
	}

	record Sample(String firstName, int count) {
	}

	@Configuration(proxyBeanMethods = false)
	static class UserConverterConfiguration {

		@Bean
		MessageConverter kcpMessageConverter() {
			return new StringMessageConverter();
		}

	}

}
