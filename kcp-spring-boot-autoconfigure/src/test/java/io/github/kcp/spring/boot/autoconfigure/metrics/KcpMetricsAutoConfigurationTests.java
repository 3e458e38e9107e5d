package io.github.kcp.spring.boot.autoconfigure.metrics;

import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpTemplateAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.ObservedHandlers;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.micrometer.KcpMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The KCP meters are bound when a {@link MeterRegistry} exists, for the server, the template and the handler pool;
 * nothing without a registry or without Micrometer; the application's own binder bean replaces them.
 */
@Timeout(60)
class KcpMetricsAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpTemplateAutoConfiguration.class, KcpMetricsAutoConfiguration.class))
		.withUserConfiguration(ObservedHandlers.class)
		.withPropertyValues(ObservedHandlers.PROPERTIES);

	private final ApplicationContextRunner withRegistry = this.contextRunner
		.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
				CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class));

	@Test
	void metersOfTheServerTheTemplateAndTheHandlerPool() {
		this.withRegistry.run((context) -> {
			assertThat(context).hasSingleBean(KcpMeterBinder.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(context.getBean(KcpTemplate.class).sendAndReceiveBlocking("echo", "hi", String.class))
				.isEqualTo("hi");
			await().untilAsserted(() -> {
				assertThat(registry.get(KcpMeters.MESSAGES)
					.tags(KcpMeters.SIDE, "server", KcpMeters.NAME, "default", KcpMeters.DIRECTION, "in")
					.functionCounter()
					.count()).isEqualTo(1);
				assertThat(registry.get(KcpMeters.MESSAGES)
					.tags(KcpMeters.SIDE, "client", KcpMeters.NAME, "kcpTemplate", KcpMeters.DIRECTION, "in")
					.functionCounter()
					.count()).isEqualTo(1);
			});
			// The handler pool, as Boot names task executors: executor.* tagged name=kcpHandlerExecutor.
			assertThat(registry.get("executor.pool.size").tag("name", "kcpHandlerExecutor").gauge().value())
				.isGreaterThanOrEqualTo(1);
			assertThat(registry.get("executor.completed").tag("name", "kcpHandlerExecutor").functionCounter().count())
				.isGreaterThanOrEqualTo(1);
		});
	}

	@Test
	void nothingWithoutAMeterRegistry() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(MeterRegistry.class);
			assertThat(context).doesNotHaveBean(KcpMeterBinder.class);
		});
	}

	@Test
	void nothingWithoutMicrometer() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(KcpMeterBinder.class));
	}

	@Test
	void theApplicationsOwnBinderReplacesIt() {
		this.withRegistry.withUserConfiguration(OwnBinder.class).run((context) -> {
			assertThat(context).doesNotHaveBean(KcpMeterBinder.class);
			assertThat(context.getBean(MeterRegistry.class).find(KcpMeters.SESSIONS_ACTIVE).meters()).isEmpty();
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class OwnBinder {

		@Bean(KcpMetricsAutoConfiguration.METER_BINDER_BEAN_NAME)
		MeterBinder kcpMeterBinder() {
			return (registry) -> {
			};
		}

	}

}
