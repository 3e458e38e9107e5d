package io.github.kcp.spring.boot.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.beans.factory.annotation.Value;

/**
 * Injects the UDP port the application's default KCP server bound (property {@code local.kcp.server.port}), for
 * example in a test with {@code kcp.server.port=0}, like Boot's {@code @LocalServerPort}. The property exists once
 * the server listens, so inject it into test instances or lazily resolved beans.
 */
@Target({ ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Value("${" + KcpServerPortPublisher.LOCAL_PORT_PROPERTY + "}")
public @interface LocalKcpServerPort {

}
