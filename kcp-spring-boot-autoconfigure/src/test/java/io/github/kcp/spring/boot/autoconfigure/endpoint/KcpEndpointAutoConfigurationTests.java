package io.github.kcp.spring.boot.autoconfigure.endpoint;


import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpTemplateAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.ObservedHandlers;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code kcp} endpoint: present when available (exposed), absent otherwise or without the actuator; it shows
 * each server's state, effective settings (never the key or salt), counters and live sessions with their stats,
 * and the templates.
 */
@Timeout(60)
class KcpEndpointAutoConfigurationTests {

	private static final String KEY = "endpoint-test-secret-key";

	private static final String SALT = "endpoint-test-secret-salt";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpTemplateAutoConfiguration.class, KcpEndpointAutoConfiguration.class))
		.withUserConfiguration(ObservedHandlers.class)
		.withPropertyValues(ObservedHandlers.PROPERTIES);

	@Test
	void showsServersSessionsAndSettingsButNoSecret() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=kcp", "kcp.crypto.mode=aes-gcm",
					"kcp.crypto.key=" + KEY, "kcp.crypto.salt=" + SALT)
			.run((context) -> {
				assertThat(context).hasSingleBean(KcpEndpoint.class);
				KcpTemplate template = context.getBean(KcpTemplate.class);
				assertThat(template.sendAndReceiveBlocking("echo", "hi", String.class)).isEqualTo("hi");
				KcpEndpoint.KcpDescriptor descriptor = context.getBean(KcpEndpoint.class).kcp();

				assertThat(descriptor.servers()).hasSize(1);
				KcpEndpoint.ServerDescriptor server = descriptor.servers().get(0);
				int port = context.getBean(KcpServerContainer.class).getPort();
				assertThat(server.name()).isEqualTo("default");
				assertThat(server.state()).isEqualTo("serving");
				assertThat(server.messageFormat()).isEqualTo("ENVELOPE");
				assertThat(server.address()).isEqualTo("127.0.0.1:" + port);
				assertThat(server.packetCipher()).isEqualTo("aes-gcm");
				assertThat(server.settings()).containsEntry("mtu", 1400)
					.containsEntry("interval", 10)
					.containsEntry("idleTimeout", "600s");
				assertThat(server.limits()).containsEntry("maxSessions", 10_000);
				assertThat(server.counters().receivedMessages()).isEqualTo(1);
				assertThat(server.sessionCount()).isEqualTo(1);
				KcpEndpoint.SessionDescriptor session = server.sessions().get(0);
				assertThat(session.remoteAddress()).startsWith("127.0.0.1:");
				assertThat(session.messagesIn()).isEqualTo(1);
				assertThat(session.messagesOut()).isEqualTo(1);
				assertThat(session.bytesIn()).isPositive();
				assertThat(session.rtoMillis()).isPositive();
				assertThat(session.ageMillis()).isNotNegative();
				assertThat(session.retransmissions()).containsOnlyKeys("timeout", "fast", "early", "probe");
				assertThat(session.security().packetCipher()).isEqualTo("aes-gcm");
				assertThat(descriptor.templates()).singleElement().satisfies((described) -> {
					assertThat(described.name()).isEqualTo("kcpTemplate");
					assertThat(described.defaultTarget()).isEqualTo("127.0.0.1:" + port);
				});

				String json = JsonMapper.builder().build().writeValueAsString(descriptor);
				assertThat(json).contains("\"srttMillis\"").doesNotContain(KEY).doesNotContain(SALT);
			});
	}

	@Test
	void absentUnlessExposed() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(KcpEndpoint.class));
	}

	@Test
	void absentWhenDisabled() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=kcp",
					"management.endpoint.kcp.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(KcpEndpoint.class));
	}

	@Test
	void absentWithoutTheActuator() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=kcp")
			.withClassLoader(new FilteredClassLoader(Endpoint.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(KcpEndpoint.class));
	}


}
