package io.github.kcp.spring.boot.autoconfigure;

import java.nio.file.Path;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;

import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kcp.ssl.*} with Spring Boot SSL bundles: the DTLS settings the server container and the template get (per
 * side, from PEM and PKCS#12 bundles, with the bundle's ciphers or {@code kcp.ssl.cipher-suites}), the defaults that
 * are the core's, and a bundle update that reaches both for new handshakes. Failures are in
 * {@code diagnostics.KcpSslFailureAnalyzerTests}; handshakes end to end in {@link KcpDtlsEndToEndTests}.
 */
@Timeout(60)
class KcpSslConfigurationTests {

	private static final String SUITE_A = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";

	private static final String SUITE_B = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";

	private static final String SUITE_C = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";

	private static Identity authority;

	private static Identity server;

	private static Identity client;

	@TempDir
	Path directory;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpTemplateAutoConfiguration.class))
		.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.client.host=127.0.0.1");

	@BeforeAll
	static void certificates() {
		authority = TestPki.authority("Test CA");
		server = TestPki.server(authority, "kcp-server");
		client = TestPki.client(authority, "desk-7");
	}

	@Test
	void defaultsAreTheCores() throws Exception {
		KcpProperties.Ssl ssl = new KcpProperties().getSsl();
		SSLContext context = SSLContext.getInstance("DTLS");
		context.init(null, null, null);
		DtlsSettings core = DtlsSettings.builder(context).build();
		assertThat(ssl.getBundle()).isNull();
		assertThat(ssl.getClientAuth()).isEqualTo(core.clientAuth());
		assertThat(ssl.isVerifyHostname()).isEqualTo(core.verifyHostname());
		assertThat(ssl.getCipherSuites()).as("defaults to the bundle's, else the core's").isNull();
		assertThat(ssl.getHandshakeTimeout().toMillis()).isEqualTo(core.handshakeTimeoutMillis());
		assertThat(ssl.getRetransmitTimeout().toMillis()).isEqualTo(core.initialRetransmitTimeoutMillis());
		assertThat(new KcpProperties().getServer().getSsl().getBundle()).isNull();
		assertThat(new KcpProperties().getClient().getSsl().getBundle()).isNull();
	}

	@Test
	void withoutABundleNothingUsesDtls() {
		this.contextRunner.withUserConfiguration(Handlers.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(KcpServerContainer.class).getDtlsSettings()).isNull();
			assertThat(context.getBean(KcpTemplate.class).getDtlsSettings()).isNull();
		});
	}

	@Test
	void eachSideGetsItsBundleAndItsOwnSettings() throws Exception {
		List<String> properties = new ArrayList<>();
		properties.addAll(DtlsTestBundles.pem(this.directory, "server", server, authority));
		properties.addAll(DtlsTestBundles.pem(this.directory, "client", client, authority));
		properties.addAll(List.of("kcp.server.ssl.bundle=server", "kcp.client.ssl.bundle=client",
				"kcp.ssl.client-auth=need", "kcp.ssl.verify-hostname=false", "kcp.server.mtu=1200",
				"kcp.client.mtu=1300", "kcp.ssl.handshake-timeout=5s", "kcp.ssl.retransmit-timeout=200ms"));
		this.contextRunner.withUserConfiguration(Handlers.class)
			.withPropertyValues(properties.toArray(String[]::new))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				DtlsSettings serverSide = context.getBean(KcpServerContainer.class).getDtlsSettings();
				assertThat(serverSide).isNotNull();
				assertThat(serverSide.sslContext().getProtocol()).isEqualTo("DTLS");
				assertThat(serverSide.clientAuth()).isEqualTo(DtlsClientAuth.NEED);
				assertThat(serverSide.maxDatagramSize()).isEqualTo(1200);
				assertThat(serverSide.handshakeTimeoutMillis()).isEqualTo(5000);
				assertThat(serverSide.initialRetransmitTimeoutMillis()).isEqualTo(200);
				DtlsSettings clientSide = context.getBean(KcpTemplate.class).getDtlsSettings();
				assertThat(clientSide).isNotNull();
				assertThat(clientSide.verifyHostname()).isFalse();
				assertThat(clientSide.maxDatagramSize()).isEqualTo(1300);
				assertThat(clientSide.handshakeTimeoutMillis()).isEqualTo(5000);
			});
	}

	@Test
	void theSharedBundleServesBothSidesUnlessASideNamesItsOwn() throws Exception {
		List<String> properties = new ArrayList<>();
		// The bundles' cipher options tell which bundle a side's settings came from.
		properties.addAll(DtlsTestBundles.pem(this.directory, "shared", server, authority, "options.ciphers=" + SUITE_A));
		properties.addAll(DtlsTestBundles.pem(this.directory, "own", client, authority, "options.ciphers=" + SUITE_B));
		properties.add("kcp.ssl.bundle=shared");
		this.contextRunner.withUserConfiguration(Handlers.class)
			.withPropertyValues(properties.toArray(String[]::new))
			.run((context) -> {
				assertThat(serverSettings(context).cipherSuites()).containsExactly(SUITE_A);
				assertThat(clientSettings(context).cipherSuites()).containsExactly(SUITE_A);
			});
		this.contextRunner.withUserConfiguration(Handlers.class)
			.withPropertyValues(properties.toArray(String[]::new))
			.withPropertyValues("kcp.client.ssl.bundle=own")
			.run((context) -> {
				assertThat(serverSettings(context).cipherSuites()).containsExactly(SUITE_A);
				assertThat(clientSettings(context).cipherSuites()).containsExactly(SUITE_B);
			});
		this.contextRunner.withUserConfiguration(Handlers.class)
			.withPropertyValues(properties.toArray(String[]::new))
			.withPropertyValues("kcp.server.ssl.bundle=own", "kcp.ssl.cipher-suites=" + SUITE_C + "," + SUITE_A)
			.run((context) -> {
				assertThat(serverSettings(context).cipherSuites()).as("kcp.ssl.cipher-suites wins")
					.containsExactly(SUITE_C, SUITE_A);
				assertThat(clientSettings(context).cipherSuites()).containsExactly(SUITE_C, SUITE_A);
			});
	}

	@Test
	void withoutCiphersInBundleOrPropertiesTheCoreDefaultsApply() throws Exception {
		this.contextRunner.withPropertyValues(DtlsTestBundles.pem(this.directory, "kcp", client, authority)
			.toArray(String[]::new)).withPropertyValues("kcp.ssl.bundle=kcp").run((context) -> {
				DtlsSettings settings = clientSettings(context);
				assertThat(settings.cipherSuites()).isNotEmpty()
					.allSatisfy((suite) -> assertThat(suite).containsAnyOf("_ECDHE_", "_DHE_")
						.containsAnyOf("_GCM_", "_CHACHA20_POLY1305_"));
			});
	}

	@Test
	void aPkcs12BundleWorksLikeAPemOne() throws Exception {
		this.contextRunner.withUserConfiguration(Handlers.class)
			.withPropertyValues(DtlsTestBundles.pkcs12(this.directory, "stores", server, authority)
				.toArray(String[]::new))
			.withPropertyValues("kcp.ssl.bundle=stores", "kcp.ssl.client-auth=want")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(serverSettings(context).clientAuth()).isEqualTo(DtlsClientAuth.WANT);
				assertThat(clientSettings(context).sslContext().getProtocol()).isEqualTo("DTLS");
			});
	}

	@Test
	void aBundleUpdateReachesTheServerAndTheTemplateForNewHandshakes() throws Exception {
		List<String> properties = new ArrayList<>(DtlsTestBundles.pem(this.directory, "kcp", server, authority));
		properties.add("kcp.ssl.bundle=kcp");
		properties.add("kcp.ssl.client-auth=need");
		this.contextRunner.withUserConfiguration(Handlers.class)
			.withPropertyValues(properties.toArray(String[]::new))
			.run((context) -> {
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				KcpTemplate template = context.getBean(KcpTemplate.class);
				DtlsSettings serverBefore = container.getDtlsSettings();
				DtlsSettings clientBefore = template.getDtlsSettings();
				Identity renewed = TestPki.server(TestPki.authority("Next CA"), "kcp-server");
				DefaultSslBundleRegistry registry = context.getBean(DefaultSslBundleRegistry.class);
				registry.updateBundle("kcp", DtlsTestBundles.bundle(renewed, authority, SslOptions.of(
						new String[] { SUITE_B }, null)));

				DtlsSettings serverAfter = container.getDtlsSettings();
				assertThat(serverAfter).isNotSameAs(serverBefore);
				assertThat(serverAfter.sslContext()).isNotSameAs(serverBefore.sslContext());
				assertThat(serverAfter.cipherSuites()).containsExactly(SUITE_B);
				assertThat(serverAfter.clientAuth()).as("the properties still apply").isEqualTo(DtlsClientAuth.NEED);
				assertThat(container.getServer().dtlsSettings()).as("the running server switched")
					.isSameAs(serverAfter);
				assertThat(template.getDtlsSettings()).isNotSameAs(clientBefore);
				assertThat(template.getDtlsSettings().cipherSuites()).containsExactly(SUITE_B);
			});
	}

	@Test
	void aBundleUpdateDoesNotUndoSettingsACustomizerReplaced() throws Exception {
		List<String> properties = new ArrayList<>(DtlsTestBundles.pem(this.directory, "kcp", server, authority));
		properties.add("kcp.ssl.bundle=kcp");
		this.contextRunner.withUserConfiguration(Handlers.class, OwnClientDtls.class)
			.withPropertyValues(properties.toArray(String[]::new))
			.run((context) -> {
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				KcpTemplate template = context.getBean(KcpTemplate.class);
				DtlsSettings own = template.getDtlsSettings();
				assertThat(own.handshakeTimeoutMillis()).as("the customizer's").isEqualTo(OwnClientDtls.TIMEOUT);
				DtlsSettings serverBefore = container.getDtlsSettings();
				context.getBean(DefaultSslBundleRegistry.class)
					.updateBundle("kcp", DtlsTestBundles.bundle(TestPki.server(TestPki.authority("Next CA"),
							"kcp-server"), authority, SslOptions.of(new String[] { SUITE_B }, null)));
				assertThat(container.getDtlsSettings()).as("the server still follows the bundle")
					.isNotSameAs(serverBefore);
				assertThat(template.getDtlsSettings()).as("the template keeps the customizer's").isSameAs(own);
			});
	}

	@Test
	void aReloadedBundleThatCannotServeDtlsKeepsThePreviousSettings() throws Exception {
		List<String> properties = new ArrayList<>(DtlsTestBundles.pem(this.directory, "kcp", server, authority));
		properties.add("kcp.ssl.bundle=kcp");
		this.contextRunner.withUserConfiguration(Handlers.class)
			.withPropertyValues(properties.toArray(String[]::new))
			.run((context) -> {
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				DtlsSettings before = container.getDtlsSettings();
				context.getBean(DefaultSslBundleRegistry.class)
					.updateBundle("kcp", DtlsTestBundles.bundle(server, authority,
							SslOptions.of(null, new String[] { "TLSv1.3" })));
				assertThat(container.getDtlsSettings()).isSameAs(before);
				assertThat(context.getBean(KcpTemplate.class).getDtlsSettings()).isNotNull();
			});
	}

	@Test
	void theRetransmitTimeoutTakesMillisecondsAndTheHandshakeTimeoutSeconds() throws Exception {
		this.contextRunner.withPropertyValues(DtlsTestBundles.pem(this.directory, "kcp", client, authority)
			.toArray(String[]::new))
			.withPropertyValues("kcp.ssl.bundle=kcp", "kcp.ssl.handshake-timeout=7", "kcp.ssl.retransmit-timeout=300")
			.run((context) -> {
				KcpProperties.Ssl ssl = context.getBean(KcpProperties.class).getSsl();
				assertThat(ssl.getHandshakeTimeout()).isEqualTo(Duration.ofSeconds(7));
				assertThat(ssl.getRetransmitTimeout()).isEqualTo(Duration.ofMillis(300));
				assertThat(clientSettings(context).initialRetransmitTimeoutMillis()).isEqualTo(300);
			});
	}

	private static DtlsSettings serverSettings(org.springframework.context.ApplicationContext context) {
		DtlsSettings settings = context.getBean(KcpServerContainer.class).getDtlsSettings();
		assertThat(settings).as("server DTLS settings").isNotNull();
		return settings;
	}

	private static DtlsSettings clientSettings(org.springframework.context.ApplicationContext context) {
		DtlsSettings settings = context.getBean(KcpTemplate.class).getDtlsSettings();
		assertThat(settings).as("template DTLS settings").isNotNull();
		return settings;
	}

	@Configuration(proxyBeanMethods = false)
	static class Handlers {

		@Bean
		WhoAmI whoAmI() {
			return new WhoAmI();
		}

	}

	static class WhoAmI {

		@KcpHandler
		String whoAmI(String text, @Nullable Principal peer) {
			return (peer != null) ? peer.getName() : "anonymous";
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OwnClientDtls {

		static final long TIMEOUT = 12_345;

		@Bean
		KcpTemplateCustomizer ownClientDtls() {
			return (template) -> template.setDtlsSettings(DtlsSettings.builder(template.getDtlsSettings().sslContext())
				.handshakeTimeoutMillis(TIMEOUT)
				.build());
		}

	}

}
