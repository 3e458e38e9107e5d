package io.github.kcp.spring.boot.autoconfigure.endpoint;

import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpTemplateAutoConfiguration;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code kcp} actuator endpoint ({@link KcpEndpoint}), with Boot's actuator on the class
 * path and the endpoint available (exposed, for example with {@code management.endpoints.web.exposure.include=kcp}).
 */
@AutoConfiguration(after = { KcpAutoConfiguration.class, KcpTemplateAutoConfiguration.class })
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnAvailableEndpoint(KcpEndpoint.class)
public final class KcpEndpointAutoConfiguration {

	/**
	 * The endpoint.
	 * @param containers the server containers
	 * @param templates the templates
	 * @return the endpoint
	 */
	@Bean
	@ConditionalOnMissingBean
	KcpEndpoint kcpEndpoint(ObjectProvider<KcpServerContainer> containers, ObjectProvider<KcpTemplate> templates) {
		return new KcpEndpoint(containers, templates);
	}

}
