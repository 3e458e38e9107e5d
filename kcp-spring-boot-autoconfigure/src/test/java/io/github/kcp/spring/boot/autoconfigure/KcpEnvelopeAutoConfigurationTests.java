package io.github.kcp.spring.boot.autoconfigure;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.core.KcpRemoteException;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.listener.KcpSessionRegistry;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.handler.annotation.DestinationVariable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The messaging envelope switched on by {@code kcp.message-format}: the auto-configured server and template speak
 * it, the session registry is a bean, client-side handlers receive pushes.
 */
@Timeout(60)
class KcpEnvelopeAutoConfigurationTests {

	private static final Duration WAIT = Duration.ofSeconds(5);

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpTemplateAutoConfiguration.class))
		.withUserConfiguration(Handlers.class)
		.withPropertyValues("kcp.message-format=envelope", "kcp.server.address=127.0.0.1", "kcp.server.port=0",
				"kcp.interval=10ms", "kcp.congestion-control=false");

	record Order(String item, int quantity) {
	}

	@Test
	void bothSidesSpeakTheEnvelopeAndPushesReachClientSideHandlers() {
		this.contextRunner.run((context) -> {
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			KcpTemplate template = context.getBean(KcpTemplate.class);
			assertThat(container.getMessageFormat()).isEqualTo(KcpMessageFormat.ENVELOPE);
			assertThat(template.getMessageFormat()).isEqualTo(KcpMessageFormat.ENVELOPE);

			assertThat(template.sendAndReceiveBlocking(container.getLocalAddress(), "orders.tea",
					new Order("tea", 3), String.class, WAIT))
				.isEqualTo("3 x tea");
			assertThatExceptionOfType(KcpRemoteException.class)
				.isThrownBy(() -> template.sendAndReceiveBlocking(container.getLocalAddress(), "orders.fail",
						new Order("x", 1), String.class, WAIT))
				.withMessageContaining("sold out");

			KcpSessionRegistry registry = context.getBean(KcpSessionRegistry.class);
			assertThat(registry.getSessionCount()).isEqualTo(1);
			assertThat(registry.broadcast("news", "tea is back")).isEqualTo(1);
			assertThat(context.getBean(Handlers.class).news.poll(10, TimeUnit.SECONDS)).isEqualTo("tea is back");
		});
	}

	@Test
	void routesOnARawServerFailTheStart() {
		this.contextRunner.withPropertyValues("kcp.server.message-format=raw").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(io.github.kcp.spring.config.KcpEnvelopeRequiredException.class)
				.hasMessageContaining("orders.{item}");
		});
	}

	@Test
	void eachSideCanOverrideTheFormat() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(KcpAutoConfiguration.class, KcpTemplateAutoConfiguration.class))
			.withUserConfiguration(RawOnly.class)
			.withPropertyValues("kcp.message-format=envelope", "kcp.server.message-format=raw",
					"kcp.server.enabled=true", "kcp.server.address=127.0.0.1", "kcp.server.port=0")
			.run((context) -> {
				assertThat(context.getBean(KcpServerContainer.class).getMessageFormat())
					.isEqualTo(KcpMessageFormat.RAW);
				assertThat(context.getBean(KcpTemplate.class).getMessageFormat())
					.isEqualTo(KcpMessageFormat.ENVELOPE);
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class Handlers {

		final BlockingQueue<String> news = new LinkedBlockingQueue<>();

		@KcpHandler("orders.{item}")
		String order(Order order, @DestinationVariable String item, KcpSession session) {
			if (item.equals("fail")) {
				throw new IllegalStateException("sold out");
			}
			return order.quantity() + " x " + item;
		}

		@KcpHandler(value = "news", side = KcpHandler.Side.CLIENT)
		void news(String text) {
			this.news.add(text);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RawOnly {

		@Bean
		String noHandlersHere() {
			return "the server runs without handlers, raw";
		}

	}

}
