package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.spring.annotation.KcpHandler;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * An envelope handler for the observability tests of the auto-configuration: {@code echo} answers with its text.
 */
@Configuration(proxyBeanMethods = false)
public class ObservedHandlers {

	/** The properties of a loopback server on a free port, talked to by the auto-configured template. */
	public static final String[] PROPERTIES = { "kcp.server.address=127.0.0.1", "kcp.server.port=0",
			"kcp.interval=10ms", "kcp.message-format=envelope", "kcp.client.host=127.0.0.1" };

	@Bean
	Echo echo() {
		return new Echo();
	}

	/** The handler. */
	public static class Echo {

		@KcpHandler("echo")
		String echo(String text) {
			return text;
		}

	}

}
