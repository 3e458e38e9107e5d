package io.github.kcp.spring.boot.autoconfigure;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.Principal;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.transport.KcpHandshakeException;
import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.boot.autoconfigure.endpoint.KcpEndpoint;
import io.github.kcp.spring.boot.autoconfigure.endpoint.KcpEndpointAutoConfiguration;
import io.github.kcp.spring.core.KcpPushHandler;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.listener.KcpSessionRegistry;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.micrometer.KcpMeters;
import io.github.kcp.spring.support.micrometer.KcpServerContainerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * DTLS end to end in Boot applications configured only with properties: Spring Boot SSL bundles of certificates
 * made for the test, {@code kcp.ssl.*}, a {@code @KcpHandler} that takes the client's {@code Principal}, the
 * {@code KcpTemplate}, the actuator endpoint, and a certificate renewal picked up from the bundle's files while a
 * session stays open. Loopback only.
 */
@Timeout(120)
class KcpDtlsEndToEndTests {

	private static Identity authority;

	private static Identity otherAuthority;

	private static Identity server;

	private static Identity desk;

	@TempDir
	Path directory;

	private final ApplicationContextRunner serverRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, JacksonAutoConfiguration.class,
				KcpAutoConfiguration.class, KcpTemplateAutoConfiguration.class, KcpEndpointAutoConfiguration.class))
		.withUserConfiguration(Handlers.class)
		.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.interval=10ms",
				"kcp.client.host=127.0.0.1", "kcp.ssl.handshake-timeout=10s", "kcp.ssl.retransmit-timeout=200ms");

	/** Client-only applications (no handlers, so no server) talking to the server of another context. */
	private final ApplicationContextRunner clientRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpTemplateAutoConfiguration.class))
		.withPropertyValues("kcp.interval=10ms", "kcp.client.host=127.0.0.1", "kcp.ssl.handshake-timeout=10s",
				"kcp.ssl.retransmit-timeout=200ms");

	@BeforeAll
	static void certificates() {
		authority = TestPki.authority("Test CA");
		otherAuthority = TestPki.authority("Other CA");
		server = TestPki.server(authority, "kcp-server");
		desk = TestPki.client(authority, "desk-7");
	}

	@Test
	void aHandlerGetsThePrincipalOfTheClientCertificateAndTheClientTheServers() throws Exception {
		List<String> properties = new ArrayList<>();
		properties.addAll(DtlsTestBundles.pem(this.directory, "server", server, authority));
		properties.addAll(DtlsTestBundles.pem(this.directory, "desk", desk, authority));
		properties.addAll(List.of("kcp.server.ssl.bundle=server", "kcp.client.ssl.bundle=desk",
				"kcp.ssl.client-auth=need", "management.endpoints.web.exposure.include=kcp"));
		this.serverRunner.withUserConfiguration(PushCollector.class)
			.withPropertyValues(properties.toArray(String[]::new))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				KcpTemplate template = context.getBean(KcpTemplate.class);
				assertThat(template.sendAndReceiveBlocking("hello", String.class))
					.isEqualTo("hello from CN=desk-7 chain 2 over TLS_");

				// The client side learns who the server is, from the template and from every message it receives.
				InetSocketAddress target = template.getDefaultTarget();
				KcpSecurityInfo security = template.getSecurityInfo(target);
				assertThat(security).isNotNull();
				assertThat(security.protocol()).isEqualTo("DTLSv1.2");
				assertThat(security.peerPrincipal().getName()).isEqualTo("CN=kcp-server");
				assertThat(context.getBean(KcpSessionRegistry.class).broadcast(null, "tick")).isEqualTo(1);
				Message<byte[]> push = context.getBean(PushCollector.class).pushes.poll(10, TimeUnit.SECONDS);
				assertThat(push).as("the push").isNotNull();
				assertThat(push.getHeaders().get(KcpHeaders.PEER_PRINCIPAL, Principal.class).getName())
					.isEqualTo("CN=kcp-server");
				assertThat(push.getHeaders().get(KcpHeaders.CIPHER_SUITE)).isEqualTo(security.cipherSuite());

				// The actuator shows the session as DTLS with its suite and peer, and never key material.
				KcpEndpoint.KcpDescriptor descriptor = context.getBean(KcpEndpoint.class).kcp();
				KcpEndpoint.ServerDescriptor described = descriptor.servers().get(0);
				assertThat(described.dtls()).isNotNull();
				assertThat(described.dtls().clientAuth()).isEqualTo("NEED");
				assertThat(described.counters().dtls()).containsEntry("handshakesCompleted", 1L)
					.containsEntry("handshakesFailed", 0L);
				assertThat(described.counters().dtls().get("cookiesSent")).as("the hello's cookie").isPositive();
				SimpleMeterRegistry meters = new SimpleMeterRegistry();
				new KcpServerContainerMetrics(context.getBean(KcpServerContainer.class)).bindTo(meters);
				assertThat(meters.get(KcpMeters.DTLS_HANDSHAKES).tag(KcpMeters.OUTCOME, "completed").functionCounter()
					.count()).isEqualTo(1);
				assertThat(meters.get(KcpMeters.DTLS_HANDSHAKES).tag(KcpMeters.OUTCOME, "failed").functionCounter()
					.count()).isZero();
				assertThat(described.sessions()).singleElement().satisfies((session) -> {
					assertThat(session.security().dtls()).isTrue();
					assertThat(session.security().protocol()).isEqualTo("DTLSv1.2");
					assertThat(session.security().cipherSuite()).isEqualTo(security.cipherSuite());
					assertThat(session.security().peer()).isEqualTo("CN=desk-7");
				});
				assertThat(descriptor.templates()).singleElement()
					.satisfies((template1) -> assertThat(template1.dtls().verifyHostname()).isTrue());
				String json = JsonMapper.builder().build().writeValueAsString(descriptor);
				assertThat(json).contains("\"cipherSuite\"", "\"peer\":\"CN=desk-7\"", "\"dtls\":true")
					.doesNotContain("PRIVATE", "BEGIN")
					.doesNotContain(base64(desk.key().getEncoded()))
					.doesNotContain(base64(server.key().getEncoded()))
					.doesNotContain(base64(desk.certificate().getEncoded()).substring(0, 40));
			});
	}

	@Test
	void withClientAuthWantAClientWithoutCertificateIsServedAnonymously() throws Exception {
		List<String> properties = new ArrayList<>();
		properties.addAll(DtlsTestBundles.pem(this.directory, "server", server, authority));
		properties.addAll(DtlsTestBundles.pem(this.directory, "trust-only", null, authority));
		properties.addAll(List.of("kcp.server.ssl.bundle=server", "kcp.client.ssl.bundle=trust-only",
				"kcp.ssl.client-auth=want"));
		this.serverRunner.withPropertyValues(properties.toArray(String[]::new)).run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			assertThat(template.sendAndReceiveBlocking("hello", String.class))
				.isEqualTo("hello from nobody chain 0 over TLS_");
		});
	}

	@Test
	void withClientAuthNeedAClientWithoutCertificateIsRefused() throws Exception {
		List<String> properties = new ArrayList<>();
		properties.addAll(DtlsTestBundles.pem(this.directory, "server", server, authority));
		properties.addAll(DtlsTestBundles.pem(this.directory, "trust-only", null, authority));
		properties.addAll(List.of("kcp.server.ssl.bundle=server", "kcp.client.ssl.bundle=trust-only",
				"kcp.ssl.client-auth=need"));
		this.serverRunner.withPropertyValues(properties.toArray(String[]::new)).run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			assertThatExceptionOfType(KcpHandshakeException.class)
				.isThrownBy(() -> template.sendAndReceiveBlocking("hello", String.class))
				.withMessageContaining("127.0.0.1");
			assertThat(context.getBean(Handlers.class).handled).isEmpty();
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			await().atMost(Duration.ofSeconds(20)).until(() -> container.getDtlsHandshakesFailed() >= 1);
			assertThat(container.getDtlsHandshakesCompleted()).isZero();
		});
	}

	@Test
	void aClientThatDoesNotTrustTheServersIssuerFailsWithAHandshakeException() throws Exception {
		List<String> properties = new ArrayList<>();
		properties.addAll(DtlsTestBundles.pem(this.directory, "server", server, authority));
		properties.add("kcp.ssl.bundle=server");
		this.serverRunner.withPropertyValues(properties.toArray(String[]::new)).run((serverContext) -> {
			int port = serverContext.getBean(KcpServerContainer.class).getPort();
			List<String> client = new ArrayList<>(
					DtlsTestBundles.pem(this.directory, "wrong-trust", desk, otherAuthority));
			client.addAll(List.of("kcp.ssl.bundle=wrong-trust", "kcp.client.port=" + port));
			this.clientRunner.withPropertyValues(client.toArray(String[]::new)).run((context) -> {
				KcpTemplate template = context.getBean(KcpTemplate.class);
				assertThatExceptionOfType(KcpHandshakeException.class)
					.isThrownBy(() -> template.sendAndReceiveBlocking("hello", String.class))
					.withMessageContaining("127.0.0.1:" + port);
				CompletableFuture<String> reply = template.sendAndReceive("hello", String.class);
				assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> reply.get(30, TimeUnit.SECONDS))
					.withCauseInstanceOf(KcpHandshakeException.class);
			});
			assertThat(serverContext.getBean(Handlers.class).handled).isEmpty();
		});
	}

	@Test
	void aRenewedCertificateServesNewHandshakesWhileTheOpenSessionGoesOn() throws Exception {
		List<String> properties = new ArrayList<>();
		properties.addAll(DtlsTestBundles.pem(this.directory, "server", server, authority, "reload-on-update=true"));
		properties.addAll(List.of("kcp.ssl.bundle=server", "spring.ssl.bundle.watch.file.quiet-period=500ms"));
		this.serverRunner.withPropertyValues(properties.toArray(String[]::new)).run((serverContext) -> {
			KcpServerContainer container = serverContext.getBean(KcpServerContainer.class);
			int port = container.getPort();
			DtlsSettings before = container.getDtlsSettings();
			client(port, "trusts-old", authority, (oldClient) -> {
				assertThat(oldClient.sendAndReceiveBlocking("before", String.class)).startsWith("before from");
				InetSocketAddress target = oldClient.getDefaultTarget();
				KcpSecurityInfo firstSession = oldClient.getSecurityInfo(target);

				// The certificate is renewed by another issuer: Boot sees the files change and reloads the bundle.
				Identity nextAuthority = TestPki.authority("Next CA");
				DtlsTestBundles.renewPem(this.directory, "server", TestPki.server(nextAuthority, "kcp-server"));
				await().atMost(Duration.ofSeconds(30)).until(() -> container.getDtlsSettings() != before);

				// The open session keeps its keys and goes on
				assertThat(oldClient.sendAndReceiveBlocking("after", String.class)).startsWith("after from");
				assertThat(oldClient.getSecurityInfo(target)).isSameAs(firstSession);
				// New handshakes use the new certificate: a client that trusts only its issuer gets in ...
				client(port, "trusts-next", nextAuthority, (nextClient) -> {
					assertThat(nextClient.sendAndReceiveBlocking("new", String.class)).startsWith("new from");
					X509Certificate served = (X509Certificate) nextClient.getSecurityInfo(target)
						.peerCertificates()
						.get(0);
					assertThat(served.getIssuerX500Principal().getName()).isEqualTo("CN=Next CA");
				});
				// ... and a new client that trusts only the old issuer does not.
				client(port, "still-trusts-old", authority, (lateClient) -> assertThatExceptionOfType(
						KcpHandshakeException.class)
					.isThrownBy(() -> lateClient.sendAndReceiveBlocking("late", String.class)));
			});
		});
	}

	/** Runs {@code body} with the template of a client-only application that trusts {@code trusted}. */
	private void client(int port, String bundle, Identity trusted, ClientBody body) throws Exception {
		List<String> client = new ArrayList<>(DtlsTestBundles.pem(this.directory, bundle, null, trusted));
		client.addAll(List.of("kcp.ssl.bundle=" + bundle, "kcp.client.port=" + port));
		this.clientRunner.withPropertyValues(client.toArray(String[]::new)).run((context) -> {
			assertThat(context).hasNotFailed();
			body.run(context.getBean(KcpTemplate.class));
		});
	}

	@FunctionalInterface
	interface ClientBody {

		void run(KcpTemplate template) throws Exception;

	}

	private static String base64(byte[] bytes) {
		return Base64.getEncoder().encodeToString(bytes);
	}

	@Configuration(proxyBeanMethods = false)
	static class Handlers {

		final BlockingQueue<String> handled = new LinkedBlockingQueue<>();

		@Bean
		WhoAmI whoAmI() {
			return new WhoAmI(this.handled);
		}

	}

	static class WhoAmI {

		private final BlockingQueue<String> handled;

		WhoAmI(BlockingQueue<String> handled) {
			this.handled = handled;
		}

		@KcpHandler
		String whoAmI(String text, @Nullable Principal peer, X509Certificate @Nullable [] chain,
				@Header(name = KcpHeaders.CIPHER_SUITE, required = false) @Nullable String suite) {
			this.handled.add(text);
			return text + " from " + ((peer != null) ? peer.getName() : "nobody") + " chain "
					+ ((chain != null) ? chain.length : 0) + " over " + ((suite != null) ? suite.substring(0, 4) : "-");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class PushCollector {

		final BlockingQueue<Message<byte[]>> pushes = new LinkedBlockingQueue<>();

		@Bean
		KcpPushHandler collector() {
			return this.pushes::add;
		}

	}

}
