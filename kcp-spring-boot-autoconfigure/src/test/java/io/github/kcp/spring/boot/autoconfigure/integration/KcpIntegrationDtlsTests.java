package io.github.kcp.spring.boot.autoconfigure.integration;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.spring.boot.autoconfigure.DtlsTestBundles;
import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpTemplateAutoConfiguration;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.integration.KcpIntegrationDefaults;
import io.github.kcp.spring.integration.dsl.Kcp;
import io.github.kcp.spring.integration.dsl.KcpInboundGatewaySpec;
import io.github.kcp.spring.integration.inbound.KcpInboundGateway;
import io.github.kcp.spring.integration.outbound.KcpOutboundGateway;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.context.IntegrationFlowContext;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.GenericMessage;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kcp.ssl.*} reaches the Spring Integration endpoints too: with a bundle, an inbound gateway of the
 * {@code Kcp} DSL serves DTLS only (its messages carry the client's principal) and an outbound gateway opens DTLS
 * sessions; an endpoint that sets its own packet cipher keeps it. Never plaintext by omission.
 */
@Timeout(90)
class KcpIntegrationDtlsTests {

	private static Identity authority;

	private static Identity server;

	private static Identity desk;

	@TempDir
	Path directory;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpTemplateAutoConfiguration.class, KcpIntegrationAutoConfiguration.class))
		.withPropertyValues("kcp.interval=10ms", "kcp.client.host=127.0.0.1");

	@BeforeAll
	static void certificates() {
		authority = TestPki.authority("Test CA");
		server = TestPki.server(authority, "kcp-server");
		desk = TestPki.client(authority, "desk-7");
	}

	@Test
	void theDefaultsCarryEachSidesDtlsSettings() throws Exception {
		this.contextRunner.withPropertyValues(properties()).run((context) -> {
			KcpIntegrationDefaults defaults = context.getBean(KcpIntegrationDefaults.class);
			assertThat(defaults.packetCipher()).isNull();
			assertThat(defaults.serverDtls()).isNotNull();
			assertThat(defaults.serverDtls().clientAuth()).isEqualTo(DtlsClientAuth.NEED);
			assertThat(defaults.clientDtls()).isNotNull();
			assertThat(defaults.clientDtls().verifyHostname()).isTrue();
		});
		this.contextRunner.run((context) -> {
			KcpIntegrationDefaults defaults = context.getBean(KcpIntegrationDefaults.class);
			assertThat(defaults.serverDtls()).isNull();
			assertThat(defaults.clientDtls()).isNull();
		});
	}

	@Test
	void inboundAndOutboundGatewaysSpeakDtls() throws Exception {
		this.contextRunner.withUserConfiguration(Flows.class).withPropertyValues(properties()).run((context) -> {
			assertThat(context).hasNotFailed();
			KcpInboundGateway gateway = context.getBean("dtlsGateway", KcpInboundGateway.class);
			assertThat(gateway.getServer().getDtlsSettings()).isNotNull();
			int port = gateway.getPort();
			InetSocketAddress target = new InetSocketAddress("127.0.0.1", port);
			// The Boot template (DTLS with the desk's certificate) reaches the inbound gateway ...
			KcpTemplate template = context.getBean(KcpTemplate.class);
			assertThat(template.sendAndReceiveBlocking(target, null, "hi", String.class, Duration.ofSeconds(20)))
				.isEqualTo("hi from CN=desk-7");
			// ... and so does an outbound gateway of the DSL, which takes DTLS from the defaults
			KcpOutboundGateway outbound = Kcp.outboundGateway("127.0.0.1", port)
				.interval(Duration.ofMillis(10))
				.replyTimeout(Duration.ofSeconds(20))
				.getObject();
			IntegrationFlowContext flows = context.getBean(IntegrationFlowContext.class);
			var registration = flows.registration((flow) -> flow.handle(outbound)).register();
			try {
				Message<?> reply = registration.getMessagingTemplate().sendAndReceive(new GenericMessage<>("hello"));
				assertThat(reply).isNotNull();
				assertThat(new String((byte[]) reply.getPayload(), StandardCharsets.UTF_8))
					.isEqualTo("hello from CN=desk-7");
			}
			finally {
				registration.destroy();
			}
		});
	}

	@Test
	void anEndpointWithItsOwnPacketCipherKeepsIt() throws Exception {
		this.contextRunner.withUserConfiguration(CipheredFlow.class).withPropertyValues(properties()).run((context) -> {
			KcpInboundGateway gateway = context.getBean("cipheredGateway", KcpInboundGateway.class);
			assertThat(gateway.getServer().getDtlsSettings()).isNull();
			assertThat(gateway.getServer().getPacketCipher().name()).isEqualTo("aes-gcm");
		});
	}

	private String[] properties() throws Exception {
		List<String> properties = new ArrayList<>();
		properties.addAll(DtlsTestBundles.pem(this.directory, "server", server, authority));
		properties.addAll(DtlsTestBundles.pem(this.directory, "desk", desk, authority));
		properties.addAll(List.of("kcp.server.ssl.bundle=server", "kcp.client.ssl.bundle=desk",
				"kcp.ssl.client-auth=need"));
		return properties.toArray(String[]::new);
	}

	@Configuration(proxyBeanMethods = false)
	@EnableIntegration
	static class Flows {

		@Bean
		KcpInboundGatewaySpec dtlsGateway() {
			return Kcp.inboundGateway(0).localAddress("127.0.0.1");
		}

		@Bean
		IntegrationFlow dtlsFlow(@Qualifier("dtlsGateway") KcpInboundGatewaySpec dtlsGateway) {
			return IntegrationFlow.from(dtlsGateway)
				.handle((payload, headers) -> new String((byte[]) payload, StandardCharsets.UTF_8) + " from "
						+ headers.get(KcpHeaders.PEER_PRINCIPAL, Principal.class).getName())
				.get();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableIntegration
	static class CipheredFlow {

		@Bean
		KcpInboundGatewaySpec cipheredGateway() {
			return Kcp.inboundGateway(0)
				.localAddress("127.0.0.1")
				.cipher(PacketCiphers.of(CipherMode.AES_GCM, "k".getBytes(), "s".getBytes()));
		}

		@Bean
		IntegrationFlow cipheredFlow(@Qualifier("cipheredGateway") KcpInboundGatewaySpec cipheredGateway) {
			return IntegrationFlow.from(cipheredGateway).transform((bytes) -> bytes).get();
		}

	}

}
