package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.spring.annotation.KcpHandler;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.ConfigurationCondition;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * Matches when the KCP server should run: {@code kcp.server.enabled=true}, or the property is not set and a bean
 * definition's type declares a {@link KcpHandler @KcpHandler} method. {@code kcp.server.enabled=false} never
 * matches. Evaluated when beans are registered, so it sees the application's bean definitions (like
 * {@code @ConditionalOnBean}).
 */
class OnKcpServerCondition extends SpringBootCondition implements ConfigurationCondition {

	static final String ENABLED_PROPERTY = "kcp.server.enabled";

	@Override
	public ConfigurationPhase getConfigurationPhase() {
		return ConfigurationPhase.REGISTER_BEAN;
	}

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		String enabled = context.getEnvironment().getProperty(ENABLED_PROPERTY);
		if (enabled != null && !enabled.isBlank()) {
			return Boolean.parseBoolean(enabled.trim())
					? ConditionOutcome.match(ENABLED_PROPERTY + " is true")
					: ConditionOutcome.noMatch(ENABLED_PROPERTY + " is false");
		}
		ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
		if (beanFactory != null) {
			for (String name : beanFactory.getBeanDefinitionNames()) {
				Class<?> type;
				try {
					type = beanFactory.getType(name, false);
				}
				catch (RuntimeException ex) {
					continue;
				}
				if (type != null && hasHandlerMethods(ClassUtils.getUserClass(type))) {
					return ConditionOutcome.match("bean '" + name + "' has @KcpHandler methods");
				}
			}
		}
		return ConditionOutcome.noMatch("no bean has @KcpHandler methods and " + ENABLED_PROPERTY + " is not set");
	}

	/**
	 * Whether a type declares {@link KcpHandler @KcpHandler} methods (false when it cannot be introspected).
	 * @param type the bean type
	 * @return whether the type has handler methods
	 */
	static boolean hasHandlerMethods(Class<?> type) {
		if (!AnnotationUtils.isCandidateClass(type, KcpHandler.class)) {
			return false;
		}
		try {
			return !MethodIntrospector
				.selectMethods(type,
						(MethodIntrospector.MetadataLookup<KcpHandler>) (method) -> AnnotatedElementUtils
							.findMergedAnnotation(method, KcpHandler.class))
				.isEmpty();
		}
		catch (Throwable ex) {
			// A type whose methods cannot be introspected (missing optional classes) has no handlers for us.
			return false;
		}
	}

}
