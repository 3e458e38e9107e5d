package io.github.kcp.demo;

import java.net.InetSocketAddress;

import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpServerContainerConfigurer;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageFormat;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.MessageHandlerMethodFactory;

/**
 * A second KCP server for peers that speak raw KCP (kcp-tool, kcp-go, aiokcp): the {@code kcp.*} settings through
 * the configurer, its own id, raw messages, and the port {@code demo.raw.port}.
 */
@Configuration(proxyBeanMethods = false)
public class RawDeskConfiguration {

	/** The id of the raw server, named by {@code @KcpHandler(server = ...)}. */
	public static final String SERVER_ID = "raw";

	/**
	 * The raw server.
	 * @param configurer applies {@code kcp.*}
	 * @param registry the handlers
	 * @param methodFactory resolves their arguments
	 * @param converter converts payloads
	 * @param port {@code demo.raw.port}
	 * @return the container
	 */
	@Bean
	KcpServerContainer rawDeskServer(KcpServerContainerConfigurer configurer, KcpHandlerRegistry registry,
			@Qualifier(KcpAutoConfiguration.MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME)
			MessageHandlerMethodFactory methodFactory,
			@Qualifier(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME) MessageConverter converter,
			@Value("${demo.raw.port:9700}") int port) {
		KcpServerContainer container = new KcpServerContainer(registry, methodFactory, converter);
		configurer.configure(container);
		container.setId(SERVER_ID);
		container.setMessageFormat(KcpMessageFormat.RAW);
		container.setBindAddress(new InetSocketAddress(port));
		return container;
	}

}
