package io.github.kcp.spring.boot.autoconfigure;

import java.io.InputStream;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import com.jayway.jsonpath.JsonPath;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.AesGcmCipher;
import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.protocol.EngineMode;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.EnableKcp;
import io.github.kcp.spring.annotation.KcpBootstrapConfiguration;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerConfigurationException;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpHandlerErrorHandler;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.listener.KcpServerStartException;
import io.github.kcp.spring.listener.KcpSessionRegistry;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpMessageHandlerMethodFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.converter.StringMessageConverter;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link KcpAutoConfiguration}.
 */
@Timeout(30)
class KcpAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(KcpAutoConfiguration.class));

	@Test
	void registeredInTheImportsFile() {
		assertThat(ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader()).getCandidates())
			.contains(KcpAutoConfiguration.class.getName());
	}

	// ---------------------------------------------------------------- shared beans

	@Test
	void messageConverterUsesBootsJsonMapper() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class))
			.withPropertyValues("spring.jackson.property-naming-strategy=SNAKE_CASE")
			.run((context) -> {
				assertThat(context).hasBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME);
				MessageConverter converter = context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME,
						MessageConverter.class);
				byte[] json = (byte[]) converter.toMessage(new Sample("x", 2), null).getPayload();
				// Boot's mapper is the one configured by spring.jackson.*: the naming strategy shows it
				assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"first_name\":\"x\"");
			});
	}

	@Test
	void messageConverterWithoutBootsJsonMapperStillReadsJson() {
		this.contextRunner.run((context) -> {
			MessageConverter converter = context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME,
					MessageConverter.class);
			Object read = converter.fromMessage(
					MessageBuilder.withPayload("{\"firstName\":\"y\",\"count\":3}".getBytes(StandardCharsets.UTF_8))
						.build(),
					Sample.class);
			assertThat(read).isEqualTo(new Sample("y", 3));
		});
	}

	@Test
	void userMessageConverterWins() {
		this.contextRunner.withUserConfiguration(UserConverterConfiguration.class).run((context) -> {
			assertThat(context.getBean(KcpAutoConfiguration.MESSAGE_CONVERTER_BEAN_NAME))
				.isInstanceOf(StringMessageConverter.class);
		});
	}

	@Test
	void packetCipherIsNoneByDefault() {
		this.contextRunner.run((context) -> assertThat(context.getBean(PacketCipher.class)).isSameAs(PacketCipher.NONE));
	}

	@Test
	void packetCipherFromCryptoProperties() {
		this.contextRunner
			.withPropertyValues("kcp.crypto.mode=aes-gcm", "kcp.crypto.key=secret", "kcp.crypto.salt=hex:0011")
			.run((context) -> assertThat(context.getBean(PacketCipher.class)).isInstanceOf(AesGcmCipher.class));
	}

	@Test
	void userPacketCipherWins() {
		PacketCipher mine = PacketCipher.NONE;
		this.contextRunner.withBean("myCipher", PacketCipher.class, () -> mine)
			.withPropertyValues("kcp.crypto.mode=aes-gcm", "kcp.crypto.key=secret", "kcp.crypto.salt=salt")
			.run((context) -> {
				assertThat(context).hasSingleBean(PacketCipher.class);
				assertThat(context).hasBean("myCipher");
			});
	}

	@Test
	void cryptoModeWithoutKeyFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("kcp.crypto.mode=aes-cbc-hmac").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(invalidProperty(context.getStartupFailure())).isEqualTo("kcp.crypto.key");
		});
	}

	// ---------------------------------------------------------------- properties

	@Test
	void everyPropertyBinds() throws Exception {
		Map<String, Object> expected = new LinkedHashMap<>();
		expected.put("kcp.mtu", 1200);
		expected.put("kcp.nodelay", NodelayMode.FAST);
		expected.put("kcp.interval", Duration.ofMillis(20));
		expected.put("kcp.resend", 3);
		expected.put("kcp.congestion-control", false);
		expected.put("kcp.send-window", 64);
		expected.put("kcp.receive-window", 256);
		expected.put("kcp.stream", true);
		expected.put("kcp.idle-timeout", Duration.ofSeconds(30));
		expected.put("kcp.min-rto", Duration.ofMillis(15));
		expected.put("kcp.dead-link", 11);
		expected.put("kcp.fast-limit", 7);
		expected.put("kcp.send-buffer-size", DataSize.ofKilobytes(512));
		expected.put("kcp.read-buffer-size", DataSize.ofKilobytes(256));
		expected.put("kcp.close-timeout", Duration.ofSeconds(3));
		expected.put("kcp.eager-flush", false);
		expected.put("kcp.message-format", KcpMessageFormat.ENVELOPE);
		expected.put("kcp.engine-mode", EngineMode.IKCP);
		expected.put("kcp.ack-delay", Duration.ofMillis(3));
		expected.put("kcp.crypto.mode", CipherMode.AES_GCM);
		expected.put("kcp.crypto.key", "key");
		expected.put("kcp.crypto.salt", "base64:c2FsdA==");
		expected.put("kcp.stream-framing.codec", StreamFramingCodec.LENGTH_HEADER_2);
		expected.put("kcp.stream-framing.max-message-size", DataSize.ofKilobytes(8));
		expected.put("kcp.server.enabled", false);
		expected.put("kcp.server.address", InetAddress.getLoopbackAddress());
		expected.put("kcp.server.port", 9123);
		expected.put("kcp.server.max-sessions", 77);
		expected.put("kcp.server.new-sessions-per-second", 5);
		expected.put("kcp.server.closed-session-memory", Duration.ofSeconds(9));
		expected.put("kcp.server.max-sessions-per-address", 12);
		expected.put("kcp.server.new-sessions-per-address-per-second", 6);
		expected.put("kcp.server.unproven-idle-timeout", Duration.ofSeconds(7));
		expected.put("kcp.server.unproven-receive-budget", DataSize.ofKilobytes(32));
		expected.put("kcp.server.amplification-factor", 4);
		expected.put("kcp.server.memory-budget", DataSize.ofMegabytes(64));
		expected.put("kcp.server.read-coalescing", Duration.ofMillis(2));
		expected.put("kcp.server.shutdown-timeout", Duration.ofSeconds(4));
		expected.put("kcp.server.handler-executor.pool-size", 3);
		expected.put("kcp.server.handler-executor.queue-capacity", 33);
		expected.put("kcp.server.handler-executor.thread-name-prefix", "my-kcp-");
		expected.put("kcp.server.message-format", KcpMessageFormat.RAW);
		expected.put("kcp.server.observation-enabled", true);
		expected.put("kcp.client.observation-enabled", true);
		expected.put("kcp.client.message-format", KcpMessageFormat.ENVELOPE);
		expected.put("kcp.client.host", "example.org");
		expected.put("kcp.client.port", 9124);
		expected.put("kcp.client.reply-timeout", Duration.ofSeconds(7));
		expected.put("kcp.ssl.bundle", "kcp");
		expected.put("kcp.ssl.client-auth", DtlsClientAuth.WANT);
		expected.put("kcp.ssl.verify-hostname", false);
		expected.put("kcp.ssl.cipher-suites",
				List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
		expected.put("kcp.ssl.handshake-timeout", Duration.ofSeconds(12));
		expected.put("kcp.ssl.retransmit-timeout", Duration.ofMillis(250));
		expected.put("kcp.server.ssl.bundle", "kcp-server");
		expected.put("kcp.client.ssl.bundle", "kcp-client");
		for (String side : List.of("server", "client")) {
			expected.put("kcp." + side + ".mtu", 1300);
			expected.put("kcp." + side + ".nodelay", NodelayMode.OFF);
			expected.put("kcp." + side + ".interval", Duration.ofMillis(30));
			expected.put("kcp." + side + ".resend", 4);
			expected.put("kcp." + side + ".congestion-control", true);
			expected.put("kcp." + side + ".send-window", 128);
			expected.put("kcp." + side + ".receive-window", 512);
			expected.put("kcp." + side + ".stream", false);
			expected.put("kcp." + side + ".idle-timeout", Duration.ofSeconds(40));
			expected.put("kcp." + side + ".min-rto", Duration.ofMillis(25));
			expected.put("kcp." + side + ".dead-link", 12);
			expected.put("kcp." + side + ".fast-limit", 8);
			expected.put("kcp." + side + ".send-buffer-size", DataSize.ofKilobytes(128));
			expected.put("kcp." + side + ".read-buffer-size", DataSize.ofKilobytes(64));
			expected.put("kcp." + side + ".close-timeout", Duration.ofSeconds(2));
			expected.put("kcp." + side + ".eager-flush", true);
			expected.put("kcp." + side + ".engine-mode", EngineMode.TUNED);
			expected.put("kcp." + side + ".ack-delay", Duration.ofMillis(4));
		}
		// Every property the metadata lists is covered here, so a new property cannot go untested
		try (InputStream json = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			List<String> names = JsonPath.read(json, "$.properties[*].name");
			// Besides kcp.*, the processor lists the kcp actuator endpoint's own management.endpoint.kcp.*.
			assertThat(expected.keySet())
				.containsExactlyInAnyOrderElementsOf(names.stream().filter((name) -> name.startsWith("kcp.")).toList());
			assertThat(names).contains("management.endpoint.kcp.access");
		}
		List<String> values = new ArrayList<>();
		expected.forEach((name, value) -> values.add(name + "=" + text(value)));
		this.contextRunner.withPropertyValues(values.toArray(String[]::new)).run((context) -> {
			assertThat(context).hasNotFailed();
			BeanWrapperImpl properties = new BeanWrapperImpl(context.getBean(KcpProperties.class));
			expected.forEach((name, value) -> assertThat(properties.getPropertyValue(beanPath(name))).as(name)
				.isEqualTo(value));
		});
	}

	@Test
	void serverPropertiesReachTheContainer() {
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
			.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.interval=40ms",
					"kcp.server.send-window=300", "kcp.server.shutdown-timeout=7s",
					"kcp.server.handler-executor.pool-size=3", "kcp.server.handler-executor.queue-capacity=50")
			.run((context) -> {
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				assertThat(container.getConfig().interval()).isEqualTo(40);
				assertThat(container.getConfig().sendWindow()).isEqualTo(300);
				assertThat(container.getShutdownTimeout()).isEqualTo(Duration.ofSeconds(7));
				assertThat(container.getLocalAddress().getAddress().isLoopbackAddress()).isTrue();
				assertThat(container.getTaskExecutor()).isInstanceOfSatisfying(ThreadPoolExecutor.class, (pool) -> {
					assertThat(pool.getMaximumPoolSize()).isEqualTo(3);
					assertThat(pool.getQueue().remainingCapacity()).isEqualTo(50);
				});
			});
	}

	@Test
	void invalidServerConfigurationFailsNamingTheProperty() {
		Map<String, String> cases = Map.of("kcp.server.mtu=10", "kcp.server.mtu", "kcp.send-window=-1",
				"kcp.send-window", "kcp.server.port=70000", "kcp.server.port", "kcp.server.max-sessions=0",
				"kcp.server.max-sessions", "kcp.server.handler-executor.pool-size=0",
				"kcp.server.handler-executor.pool-size", "kcp.server.shutdown-timeout=-1s",
				"kcp.server.shutdown-timeout", "kcp.server.interval=1ms", "kcp.server.interval");
		cases.forEach((property, name) -> this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
			.withPropertyValues("kcp.server.port=0", property)
			.run((context) -> {
				assertThat(context).as(property).hasFailed();
				assertThat(invalidProperty(context.getStartupFailure())).as(property).isEqualTo(name);
			}));
	}

	@Test
	void aPortInUseFailsTheStartNamingTheAddress() throws Exception {
		try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
			this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
				.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=" + taken.getLocalPort())
				.run((context) -> {
					assertThat(context).hasFailed();
					assertThat(context.getStartupFailure()).hasMessageContaining("kcpServerContainer")
						.cause()
						.isInstanceOf(KcpServerStartException.class)
						.hasMessageContaining("/127.0.0.1:" + taken.getLocalPort())
						.rootCause()
						.isInstanceOf(BindException.class);
				});
		}
	}

	// ---------------------------------------------------------------- server presence

	@Test
	void noServerWithoutHandlers() {
		this.contextRunner.run((context) -> {
			assertThat(context).doesNotHaveBean(KcpServerContainer.class);
			// The handler infrastructure is there, ready for handlers
			assertThat(context).hasSingleBean(KcpHandlerRegistry.class);
			assertThat(context).hasBean(KcpBootstrapConfiguration.KCP_HANDLER_ANNOTATION_PROCESSOR_BEAN_NAME);
		});
	}

	@Test
	void serverWithAHandlerListensAndAnswers() {
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
			.withPropertyValues("kcp.server.port=0")
			.run((context) -> {
				assertThat(context).hasSingleBean(KcpServerContainer.class);
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				assertThat(container.isRunning()).isTrue();
				assertThat(container.getPort()).isPositive();
				assertThat(context.getBean(KcpHandlerRegistry.class).getEndpoints()).singleElement()
					.satisfies((endpoint) -> assertThat(endpoint.getMethod().getName()).isEqualTo("upper"));
				assertThat(requestText(container.getPort(), "abc")).isEqualTo("ABC");
			});
	}

	@Test
	void handlerBeansStayEagerUnderLazyInitialization() {
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
			.withBean("someOtherBean", StringBuilder.class, StringBuilder::new)
			.withInitializer((context) -> context.addBeanFactoryPostProcessor(
					new LazyInitializationBeanFactoryPostProcessor()))
			.withPropertyValues("kcp.server.port=0")
			.run((context) -> {
				assertThat(context.getBeanFactory().getBeanDefinition("someOtherBean").isLazyInit()).isTrue();
				assertThat(context.getBeanFactory().getBeanDefinition("upperHandler").isLazyInit()).isFalse();
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				assertThat(requestText(container.getPort(), "lazy")).isEqualTo("LAZY");
			});
	}

	@Test
	void serverEnabledFalseWinsOverHandlers() {
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
			.withPropertyValues("kcp.server.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(KcpServerContainer.class));
	}

	@Test
	void serverEnabledTrueRunsWithoutHandlers() {
		this.contextRunner.withPropertyValues("kcp.server.enabled=true", "kcp.server.port=0").run((context) -> {
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			assertThat(container.isRunning()).isTrue();
			assertThat(container.getPort()).isPositive();
		});
	}

	@Test
	void twoHandlersForTheSamePayloadFailTheStartNamingBothMethods() {
		this.contextRunner.withUserConfiguration(AmbiguousHandlersConfiguration.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(KcpHandlerConfigurationException.class)
				.hasMessageContaining("AmbiguousHandlers.first(String)")
				.hasMessageContaining("AmbiguousHandlers.second(String)");
		});
	}

	// ---------------------------------------------------------------- backing off, customizing

	@Test
	void userContainerNamedKcpServerContainerMakesTheAutoConfiguredOneBackOff() {
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class, UserContainerConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(KcpServerContainer.class);
				assertThat(context.getBean(KcpServerContainer.class).isRunning()).isFalse();
				assertThat(context.getBean(KcpSessionRegistry.class))
					.isSameAs(context.getBean(KcpServerContainer.class).getSessionRegistry());
			});
	}

	@Test
	void aSecondServerConfiguredByTheConfigurerServesItsOwnHandlers() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(KcpTemplateAutoConfiguration.class))
			.withUserConfiguration(SecondServerConfiguration.class)
			.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.message-format=envelope",
					"kcp.interval=10ms")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				KcpServerContainer main = context.getBean(KcpAutoConfiguration.SERVER_CONTAINER_BEAN_NAME,
						KcpServerContainer.class);
				KcpServerContainer raw = context.getBean("rawServer", KcpServerContainer.class);
				assertThat(main.getMessageFormat()).isEqualTo(KcpMessageFormat.ENVELOPE);
				assertThat(raw.getMessageFormat()).isEqualTo(KcpMessageFormat.RAW);
				assertThat(raw.getConfig().interval()).as("the configurer applied kcp.*").isEqualTo(10);
				KcpTemplate template = context.getBean(KcpTemplate.class);
				assertThat(template.sendAndReceiveBlocking(main.getLocalAddress(), "greet", "ann", String.class,
						Duration.ofSeconds(5)))
					.isEqualTo("hello ann");
				try (KcpTemplate rawTemplate = rawTemplate(context)) {
					assertThat(rawTemplate.sendAndReceiveBlocking(raw.getLocalAddress(), null, "ann", String.class,
							Duration.ofSeconds(5)))
						.isEqualTo("raw ann");
				}
			});
	}

	private static KcpTemplate rawTemplate(org.springframework.context.ApplicationContext context) {
		KcpTemplate template = new KcpTemplate(context.getBean(KcpTemplateConfigurer.class).clientConfig(),
				io.github.kcp.spring.support.KcpMessageConverters.create());
		template.setMessageFormat(KcpMessageFormat.RAW);
		return template;
	}

	@Test
	void userMethodFactoryAndEnableKcpMakeTheirBeansBackOff() {
		KcpMessageHandlerMethodFactory factory = new KcpMessageHandlerMethodFactory(new StringMessageConverter());
		this.contextRunner.withUserConfiguration(EnableKcpConfiguration.class)
			.withBean(KcpAutoConfiguration.MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME,
					KcpMessageHandlerMethodFactory.class, () -> factory)
			.run((context) -> {
				assertThat(context.getBean(KcpAutoConfiguration.MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME))
					.isSameAs(factory);
				assertThat(context).hasSingleBean(KcpHandlerRegistry.class);
			});
	}

	@Test
	void customizersAreAppliedInOrderAfterTheProperties() {
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class, CustomizersConfiguration.class)
			.withPropertyValues("kcp.server.port=0", "kcp.server.max-sessions=100")
			.run((context) -> {
				CustomizersConfiguration customizers = context.getBean(CustomizersConfiguration.class);
				assertThat(customizers.calls).containsExactly("first", "second");
				// The customizer's maxSessions(1) replaced the property's 100: a second session is refused
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				KcpServer server = container.getServer();
				InetSocketAddress target = new InetSocketAddress("127.0.0.1", container.getPort());
				CompletableFuture<byte[]> firstReply = new CompletableFuture<>();
				KcpSession first = KcpClient.builder().handler((session, message) -> firstReply.complete(message))
					.connect(target);
				KcpSession second = KcpClient.builder().handler((session, message) -> {
				}).connect(target);
				try {
					first.send("one".getBytes(StandardCharsets.UTF_8));
					assertThat(firstReply.get(10, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8).isEqualTo("ONE");
					second.send("two".getBytes(StandardCharsets.UTF_8));
					await().atMost(Duration.ofSeconds(10))
						.until(() -> server.droppedDatagrams(DropReason.SESSION_LIMIT) > 0);
					assertThat(server.sessionCount()).isEqualTo(1);
				}
				finally {
					first.abort();
					second.abort();
				}
			});
	}

	@Test
	void handlerExecutorBeanIsUsed() {
		Executor mine = new SimpleAsyncTaskExecutor("mine-");
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
			.withBean(KcpAutoConfiguration.HANDLER_EXECUTOR_BEAN_NAME, Executor.class, () -> mine)
			.withPropertyValues("kcp.server.port=0")
			.run((context) -> {
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				assertThat(container.getTaskExecutor()).isSameAs(mine);
				assertThat(requestText(container.getPort(), "thread")).isEqualTo("THREAD");
				assertThat(context.getBean(UpperHandler.class).lastThread).startsWith("mine-");
			});
	}

	@Test
	void virtualThreadsWhenEnabledAndTheJvmHasThem() {
		boolean jvmHasVirtualThreads = Runtime.version().feature() >= 21;
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
			.withPropertyValues("kcp.server.port=0", "spring.threads.virtual.enabled=true")
			.run((context) -> {
				KcpServerContainer container = context.getBean(KcpServerContainer.class);
				assertThat(requestText(container.getPort(), "v")).isEqualTo("V");
				UpperHandler handler = context.getBean(UpperHandler.class);
				if (jvmHasVirtualThreads) {
					assertThat(container.getTaskExecutor()).isInstanceOf(SimpleAsyncTaskExecutor.class);
					assertThat(handler.lastThreadVirtual).isTrue();
				}
				else {
					// Java 17: the property cannot be honoured, the platform pool serves
					assertThat(container.getTaskExecutor()).isInstanceOf(ThreadPoolExecutor.class);
					assertThat(handler.lastThreadVirtual).isFalse();
				}
			});
	}

	@Test
	void errorHandlerBeanRepliesForFailedHandlers() {
		this.contextRunner.withUserConfiguration(HandlerConfiguration.class)
			.withBean(KcpHandlerErrorHandler.class,
					() -> (session, endpoint, message, error) -> "error: " + error.getMessage())
			.withPropertyValues("kcp.server.port=0")
			.run((context) -> {
				int port = context.getBean(KcpServerContainer.class).getPort();
				assertThat(requestText(port, "boom")).isEqualTo("error: no boom please");
			});
	}

	// ---------------------------------------------------------------- helpers

	private static String requestText(int port, String text) throws Exception {
		CompletableFuture<byte[]> reply = new CompletableFuture<>();
		KcpSession session = KcpClient.builder()
			.config(KcpConfig.builder().interval(10).build())
			.handler((s, message) -> reply.complete(message))
			.connect(new InetSocketAddress("127.0.0.1", port));
		try {
			session.send(text.getBytes(StandardCharsets.UTF_8));
			return new String(reply.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
		}
		finally {
			session.abort();
		}
	}

	/** The property named by the first {@link InvalidConfigurationPropertyValueException} in the causes. */
	private static String invalidProperty(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof InvalidConfigurationPropertyValueException invalid) {
				return invalid.getName();
			}
		}
		throw new AssertionError("No InvalidConfigurationPropertyValueException in " + failure, failure);
	}

	private static String beanPath(String property) {
		String[] parts = property.substring("kcp.".length()).split("\\.");
		StringBuilder path = new StringBuilder();
		for (String part : parts) {
			if (!path.isEmpty()) {
				path.append('.');
			}
			String[] words = part.split("-");
			path.append(words[0]);
			for (int i = 1; i < words.length; i++) {
				path.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
			}
		}
		return path.toString();
	}

	private static String text(Object value) {
		if (value instanceof Duration duration) {
			return duration.toMillis() + "ms";
		}
		if (value instanceof DataSize size) {
			return size.toBytes() + "B";
		}
		if (value instanceof InetAddress address) {
			return address.getHostAddress();
		}
		if (value instanceof CipherMode mode) {
			return mode.modeName();
		}
		if (value instanceof NodelayMode mode) {
			return Integer.toString(mode.mode());
		}
		if (value instanceof List<?> list) {
			return String.join(",", list.stream().map(String::valueOf).toList());
		}
		return String.valueOf(value);
	}

	record Sample(String firstName, int count) {
	}

	/** A text handler that upper-cases, remembers its thread, and fails on "boom". */
	static class UpperHandler {

		volatile String lastThread;

		volatile boolean lastThreadVirtual;

		@KcpHandler
		String upper(String text) throws Exception {
			this.lastThread = Thread.currentThread().getName();
			this.lastThreadVirtual = (Runtime.version().feature() >= 21)
					&& (Boolean) Thread.class.getMethod("isVirtual").invoke(Thread.currentThread());
			if (text.equals("boom")) {
				throw new IllegalArgumentException("no boom please");
			}
			return text.toUpperCase();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class HandlerConfiguration {

		@Bean
		UpperHandler upperHandler() {
			return new UpperHandler();
		}

	}

	static class AmbiguousHandlers {

		@KcpHandler
		String first(String text) {
			return text;
		}

		@KcpHandler
		String second(String text) {
			return text;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class AmbiguousHandlersConfiguration {

		@Bean
		AmbiguousHandlers ambiguousHandlers() {
			return new AmbiguousHandlers();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SecondServerConfiguration {

		@Bean
		KcpServerContainer rawServer(KcpServerContainerConfigurer configurer, KcpHandlerRegistry registry) {
			KcpServerContainer container = new KcpServerContainer(registry);
			configurer.configure(container);
			container.setId("raw");
			container.setMessageFormat(KcpMessageFormat.RAW);
			container.setBindAddress(new java.net.InetSocketAddress("127.0.0.1", 0));
			return container;
		}

		@Bean
		TwoServerHandlers twoServerHandlers() {
			return new TwoServerHandlers();
		}

	}

	static class TwoServerHandlers {

		@KcpHandler("greet")
		String greet(String name) {
			return "hello " + name;
		}

		@KcpHandler(server = "raw")
		String raw(String name) {
			return "raw " + name;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserContainerConfiguration {

		@Bean
		KcpServerContainer kcpServerContainer(KcpHandlerRegistry registry) {
			KcpServerContainer container = new KcpServerContainer(registry);
			container.setAutoStartup(false);
			return container;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableKcp
	static class EnableKcpConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	static class CustomizersConfiguration {

		final List<String> calls = new CopyOnWriteArrayList<>();

		@Bean
		@Order(2)
		KcpServerCustomizer second() {
			return (builder) -> this.calls.add("second");
		}

		@Bean
		@Order(1)
		KcpServerCustomizer first() {
			return (builder) -> {
				this.calls.add("first");
				builder.maxSessions(1);
			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserConverterConfiguration {

		@Bean
		MessageConverter kcpMessageConverter() {
			return new StringMessageConverter();
		}

	}

}
