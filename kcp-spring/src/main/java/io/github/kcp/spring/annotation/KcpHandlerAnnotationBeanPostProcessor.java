package io.github.kcp.spring.annotation;

import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.github.kcp.spring.config.KcpHandlerConfigurationException;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.listener.KcpServerContainer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;

/**
 * Finds {@link KcpHandler @KcpHandler} methods on beans as they are created and registers each as a
 * {@link KcpHandlerEndpoint} in the {@link KcpHandlerRegistry}, which enforces the routing rule: a second handler
 * of the same payload kind fails the creation of its bean (so the start-up) with an exception naming both
 * methods.
 * <p>
 * The registry is the one given to the constructor, or else the bean named
 * {@link KcpBootstrapConfiguration#KCP_HANDLER_REGISTRY_BEAN_NAME}, or else the only {@code KcpHandlerRegistry}
 * bean. Declare it with a {@code static} {@code @Bean} method (it is a {@code BeanPostProcessor}).
 */
public class KcpHandlerAnnotationBeanPostProcessor
		implements BeanPostProcessor, BeanFactoryAware, SmartInitializingSingleton, Ordered {

	private static final Logger logger = LoggerFactory.getLogger(KcpHandlerAnnotationBeanPostProcessor.class);

	private final Set<Class<?>> classesWithoutHandlers = ConcurrentHashMap.newKeySet();

	private volatile @Nullable KcpHandlerRegistry registry;

	private @Nullable BeanFactory beanFactory;

	/** A post-processor that finds the {@link KcpHandlerRegistry} in the bean factory when first needed. */
	public KcpHandlerAnnotationBeanPostProcessor() {
	}

	/**
	 * A post-processor that registers into {@code registry}.
	 * @param registry the registry of handlers
	 */
	public KcpHandlerAnnotationBeanPostProcessor(KcpHandlerRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		this.beanFactory = beanFactory;
	}

	@Override
	public int getOrder() {
		return LOWEST_PRECEDENCE;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		if (bean instanceof KcpHandlerRegistry) {
			return bean;
		}
		Class<?> targetClass = AopUtils.getTargetClass(bean);
		if (this.classesWithoutHandlers.contains(targetClass)) {
			return bean;
		}
		if (!AnnotationUtils.isCandidateClass(targetClass, KcpHandler.class)) {
			this.classesWithoutHandlers.add(targetClass);
			return bean;
		}
		Map<Method, KcpHandler> methods = MethodIntrospector.selectMethods(targetClass,
				(MethodIntrospector.MetadataLookup<KcpHandler>) (method) -> AnnotatedElementUtils
					.findMergedAnnotation(method, KcpHandler.class));
		if (methods.isEmpty()) {
			this.classesWithoutHandlers.add(targetClass);
			return bean;
		}
		KcpHandlerRegistry target = registry();
		for (Method method : methods.keySet()) {
			KcpHandlerEndpoint endpoint = KcpHandlerEndpoint.of(beanName, bean, method);
			target.register(endpoint);
			logger.debug("Registered {}", endpoint);
		}
		return bean;
	}

	@Override
	public void afterSingletonsInstantiated() {
		this.classesWithoutHandlers.clear();
		KcpHandlerRegistry current = this.registry;
		if (current == null || !(this.beanFactory instanceof ListableBeanFactory listable)) {
			return;
		}
		logger.debug("KCP handlers: {}", current.getEndpoints());
		// Handlers nobody serves are almost certainly a mistake; say so rather than stay silent.
		Set<String> servers = new HashSet<>();
		for (KcpServerContainer container : listable.getBeansOfType(KcpServerContainer.class, false, false).values()) {
			servers.add(container.getId());
		}
		List<KcpHandlerEndpoint> unserved = current.getEndpoints()
			.stream()
			.filter((endpoint) -> endpoint.getSide() == KcpHandler.Side.SERVER
					&& !servers.contains(endpoint.getServer()))
			.toList();
		if (!unserved.isEmpty()) {
			logger.warn("@KcpHandler methods were found but no KcpServerContainer serves them: {} (servers: {}). "
					+ "Define a container with their server id (the Spring Boot starter defines the default server "
					+ "unless it is disabled)", unserved, servers.isEmpty() ? "none" : servers);
		}
	}

	private KcpHandlerRegistry registry() {
		KcpHandlerRegistry current = this.registry;
		if (current != null) {
			return current;
		}
		if (this.beanFactory == null) {
			throw new KcpHandlerConfigurationException(
					"No KcpHandlerRegistry: create the post-processor with one, or use it in a bean factory");
		}
		if (this.beanFactory.containsBean(KcpBootstrapConfiguration.KCP_HANDLER_REGISTRY_BEAN_NAME)) {
			current = this.beanFactory.getBean(KcpBootstrapConfiguration.KCP_HANDLER_REGISTRY_BEAN_NAME,
					KcpHandlerRegistry.class);
		}
		else if (this.beanFactory instanceof ListableBeanFactory listable
				&& listable.getBeanNamesForType(KcpHandlerRegistry.class).length == 1) {
			current = listable.getBean(KcpHandlerRegistry.class);
		}
		else {
			throw new KcpHandlerConfigurationException("@KcpHandler methods were found but there is no single "
					+ "KcpHandlerRegistry bean: add @EnableKcp (or Spring Boot's KCP auto-configuration), or define "
					+ "one KcpHandlerRegistry bean");
		}
		this.registry = current;
		return current;
	}

}
