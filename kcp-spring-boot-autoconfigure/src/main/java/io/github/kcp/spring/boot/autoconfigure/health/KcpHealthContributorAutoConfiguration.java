package io.github.kcp.spring.boot.autoconfigure.health;

import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.listener.KcpServerContainer;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.CompositeHealthContributorConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code kcp} health contributor: a {@link KcpHealthIndicator} for the server container,
 * or one per container (by bean name) when the application runs several. Present with Boot's
 * {@code spring-boot-health} and a {@link KcpServerContainer} bean; off with
 * {@code management.health.kcp.enabled=false}.
 */
@AutoConfiguration(after = KcpAutoConfiguration.class)
@ConditionalOnClass({ HealthContributor.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(KcpServerContainer.class)
@ConditionalOnEnabledHealthIndicator("kcp")
public final class KcpHealthContributorAutoConfiguration
		extends CompositeHealthContributorConfiguration<KcpHealthIndicator, KcpServerContainer> {

	KcpHealthContributorAutoConfiguration() {
		super(KcpHealthIndicator::new);
	}

	/**
	 * The {@code kcp} contributor.
	 * @param beanFactory the bean factory, for the containers
	 * @return the indicator of the one container, or a composite of one per container
	 */
	@Bean
	@ConditionalOnMissingBean(name = { "kcpHealthIndicator", "kcpHealthContributor" })
	HealthContributor kcpHealthContributor(ConfigurableListableBeanFactory beanFactory) {
		return createContributor(beanFactory, KcpServerContainer.class);
	}

}
