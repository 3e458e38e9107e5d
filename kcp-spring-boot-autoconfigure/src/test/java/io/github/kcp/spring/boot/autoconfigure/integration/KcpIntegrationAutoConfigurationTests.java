package io.github.kcp.spring.boot.autoconfigure.integration;

import java.time.Duration;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpTemplateAutoConfiguration;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.integration.KcpIntegrationDefaults;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.integration.ip.tcp.serializer.ByteArrayCrLfSerializer;
import org.springframework.integration.ip.tcp.serializer.ByteArrayLengthHeaderSerializer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link KcpIntegrationAutoConfiguration} and {@code kcp.stream-framing.*}: the defaults the {@code Kcp}
 * DSL endpoints fall back on come from {@code kcp.*}; the stream framing reaches the server container and the
 * template of sides in stream mode only.
 */
class KcpIntegrationAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(KcpAutoConfiguration.class, KcpTemplateAutoConfiguration.class,
					KcpIntegrationAutoConfiguration.class));

	@Test
	void theDefaultsComeFromTheKcpProperties() {
		this.contextRunner
			.withPropertyValues("kcp.interval=20ms", "kcp.client.send-window=64", "kcp.server.stream=true",
					"kcp.server.message-format=envelope", "kcp.stream-framing.codec=crlf",
					"kcp.stream-framing.max-message-size=4KB", "kcp.client.reply-timeout=3s",
					"kcp.server.shutdown-timeout=4s", "kcp.crypto.mode=aes-gcm", "kcp.crypto.key=k",
					"kcp.crypto.salt=s")
			.run((context) -> {
				KcpIntegrationDefaults defaults = context.getBean(KcpIntegrationDefaults.class);
				assertThat(defaults.serverConfig().interval()).isEqualTo(20);
				assertThat(defaults.serverConfig().stream()).isTrue();
				assertThat(defaults.clientConfig().interval()).isEqualTo(20);
				assertThat(defaults.clientConfig().sendWindow()).isEqualTo(64);
				assertThat(defaults.clientConfig().stream()).isFalse();
				assertThat(defaults.serverMessageFormat()).isEqualTo(KcpMessageFormat.ENVELOPE);
				assertThat(defaults.clientMessageFormat()).isEqualTo(KcpMessageFormat.RAW);
				assertThat(defaults.packetCipher()).isSameAs(context.getBean(PacketCipher.class));
				assertThat(defaults.streamFraming().getDeserializer()).isInstanceOfSatisfying(
						ByteArrayCrLfSerializer.class, (codec) -> assertThat(codec.getMaxMessageSize()).isEqualTo(4096));
				assertThat(defaults.replyTimeout()).isEqualTo(Duration.ofSeconds(3));
				assertThat(defaults.shutdownTimeout()).isEqualTo(Duration.ofSeconds(4));
				assertThat(defaults.messageConverter())
					.isSameAs(context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME));
			});
	}

	@Test
	void withoutKcpSpringIntegrationThereAreNoDefaults() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(KcpIntegrationDefaults.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(KcpIntegrationDefaults.class));
	}

	@Test
	void theStreamFramingReachesTheServerAndTheTemplateInStreamModeOnly() {
		this.contextRunner
			.withPropertyValues("kcp.server.enabled=true", "kcp.server.port=0", "kcp.server.stream=true",
					"kcp.stream-framing.codec=length-header-4")
			.run((context) -> {
				assertThat(context.getBean(KcpServerContainer.class).getStreamFraming().getDeserializer())
					.isInstanceOf(ByteArrayLengthHeaderSerializer.class);
				// the client side is not in stream mode: its pieces are its messages
				assertThat(context.getBean(KcpTemplate.class).getStreamFraming()).isNull();
			});
		this.contextRunner.withPropertyValues("kcp.stream=true", "kcp.stream-framing.codec=length-header-4")
			.run((context) -> assertThat(context.getBean(KcpTemplate.class).getStreamFraming()).isNotNull());
	}

}
