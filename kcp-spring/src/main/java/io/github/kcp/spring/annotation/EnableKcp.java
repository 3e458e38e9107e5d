package io.github.kcp.spring.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.context.annotation.Import;

/**
 * Enables detection of {@link KcpHandler @KcpHandler} methods in a plain Spring application: registers a
 * {@link KcpHandlerAnnotationBeanPostProcessor} and a {@link io.github.kcp.spring.config.KcpHandlerRegistry}
 * unless beans of those names exist. The application still defines the
 * {@link io.github.kcp.spring.listener.KcpServerContainer} that serves them (Spring Boot's auto-configuration does
 * all of this itself).
 *
 * @see KcpBootstrapConfiguration
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Import(KcpBootstrapConfiguration.class)
public @interface EnableKcp {

}
