package io.github.kcp.spring.boot.autoconfigure.metrics;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;

import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.micrometer.KcpServerContainerMetrics;
import io.github.kcp.spring.support.micrometer.KcpTemplateMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ExecutorServiceMetrics;

import org.springframework.beans.factory.ObjectProvider;

/**
 * Binds the meters of every {@link KcpServerContainer} and {@link KcpTemplate} bean of the context, and the handler
 * pool of each container the way Boot binds its task executors: {@code executor.*} meters named
 * {@value KcpAutoConfiguration#HANDLER_EXECUTOR_BEAN_NAME} (followed by {@code .<server id>} for servers other than
 * the default one). A handler executor that is a Spring {@code ThreadPoolTaskExecutor} bean is not an
 * {@link ExecutorService}, and Boot's own executor metrics bind it under its bean name.
 * <p>
 * Boot binds meter binders once every singleton exists and before the servers start, so the beans are looked up
 * then.
 */
public class KcpMeterBinder implements MeterBinder {

	private final ObjectProvider<KcpServerContainer> containers;

	private final ObjectProvider<KcpTemplate> templates;

	/**
	 * @param containers the server containers
	 * @param templates the templates
	 */
	public KcpMeterBinder(ObjectProvider<KcpServerContainer> containers, ObjectProvider<KcpTemplate> templates) {
		this.containers = containers;
		this.templates = templates;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		Set<Executor> pools = Collections.newSetFromMap(new IdentityHashMap<>());
		this.containers.orderedStream().forEach((container) -> {
			new KcpServerContainerMetrics(container).bindTo(registry);
			Executor executor = container.getTaskExecutor();
			if (executor instanceof ExecutorService pool && pools.add(pool)) {
				String name = KcpAutoConfiguration.HANDLER_EXECUTOR_BEAN_NAME
						+ (container.getId().isEmpty() ? "" : "." + container.getId());
				new ExecutorServiceMetrics(pool, name, List.of()).bindTo(registry);
			}
		});
		this.templates.orderedStream().forEach((template) -> new KcpTemplateMetrics(template).bindTo(registry));
	}

}
