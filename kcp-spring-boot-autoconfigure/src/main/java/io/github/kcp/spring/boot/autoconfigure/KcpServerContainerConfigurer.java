package io.github.kcp.spring.boot.autoconfigure;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSetting;
import io.github.kcp.core.connection.KcpSettings;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.spring.listener.KcpHandlerErrorHandler;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.micrometer.KcpHandlerObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.thread.Threading;
import org.springframework.core.env.Environment;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.util.unit.DataSize;

/**
 * Applies the {@code kcp.*}, {@code kcp.server.*} and {@code kcp.ssl.*} properties (DTLS with the SSL bundle of
 * the server side, kept current when the bundle is reloaded) to a {@link KcpServerContainer}, then the
 * {@link KcpServerCustomizer} beans: what the auto-configured server gets, for servers an application defines itself
 * (a second server on another port, for example) in the manner of Boot's {@code RabbitTemplateConfigurer}.
 *
 * <pre class="code">
 * &#64;Bean
 * KcpServerContainer rawServer(KcpServerContainerConfigurer configurer, KcpHandlerRegistry registry) {
 *     KcpServerContainer container = new KcpServerContainer(registry);
 *     configurer.configure(container);
 *     container.setId("raw");
 *     container.setMessageFormat(KcpMessageFormat.RAW);
 *     container.setBindAddress(new InetSocketAddress(9701));
 *     return container;
 * }
 * </pre>
 */
public class KcpServerContainerConfigurer {

	private final KcpProperties properties;

	private final PacketCipher cipher;

	private final @Nullable Executor handlerExecutor;

	private final @Nullable KcpHandlerErrorHandler errorHandler;

	private final List<KcpServerCustomizer> customizers;

	private final Environment environment;

	private @Nullable ObservationRegistry observationRegistry;

	private @Nullable KcpHandlerObservationConvention observationConvention;

	private @Nullable SslBundles sslBundles;

	/**
	 * @param properties the KCP properties
	 * @param cipher the packet cipher of every session
	 * @param handlerExecutor the application's handler executor (bean {@code kcpHandlerExecutor}), or {@code null}
	 * for one per container from {@code kcp.server.handler-executor.*} (virtual threads when enabled)
	 * @param errorHandler what peers get when a handler fails, or {@code null} for the default
	 * @param customizers applied after the properties, in order
	 * @param environment for {@code spring.threads.virtual.enabled}
	 */
	public KcpServerContainerConfigurer(KcpProperties properties, PacketCipher cipher,
			@Nullable Executor handlerExecutor, @Nullable KcpHandlerErrorHandler errorHandler,
			List<KcpServerCustomizer> customizers, Environment environment) {
		this.properties = Objects.requireNonNull(properties, "properties");
		this.cipher = Objects.requireNonNull(cipher, "cipher");
		this.handlerExecutor = handlerExecutor;
		this.errorHandler = errorHandler;
		this.customizers = List.copyOf(customizers);
		this.environment = Objects.requireNonNull(environment, "environment");
	}

	/**
	 * Sets what observes handler invocations when {@code kcp.server.observation-enabled} is true.
	 * @param observationRegistry the application's registry, or {@code null} for none
	 * @param observationConvention the application's convention, or {@code null} for the default
	 */
	public void setObservation(@Nullable ObservationRegistry observationRegistry,
			@Nullable KcpHandlerObservationConvention observationConvention) {
		this.observationRegistry = observationRegistry;
		this.observationConvention = observationConvention;
	}

	/**
	 * Sets where the SSL bundle named by {@code kcp.server.ssl.bundle} (else {@code kcp.ssl.bundle}) comes from.
	 * @param sslBundles Boot's SSL bundles, or {@code null} for none (then no bundle can be named)
	 */
	public void setSslBundles(@Nullable SslBundles sslBundles) {
		this.sslBundles = sslBundles;
	}

	/**
	 * Applies the properties and the customizers.
	 * @param container the container to configure
	 * @throws InvalidConfigurationPropertyValueException naming the property of the first invalid value
	 */
	public void configure(KcpServerContainer container) {
		KcpProperties.Server server = this.properties.getServer();
		KcpConfig config = new KcpConfigMapper(this.properties).serverConfig(this.cipher);
		container.setConfig(config);
		applyDtls(container, config);
		container.setStreamFraming(StreamFramingFactory.framing(this.properties, config));
		container.setPacketCipher(this.cipher);
		container.setBindAddress(bindAddress(server));
		container.setMaxSessions(valid("kcp.server.max-sessions", KcpSettings.MAX_SESSIONS, server.getMaxSessions()));
		container.setNewSessionsPerSecond(valid("kcp.server.new-sessions-per-second",
				KcpSettings.NEW_SESSIONS_PER_SECOND, server.getNewSessionsPerSecond()));
		container.setClosedSessionMemory(valid("kcp.server.closed-session-memory", KcpSettings.CLOSED_SESSION_MEMORY,
				server.getClosedSessionMemory()));
		applyDefences(container, server);
		container.setShutdownTimeout(notNegative("kcp.server.shutdown-timeout", server.getShutdownTimeout()));
		container.setStartWithoutHandlers(Boolean.TRUE.equals(server.getEnabled()));
		container.setMessageFormat(messageFormat());
		if (this.handlerExecutor != null) {
			container.setTaskExecutor(this.handlerExecutor, false);
		}
		else {
			container.setTaskExecutor(ownExecutor(server.getHandlerExecutor()), true);
		}
		container.setErrorHandler(this.errorHandler);
		if (server.isObservationEnabled() && this.observationRegistry != null) {
			container.setObservationRegistry(this.observationRegistry);
			container.setObservationConvention(this.observationConvention);
		}
		if (this.cipher != PacketCipher.NONE) {
			DecryptFailureReporter reporter = new DecryptFailureReporter(this.cipher.name());
			container.addServerCustomizer((builder) -> builder.dropListener(reporter));
		}
		this.customizers.forEach((customizer) -> container.addServerCustomizer(customizer::customize));
	}

	/**
	 * DTLS from the SSL bundle of the server side, if one is named; a reload of the bundle reaches the container
	 * (and its running server) for the handshakes that follow.
	 */
	private void applyDtls(KcpServerContainer container, KcpConfig config) {
		DtlsSettingsFactory factory = new DtlsSettingsFactory(this.properties, this.sslBundles);
		DtlsSettings dtls = factory.create(DtlsSettingsFactory.Side.SERVER, config.mtu(), this.cipher);
		container.setDtlsSettings(dtls);
		if (dtls != null) {
			factory.onReload(DtlsSettingsFactory.Side.SERVER, config.mtu(), dtls, container::getDtlsSettings,
					container::updateDtlsSettings, container);
		}
	}

	/** The message format of the server side: {@code kcp.server.message-format}, else {@code kcp.message-format}. */
	KcpMessageFormat messageFormat() {
		KcpMessageFormat override = this.properties.getServer().getMessageFormat();
		return (override != null) ? override : this.properties.getMessageFormat();
	}

	private Executor ownExecutor(KcpProperties.HandlerExecutor settings) {
		if (Threading.VIRTUAL.isActive(this.environment)) {
			SimpleAsyncTaskExecutor virtual = new SimpleAsyncTaskExecutor(settings.getThreadNamePrefix());
			virtual.setVirtualThreads(true);
			return virtual;
		}
		Integer poolSize = settings.getPoolSize();
		int threads = (poolSize != null) ? atLeast("kcp.server.handler-executor.pool-size", poolSize, 1)
				: KcpServerContainer.DEFAULT_POOL_SIZE;
		int queueCapacity = atLeast("kcp.server.handler-executor.queue-capacity", settings.getQueueCapacity(), 1);
		return KcpServerContainer.defaultExecutor(threads, queueCapacity, settings.getThreadNamePrefix());
	}

	private static InetSocketAddress bindAddress(KcpProperties.Server server) {
		int port = server.getPort();
		if (port < 0 || port > 65535) {
			throw new InvalidConfigurationPropertyValueException("kcp.server.port", port,
					"Expected 0..65535 (0 picks a free port)");
		}
		InetAddress address = server.getAddress();
		return (address != null) ? new InetSocketAddress(address, port) : new InetSocketAddress(port);
	}

	/**
	 * The server's defences against hostile peers (per-address limits, terms of unproven peers, anti-amplification,
	 * memory budget) and its read coalescing, validated here so that a bad value names its property, applied to the
	 * core builder.
	 */
	private static void applyDefences(KcpServerContainer container, KcpProperties.Server server) {
		int perAddress = valid("kcp.server.max-sessions-per-address", KcpSettings.MAX_SESSIONS_PER_ADDRESS,
				server.getMaxSessionsPerAddress());
		int perAddressRate = valid("kcp.server.new-sessions-per-address-per-second",
				KcpSettings.NEW_SESSIONS_PER_ADDRESS_PER_SECOND, server.getNewSessionsPerAddressPerSecond());
		Duration unprovenIdle = valid("kcp.server.unproven-idle-timeout", KcpSettings.UNPROVEN_IDLE_TIMEOUT,
				server.getUnprovenIdleTimeout());
		int unprovenBudget = valid("kcp.server.unproven-receive-budget", KcpSettings.UNPROVEN_RECEIVE_BUDGET,
				toIntBytes("kcp.server.unproven-receive-budget", server.getUnprovenReceiveBudget()));
		int amplification = valid("kcp.server.amplification-factor", KcpSettings.AMPLIFICATION_FACTOR,
				server.getAmplificationFactor());
		long memoryBudget = valid("kcp.server.memory-budget", KcpSettings.MEMORY_BUDGET,
				server.getMemoryBudget().toBytes());
		Duration readCoalescing = valid("kcp.server.read-coalescing", KcpSettings.READ_COALESCING,
				server.getReadCoalescing());
		container.addServerCustomizer((builder) -> builder.maxSessionsPerAddress(perAddress)
			.newSessionsPerAddressPerSecond(perAddressRate)
			.unprovenIdleTimeout(unprovenIdle)
			.unprovenReceiveBudget(unprovenBudget)
			.amplificationFactor(amplification)
			.memoryBudget(memoryBudget)
			.readCoalescing(readCoalescing));
	}

	private static int toIntBytes(String property, DataSize size) {
		long bytes = size.toBytes();
		if (bytes < 0 || bytes > Integer.MAX_VALUE) {
			throw new InvalidConfigurationPropertyValueException(property, size,
					"Must be between 0 and " + Integer.MAX_VALUE + " bytes");
		}
		return (int) bytes;
	}

	/** A server setting checked by the core's own rule, reported against the property. */
	static <T> T valid(String property, KcpSetting<T> setting, T value) {
		if (!setting.isValid(value)) {
			throw new InvalidConfigurationPropertyValueException(property, value, "Expected " + setting.rule());
		}
		return value;
	}

	static int atLeast(String property, int value, int minimum) {
		if (value < minimum) {
			throw new InvalidConfigurationPropertyValueException(property, value, "Expected " + minimum + " or more");
		}
		return value;
	}

	static Duration notNegative(String property, @Nullable Duration value) {
		if (value == null || value.isNegative()) {
			throw new InvalidConfigurationPropertyValueException(property, value, "Expected 0 or more");
		}
		return value;
	}

}
