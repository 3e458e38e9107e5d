package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.spring.core.KcpTemplate;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kcp.server.observation-enabled} and {@code kcp.client.observation-enabled} hand the application's
 * {@link ObservationRegistry} to the server container and the template; off by default.
 */
@Timeout(60)
class KcpObservationAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpTemplateAutoConfiguration.class))
		.withUserConfiguration(ObservedHandlers.class)
		.withPropertyValues(ObservedHandlers.PROPERTIES);

	@Test
	void bothSidesAreObservedWhenEnabled() {
		this.contextRunner.withUserConfiguration(RegistryConfiguration.class)
			.withPropertyValues("kcp.server.observation-enabled=true", "kcp.client.observation-enabled=true")
			.run((context) -> {
				TestObservationRegistry registry = context.getBean(TestObservationRegistry.class);
				assertThat(context.getBean(KcpTemplate.class).sendAndReceiveBlocking("echo", "hi", String.class))
					.isEqualTo("hi");
				await().untilAsserted(() -> assertThat(registry).hasObservationWithNameEqualTo("kcp.handler")
					.that()
					.hasBeenStopped());
				await().untilAsserted(() -> assertThat(registry).hasObservationWithNameEqualTo("kcp.template")
					.that()
					.hasBeenStopped()
					.hasLowCardinalityKeyValue("kcp.template", "kcpTemplate"));
			});
	}

	@Test
	void offByDefault() {
		this.contextRunner.withUserConfiguration(RegistryConfiguration.class).run((context) -> {
			assertThat(context.getBean(KcpTemplate.class).sendAndReceiveBlocking("echo", "hi", String.class))
				.isEqualTo("hi");
			assertThat(context.getBean(TestObservationRegistry.class)).doesNotHaveAnyObservation();
		});
	}

	@Test
	void eachSideOnItsOwn() {
		this.contextRunner.withUserConfiguration(RegistryConfiguration.class)
			.withPropertyValues("kcp.client.observation-enabled=true")
			.run((context) -> {
				TestObservationRegistry registry = context.getBean(TestObservationRegistry.class);
				assertThat(context.getBean(KcpTemplate.class).sendAndReceiveBlocking("echo", "hi", String.class))
					.isEqualTo("hi");
				assertThat(registry).hasObservationWithNameEqualTo("kcp.template");
				// The reply came back, so the handler ran: an observation of it would have started by then.
				assertThat(registry).hasNumberOfObservationsWithNameEqualTo("kcp.handler", 0);
			});
	}

	@Test
	void enabledWithoutARegistryStillServes() {
		this.contextRunner
			.withPropertyValues("kcp.server.observation-enabled=true", "kcp.client.observation-enabled=true")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(ObservationRegistry.class);
				assertThat(context.getBean(KcpTemplate.class).sendAndReceiveBlocking("echo", "hi", String.class))
					.isEqualTo("hi");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class RegistryConfiguration {

		@Bean
		TestObservationRegistry observationRegistry() {
			return TestObservationRegistry.create();
		}

	}

}
