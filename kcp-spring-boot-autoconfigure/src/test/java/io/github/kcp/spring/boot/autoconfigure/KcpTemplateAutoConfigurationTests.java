package io.github.kcp.spring.boot.autoconfigure;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executor;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.core.KcpOperations;
import io.github.kcp.spring.core.KcpPushHandler;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageConverters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.task.VirtualThreadTaskExecutor;
import org.springframework.messaging.converter.MessageConverter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link KcpTemplateAutoConfiguration}.
 */
@Timeout(30)
class KcpTemplateAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(KcpAutoConfiguration.class, KcpTemplateAutoConfiguration.class));

	@Test
	void templateIsPresentByDefaultWithTheClientDefaults() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(KcpTemplate.class);
			KcpTemplate template = context.getBean(KcpTemplate.class);
			assertThat(template.getDefaultTarget()).isEqualTo(new InetSocketAddress("localhost", 9700));
			assertThat(template.getReplyTimeout()).isEqualTo(KcpTemplate.DEFAULT_REPLY_TIMEOUT);
			assertThat(template.getMessageConverter())
				.isSameAs(context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME));
			assertThat(template.getConfig()).isEqualTo(KcpConfig.defaults());
			assertThat(template.getPacketCipher()).isSameAs(PacketCipher.NONE);
			assertThat(template.getPushHandlers()).isEmpty();
		});
	}

	@Test
	void withoutAClientPortTheTemplateTargetsThisApplicationsServerOnItsBoundPort() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(KcpAutoConfiguration.class, KcpTemplateAutoConfiguration.class))
			.withUserConfiguration(EchoConfiguration.class)
			.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.client.host=127.0.0.1",
					"kcp.client.reply-timeout=3s", "kcp.interval=10ms")
			.run((context) -> {
				int bound = context.getBean(KcpServerContainer.class).getPort();
				assertThat(context.getEnvironment().getProperty("local.kcp.server.port", Integer.class))
					.isEqualTo(bound);
				KcpTemplate template = context.getBean(KcpTemplate.class);
				assertThat(template.getReplyTimeout()).isEqualTo(Duration.ofSeconds(3));
				assertThat(template.getDefaultTarget()).isEqualTo(new InetSocketAddress("127.0.0.1", bound));
				assertThat(template.sendAndReceiveBlocking("ping", String.class)).isEqualTo("echo ping");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class EchoConfiguration {

		@Bean
		Echo echo() {
			return new Echo();
		}

	}

	static class Echo {

		@KcpHandler
		String echo(String text) {
			return "echo " + text;
		}

	}

	@Test
	void backsOffForAUserOperationsBean() {
		this.contextRunner.withUserConfiguration(UserTemplateConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(KcpOperations.class);
			assertThat(context.getBean(KcpOperations.class))
				.isSameAs(context.getBean(UserTemplateConfiguration.class).template);
		});
	}

	@Test
	void customizersAndPushHandlersAreAppliedInOrder() {
		this.contextRunner.withUserConfiguration(CustomizerConfiguration.class).run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			assertThat(template.getReplyTimeout()).as("the later customizer wins").isEqualTo(Duration.ofSeconds(3));
			assertThat(template.getPushHandlers()).containsExactly(context.getBean("firstPushHandler",
					KcpPushHandler.class), context.getBean("secondPushHandler", KcpPushHandler.class));
		});
	}

	@Test
	void clientPropertiesBind() {
		this.contextRunner
			.withPropertyValues("kcp.client.host=127.0.0.1", "kcp.client.port=9801", "kcp.interval=20ms",
					"kcp.client.interval=10ms", "kcp.client.mtu=1200", "kcp.client.send-window=256",
					"kcp.receive-window=512", "kcp.server.mtu=1000")
			.run((context) -> {
				KcpTemplate template = context.getBean(KcpTemplate.class);
				assertThat(template.getDefaultTarget()).isEqualTo(new InetSocketAddress("127.0.0.1", 9801));
				KcpConfig config = template.getConfig();
				assertThat(config.interval()).as("client override").isEqualTo(10);
				assertThat(config.mtu()).as("client override, not the server's").isEqualTo(1200);
				assertThat(config.sendWindow()).isEqualTo(256);
				assertThat(config.receiveWindow()).as("top-level setting").isEqualTo(512);
			});
	}

	@Test
	void sessionsUseThePacketCipherBean() {
		this.contextRunner.withPropertyValues("kcp.crypto.mode=aes-gcm", "kcp.crypto.key=demo secret",
				"kcp.crypto.salt=demo salt")
			.run((context) -> {
				PacketCipher cipher = context.getBean(PacketCipher.class);
				assertThat(cipher).isNotSameAs(PacketCipher.NONE);
				assertThat(context.getBean(KcpTemplate.class).getPacketCipher()).isSameAs(cipher);
			});
	}

	@Test
	void usesTheUsersMessageConverterBean() {
		this.contextRunner.withBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME, MessageConverter.class,
				KcpMessageConverters::create)
			.run((context) -> assertThat(context.getBean(KcpTemplate.class).getMessageConverter())
				.isSameAs(context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME)));
	}

	@Test
	void invalidClientSettingsFailNamingTheProperty() {
		this.contextRunner.withPropertyValues("kcp.client.port=0")
			.run((context) -> assertThat(invalidProperty(context.getStartupFailure())).isEqualTo("kcp.client.port"));
		this.contextRunner.withPropertyValues("kcp.client.mtu=10")
			.run((context) -> assertThat(invalidProperty(context.getStartupFailure())).isEqualTo("kcp.client.mtu"));
	}

	private static String invalidProperty(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof InvalidConfigurationPropertyValueException invalid) {
				return invalid.getName();
			}
		}
		throw new AssertionError("No InvalidConfigurationPropertyValueException in " + failure);
	}

	@Test
	void callbacksRunOnVirtualThreadsWhenEnabledAndAvailable() {
		this.contextRunner.withPropertyValues("spring.threads.virtual.enabled=true").run((context) -> {
			Executor executor = context.getBean(KcpTemplate.class).getCallbackExecutor();
			if (Runtime.version().feature() >= 21) {
				assertThat(executor).isInstanceOf(VirtualThreadTaskExecutor.class);
			}
			else {
				assertThat(executor).as("no virtual threads on Java %s", Runtime.version().feature())
					.isNotInstanceOf(VirtualThreadTaskExecutor.class);
			}
		});
		this.contextRunner.run((context) -> assertThat(context.getBean(KcpTemplate.class).getCallbackExecutor())
			.isNotInstanceOf(VirtualThreadTaskExecutor.class));
	}

	@Test
	void templateIsClosedWithTheContext() {
		this.contextRunner.run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			context.close();
			assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> template.send("x")))
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("destroyed");
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class UserTemplateConfiguration {

		final KcpTemplate template = new KcpTemplate(KcpConfig.defaults(), KcpMessageConverters.create());

		@Bean
		KcpOperations userTemplate() {
			return this.template;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class CustomizerConfiguration {

		@Bean
		@Order(2)
		KcpTemplateCustomizer laterCustomizer() {
			return (template) -> template.setReplyTimeout(Duration.ofSeconds(3));
		}

		@Bean
		@Order(1)
		KcpTemplateCustomizer earlierCustomizer() {
			return (template) -> template.setReplyTimeout(Duration.ofSeconds(1));
		}

		@Bean
		@Order(2)
		KcpPushHandler secondPushHandler() {
			return (message) -> {
			};
		}

		@Bean
		@Order(1)
		KcpPushHandler firstPushHandler() {
			return (message) -> {
			};
		}

	}

}
