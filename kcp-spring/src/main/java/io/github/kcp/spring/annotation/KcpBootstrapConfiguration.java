package io.github.kcp.spring.annotation;

import io.github.kcp.spring.config.KcpHandlerRegistry;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Registers the infrastructure beans behind {@link EnableKcp @EnableKcp}: the
 * {@link KcpHandlerAnnotationBeanPostProcessor} and the {@link KcpHandlerRegistry}, under fixed names and only if
 * no bean of that name exists.
 */
public class KcpBootstrapConfiguration implements ImportBeanDefinitionRegistrar {

	/** Bean name of the {@link KcpHandlerAnnotationBeanPostProcessor}. */
	public static final String KCP_HANDLER_ANNOTATION_PROCESSOR_BEAN_NAME = "io.github.kcp.spring.annotation.internalKcpHandlerAnnotationProcessor";

	/** Bean name of the {@link KcpHandlerRegistry}. */
	public static final String KCP_HANDLER_REGISTRY_BEAN_NAME = "io.github.kcp.spring.config.internalKcpHandlerRegistry";

	@Override
	public void registerBeanDefinitions(AnnotationMetadata importingClassMetadata, BeanDefinitionRegistry registry) {
		if (!registry.containsBeanDefinition(KCP_HANDLER_ANNOTATION_PROCESSOR_BEAN_NAME)) {
			RootBeanDefinition definition = new RootBeanDefinition(KcpHandlerAnnotationBeanPostProcessor.class);
			definition.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
			registry.registerBeanDefinition(KCP_HANDLER_ANNOTATION_PROCESSOR_BEAN_NAME, definition);
		}
		if (!registry.containsBeanDefinition(KCP_HANDLER_REGISTRY_BEAN_NAME)) {
			RootBeanDefinition definition = new RootBeanDefinition(KcpHandlerRegistry.class);
			definition.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
			registry.registerBeanDefinition(KCP_HANDLER_REGISTRY_BEAN_NAME, definition);
		}
	}

}
