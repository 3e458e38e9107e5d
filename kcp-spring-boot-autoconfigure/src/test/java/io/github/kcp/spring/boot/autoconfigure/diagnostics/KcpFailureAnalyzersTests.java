package io.github.kcp.spring.boot.autoconfigure.diagnostics;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpTemplateAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.NodelayMode;
import io.github.kcp.spring.boot.autoconfigure.KcpProperties;
import io.github.kcp.spring.config.KcpJsonConverterMissingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.io.support.SpringFactoriesLoader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Start-up failures of KCP come with a description and the property or dependency that fixes them, values written
 * as the documentation writes them.
 */
@Timeout(30)
class KcpFailureAnalyzersTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(KcpAutoConfiguration.class, KcpTemplateAutoConfiguration.class));

	@Test
	void theAnalyzersAreRegistered() {
		// Boot's own analyzers need constructor arguments; only ours are of interest here
		List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation(getClass().getClassLoader())
			.load(FailureAnalyzer.class, SpringFactoriesLoader.FailureHandler.handleMessage((message, failure) -> {
			}));
		assertThat(analyzers).hasAtLeastOneElementOfType(KcpServerStartFailureAnalyzer.class)
			.hasAtLeastOneElementOfType(KcpHandlerConfigurationFailureAnalyzer.class)
			.hasAtLeastOneElementOfType(KcpPropertyValueFailureAnalyzer.class);
	}

	@Test
	void aTakenPortNamesTheAddressAndTheProperties() throws Exception {
		try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
			this.contextRunner.withUserConfiguration(TextHandler.class)
				.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=" + taken.getLocalPort())
				.run((context) -> {
					FailureAnalysis analysis = new KcpServerStartFailureAnalyzer().analyze(context.getStartupFailure());
					assertThat(analysis).isNotNull();
					assertThat(analysis.getDescription()).contains("/127.0.0.1:" + taken.getLocalPort());
					assertThat(analysis.getAction()).contains("kcp.server.port").contains("@LocalKcpServerPort");
				});
		}
	}

	@Test
	void undocumentedValuesAreAnsweredWithTheDocumentedOnes() {
		assertValueFailure("kcp.crypto.mode=foo", "'foo' for kcp.crypto.mode", "none, aes-cbc-hmac, aes-gcm");
		assertValueFailure("kcp.message-format=xml", "'xml' for kcp.message-format", "raw, envelope");
		assertValueFailure("kcp.server.nodelay=3", "'3' for kcp.server.nodelay", "false (or 0), true (or 1), or 2");
	}

	@Test
	void routesOnARawServerNameTheEnvelopeProperties() {
		this.contextRunner.withUserConfiguration(RoutedHandler.class)
			.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0")
			.run((context) -> {
				FailureAnalysis analysis = new KcpHandlerConfigurationFailureAnalyzer()
					.analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).contains("quote.get");
				assertThat(analysis.getAction()).contains("kcp.message-format=envelope")
					.contains("kcp.server.message-format");
			});
	}

	@Test
	void jsonHandlersWithoutJacksonFailTheStartNamingTheDependency() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("tools.jackson"))
			.withUserConfiguration(JsonHandler.class)
			.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(KcpJsonConverterMissingException.class);
				FailureAnalysis analysis = new KcpHandlerConfigurationFailureAnalyzer()
					.analyze(context.getStartupFailure());
				assertThat(analysis.getDescription()).contains("json(Map)");
				assertThat(analysis.getAction()).contains("org.springframework.boot:spring-boot-jackson");
			});
	}

	@Test
	void nodelayTakesBooleansAndModeTwoAsTextAndAsYamlValues() {
		this.contextRunner.withPropertyValues("kcp.nodelay=2", "kcp.server.nodelay=false", "kcp.client.nodelay=on")
			.run((context) -> {
				KcpProperties properties = context.getBean(KcpProperties.class);
				assertThat(properties.getNodelay()).isEqualTo(NodelayMode.FAST);
				assertThat(properties.getServer().getNodelay()).isEqualTo(NodelayMode.OFF);
				assertThat(properties.getClient().getNodelay()).isEqualTo(NodelayMode.ON);
			});
		// YAML gives booleans and numbers, not text
		this.contextRunner
			.withInitializer((context) -> context.getEnvironment()
				.getPropertySources()
				.addFirst(new MapPropertySource("yaml", Map.of("kcp.nodelay", 2, "kcp.server.nodelay", true))))
			.run((context) -> {
				KcpProperties properties = context.getBean(KcpProperties.class);
				assertThat(properties.getNodelay()).isEqualTo(NodelayMode.FAST);
				assertThat(properties.getServer().getNodelay()).isEqualTo(NodelayMode.ON);
			});
	}

	private void assertValueFailure(String property, String description, String values) {
		this.contextRunner.withPropertyValues(property).run((context) -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new KcpPropertyValueFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).as(property).isNotNull();
			assertThat(analysis.getDescription()).contains(description);
			assertThat(analysis.getAction()).contains(values);
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class TextHandler {

		@Bean
		Text textHandler() {
			return new Text();
		}

	}

	static class Text {

		@KcpHandler
		String text(String text) {
			return text;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RoutedHandler {

		@Bean
		Routed routed() {
			return new Routed();
		}

	}

	static class Routed {

		@KcpHandler("quote.get")
		String quote(String symbol) {
			return symbol;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class JsonHandler {

		@Bean
		Json json() {
			return new Json();
		}

	}

	static class Json {

		@KcpHandler
		Map<String, Object> json(Map<String, Object> json) {
			return json;
		}

	}

}
