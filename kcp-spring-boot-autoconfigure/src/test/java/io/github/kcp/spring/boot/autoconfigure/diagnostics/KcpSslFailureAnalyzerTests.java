package io.github.kcp.spring.boot.autoconfigure.diagnostics;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.boot.autoconfigure.DtlsTestBundles;
import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpSslConfigurationException;
import io.github.kcp.spring.boot.autoconfigure.KcpTemplateAutoConfiguration;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.support.SpringFactoriesLoader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A DTLS configuration that cannot work fails the start with a {@link KcpSslConfigurationException} naming the
 * property to fix, explained by {@link KcpSslFailureAnalyzer}: an unknown bundle (shared or per side), a bundle
 * whose enabled protocols exclude DTLSv1.2, DTLS with {@code kcp.crypto.*} or a packet cipher bean, an unsupported
 * cipher suite, unusable timeouts or mtu, an unknown client-auth value.
 */
@Timeout(60)
class KcpSslFailureAnalyzerTests {

	private static Identity authority;

	private static Identity server;

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
	}

	@Test
	void theAnalyzerIsRegistered() {
		List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation(getClass().getClassLoader())
			.load(FailureAnalyzer.class, SpringFactoriesLoader.FailureHandler.handleMessage((message, failure) -> {
			}));
		assertThat(analyzers).hasAtLeastOneElementOfType(KcpSslFailureAnalyzer.class);
	}

	@Test
	void anUnknownBundleNamesThePropertyAndTheDefinedBundles() throws Exception {
		run(withBundle("kcp.ssl.bundle=missing"), (context, failure, analysis) -> {
			assertThat(failure.getName()).isEqualTo("kcp.ssl.bundle");
			assertThat(failure.getValue()).isEqualTo("missing");
			assertThat(analysis.getDescription()).contains("'missing'", "kcp.ssl.bundle", "defined: kcp");
			assertThat(analysis.getAction()).contains("spring.ssl.bundle.pem.missing", "spring.ssl.bundle.jks.missing");
		});
	}

	@Test
	void anUnknownBundleOfOneSideNamesThatSidesProperty() throws Exception {
		this.contextRunner.withUserConfiguration(Handlers.class)
			.withPropertyValues(withBundle("kcp.ssl.bundle=kcp", "kcp.server.ssl.bundle=server-cert"))
			.run((context) -> assertFailure(context, (ctx, failure, analysis) -> {
				assertThat(failure.getName()).isEqualTo("kcp.server.ssl.bundle");
				assertThat(analysis.getDescription()).contains("server-cert");
			}));
		run(withBundle("kcp.ssl.bundle=kcp", "kcp.client.ssl.bundle=client-cert"),
				(context, failure, analysis) -> assertThat(failure.getName()).isEqualTo("kcp.client.ssl.bundle"));
	}

	@Test
	void aBundleWithoutDtlsAmongItsProtocolsNamesTheBundlesOption() throws Exception {
		run(withBundle(List.of("options.enabled-protocols=TLSv1.3,TLSv1.2"), "kcp.ssl.bundle=kcp"),
				(context, failure, analysis) -> {
					assertThat(failure.getName()).isEqualTo("spring.ssl.bundle.(jks|pem).kcp.options.enabled-protocols");
					assertThat(analysis.getDescription()).contains("TLSv1.3, TLSv1.2", "DTLSv1.2", "kcp.ssl.bundle");
					assertThat(analysis.getAction()).contains("Add DTLSv1.2");
				});
		// A bundle that allows DTLSv1.2 is fine
		this.contextRunner
			.withPropertyValues(withBundle(List.of("options.enabled-protocols=DTLSv1.2"), "kcp.ssl.bundle=kcp"))
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void dtlsWithPacketEncryptionNamesBoth() throws Exception {
		run(withBundle("kcp.ssl.bundle=kcp", "kcp.crypto.mode=aes-gcm", "kcp.crypto.key=k", "kcp.crypto.salt=s"),
				(context, failure, analysis) -> {
					assertThat(failure.getName()).isEqualTo("kcp.ssl.bundle");
					assertThat(analysis.getDescription()).contains("kcp.crypto.mode is 'aes-gcm'");
					assertThat(analysis.getAction()).contains("kcp.crypto.mode=none");
					assertThat(analysis.getDescription() + analysis.getAction()).as("no key material")
						.doesNotContain("kcp.crypto.key=k");
				});
		this.contextRunner.withUserConfiguration(CipherBean.class)
			.withPropertyValues(withBundle("kcp.ssl.bundle=kcp"))
			.run((context) -> assertFailure(context, (ctx, failure, analysis) -> {
				assertThat(analysis.getDescription()).contains("PacketCipher bean 'aes-gcm'");
				assertThat(analysis.getAction()).contains("Remove the PacketCipher bean");
			}));
	}

	@Test
	void anUnsupportedCipherSuiteNamesWhereItCameFrom() throws Exception {
		run(withBundle("kcp.ssl.bundle=kcp", "kcp.ssl.cipher-suites=TLS_NOT_A_SUITE"), (context, failure, analysis) -> {
			assertThat(failure.getName()).isEqualTo("kcp.ssl.cipher-suites");
			assertThat(analysis.getDescription()).contains("TLS_NOT_A_SUITE");
		});
		run(withBundle(List.of("options.ciphers=TLS_ALSO_NOT_A_SUITE"), "kcp.ssl.bundle=kcp"),
				(context, failure, analysis) -> assertThat(failure.getName())
					.isEqualTo("spring.ssl.bundle.(jks|pem).kcp.options.ciphers"));
	}

	@Test
	void unusableTimeoutsAndMtuNameTheirProperty() throws Exception {
		run(withBundle("kcp.ssl.bundle=kcp", "kcp.ssl.handshake-timeout=0s"),
				(context, failure, analysis) -> assertThat(failure.getName()).isEqualTo("kcp.ssl.handshake-timeout"));
		run(withBundle("kcp.ssl.bundle=kcp", "kcp.ssl.retransmit-timeout=2m"), (context, failure, analysis) -> {
			assertThat(failure.getName()).isEqualTo("kcp.ssl.retransmit-timeout");
			assertThat(analysis.getAction()).contains("at most 60s");
		});
		run(withBundle("kcp.ssl.bundle=kcp", "kcp.client.mtu=200"), (context, failure, analysis) -> {
			assertThat(failure.getName()).isEqualTo("kcp.client.mtu");
			assertThat(analysis.getAction()).contains("at least 256");
		});
	}

	@Test
	void anUnknownClientAuthListsTheDocumentedValues() throws Exception {
		this.contextRunner.withPropertyValues(withBundle("kcp.ssl.bundle=kcp", "kcp.ssl.client-auth=maybe"))
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = new KcpPropertyValueFailureAnalyzer().analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).contains("'maybe' for kcp.ssl.client-auth");
				assertThat(analysis.getAction()).contains("none, want, need");
			});
	}

	private String[] withBundle(String... properties) throws Exception {
		return withBundle(List.of(), properties);
	}

	private String[] withBundle(List<String> options, String... properties) throws Exception {
		List<String> all = new ArrayList<>(
				DtlsTestBundles.pem(this.directory, "kcp", server, authority, options.toArray(String[]::new)));
		all.addAll(List.of(properties));
		return all.toArray(String[]::new);
	}

	private void run(String[] properties, FailureAssertion assertion) {
		this.contextRunner.withPropertyValues(properties).run((context) -> assertFailure(context, assertion));
	}

	private static void assertFailure(AssertableApplicationContext context, FailureAssertion assertion)
			throws Exception {
		assertThat(context).hasFailed();
		FailureAnalysis analysis = new KcpSslFailureAnalyzer().analyze(context.getStartupFailure());
		assertThat(analysis).as("a KcpSslConfigurationException in the failure's causes").isNotNull();
		assertThat(analysis.getCause()).isInstanceOf(KcpSslConfigurationException.class);
		KcpSslConfigurationException failure = (KcpSslConfigurationException) analysis.getCause();
		assertThat(analysis.getDescription()).contains(failure.getName());
		assertThat(analysis.getAction()).isEqualTo(failure.getAction());
		assertion.check(context, failure, analysis);
	}

	@FunctionalInterface
	interface FailureAssertion {

		void check(AssertableApplicationContext context, KcpSslConfigurationException failure,
				FailureAnalysis analysis) throws Exception;

	}

	@Configuration(proxyBeanMethods = false)
	static class Handlers {

		@Bean
		Echo echo() {
			return new Echo();
		}

	}

	static class Echo {

		@KcpHandler
		String echo(String text) {
			return text;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class CipherBean {

		@Bean
		PacketCipher kcpPacketCipher() {
			return PacketCiphers.of(io.github.kcp.core.crypto.CipherMode.AES_GCM, "k".getBytes(), "s".getBytes());
		}

	}

}
