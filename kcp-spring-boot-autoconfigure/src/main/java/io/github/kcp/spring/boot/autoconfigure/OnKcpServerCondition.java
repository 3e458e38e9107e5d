package io.github.kcp.spring.boot.autoconfigure;

import java.lang.reflect.Method;
import java.util.Map;

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
 * definition's type declares a {@link KcpHandler @KcpHandler} method for the default server (client-side handlers
 * and those of other servers do not count). {@code kcp.server.enabled=false} never
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
				if (type != null && hasDefaultServerHandlerMethods(ClassUtils.getUserClass(type))) {
					return ConditionOutcome.match("bean '" + name + "' has @KcpHandler methods for the server");
				}
			}
		}
		return ConditionOutcome.noMatch("no bean has @KcpHandler methods and " + ENABLED_PROPERTY + " is not set");
	}

	/**
	 * Whether a type declares {@link KcpHandler @KcpHandler} methods of any kind (false when it cannot be
	 * introspected).
	 * @param type the bean type
	 * @return whether the type has handler methods
	 */
	static boolean hasHandlerMethods(Class<?> type) {
		return !handlerMethods(type).isEmpty();
	}

	/**
	 * Whether a type declares {@link KcpHandler @KcpHandler} methods the default server serves: server side, no
	 * {@code server} attribute (on the method or its class).
	 * @param type the bean type
	 * @return whether the type has such methods
	 */
	static boolean hasDefaultServerHandlerMethods(Class<?> type) {
		KcpHandler onClass = AnnotatedElementUtils.findMergedAnnotation(type, KcpHandler.class);
		for (KcpHandler onMethod : handlerMethods(type).values()) {
			KcpHandler.Side side = (onMethod.side() != KcpHandler.Side.SERVER) ? onMethod.side()
					: (onClass != null) ? onClass.side() : KcpHandler.Side.SERVER;
			String server = !onMethod.server().isEmpty() ? onMethod.server()
					: (onClass != null) ? onClass.server() : "";
			if (side == KcpHandler.Side.SERVER && server.isEmpty()) {
				return true;
			}
		}
		return false;
	}

	private static Map<Method, KcpHandler> handlerMethods(Class<?> type) {
		if (!AnnotationUtils.isCandidateClass(type, KcpHandler.class)) {
			return Map.of();
		}
		try {
			return MethodIntrospector.selectMethods(type,
					(MethodIntrospector.MetadataLookup<KcpHandler>) (method) -> AnnotatedElementUtils
						.findMergedAnnotation(method, KcpHandler.class));
		}
		catch (Throwable ex) {
			// A type whose methods cannot be introspected (missing optional classes) has no handlers for us.
			return Map.of();
		}
	}

}
