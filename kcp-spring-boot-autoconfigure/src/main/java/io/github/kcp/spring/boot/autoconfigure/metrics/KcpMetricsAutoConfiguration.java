package io.github.kcp.spring.boot.autoconfigure.metrics;

import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpTemplateAutoConfiguration;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.micrometer.KcpServerContainerMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the KCP meters (see {@link io.github.kcp.spring.support.micrometer.KcpMeters} and the
 * README's table): a {@link KcpMeterBinder} for every server container and template of the context, when
 * Micrometer and a {@link MeterRegistry} bean are present (Boot's {@code spring-boot-micrometer-metrics}, which the
 * actuator starter brings).
 */
@AutoConfiguration(after = { KcpAutoConfiguration.class, KcpTemplateAutoConfiguration.class },
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnClass({ MeterRegistry.class, KcpServerContainerMetrics.class })
@ConditionalOnBean(MeterRegistry.class)
public final class KcpMetricsAutoConfiguration {

	/** Name of the {@link KcpMeterBinder} bean. */
	public static final String METER_BINDER_BEAN_NAME = "kcpMeterBinder";

	/**
	 * The binder of the KCP meters; it reads the containers and templates when Boot binds it, once every singleton
	 * exists.
	 * @param containers the server containers
	 * @param templates the templates
	 * @return the binder
	 */
	@Bean(METER_BINDER_BEAN_NAME)
	@ConditionalOnMissingBean(name = METER_BINDER_BEAN_NAME)
	KcpMeterBinder kcpMeterBinder(ObjectProvider<KcpServerContainer> containers,
			ObjectProvider<KcpTemplate> templates) {
		return new KcpMeterBinder(containers, templates);
	}

}
