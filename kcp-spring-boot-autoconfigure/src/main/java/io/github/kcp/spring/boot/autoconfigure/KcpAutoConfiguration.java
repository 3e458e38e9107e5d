package io.github.kcp.spring.boot.autoconfigure;

import java.util.concurrent.Executor;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.annotation.EnableKcp;
import io.github.kcp.spring.annotation.KcpBootstrapConfiguration;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.event.KcpServerListeningEvent;
import io.github.kcp.spring.listener.KcpHandlerErrorHandler;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.listener.KcpSessionRegistry;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageHandlerMethodFactory;
import io.github.kcp.spring.support.micrometer.KcpHandlerObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.LazyInitializationExcludeFilter;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.convert.converter.GenericConverter;
import org.springframework.core.env.Environment;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.MessageHandlerMethodFactory;
import org.springframework.util.ClassUtils;

/**
 * Auto-configuration of KCP: the payload converter and packet cipher shared by the server and the client side,
 * detection of {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods, and the KCP server that
 * serves them.
 * <p>
 * Beans (each backs off when the application defines its own):
 * <ul>
 * <li>{@value #MESSAGE_CONVERTER_BEAN_NAME} ({@link MessageConverter}): bytes, {@code ByteBuffer}, UTF-8 text, and
 * JSON through Boot's {@code JsonMapper} (a default one without it);</li>
 * <li>{@code kcpPacketCipher} ({@link PacketCipher}) from {@code kcp.crypto.*}; {@link PacketCipher#NONE} when the
 * mode is none (as it must be with DTLS, {@code kcp.ssl.bundle});</li>
 * <li>{@value #MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME} ({@link MessageHandlerMethodFactory}): argument resolution of
 * handler methods;</li>
 * <li>the {@code @KcpHandler} post-processor and registry of {@link EnableKcp @EnableKcp}, and a
 * {@link LazyInitializationExcludeFilter} that keeps handler beans eager;</li>
 * <li>{@code kcpServerContainerConfigurer} ({@link KcpServerContainerConfigurer}): applies {@code kcp.*} to a server
 * container, then every {@link KcpServerCustomizer} bean;</li>
 * <li>{@value #SERVER_CONTAINER_BEAN_NAME} ({@link KcpServerContainer}, backing off for a bean of that name) when a
 * bean has {@code @KcpHandler} methods for the default server or {@code kcp.server.enabled=true}, never with
 * {@code kcp.server.enabled=false}; configured by the configurer from {@code kcp.server.*} (with the protocol
 * settings of {@code kcp.*} and their {@code kcp.server.*} overrides), and its {@code kcpSessionRegistry}
 * ({@link KcpSessionRegistry}). Handlers run on the {@link Executor} bean named
 * {@value #HANDLER_EXECUTOR_BEAN_NAME} if there is one, else on virtual threads when
 * {@code spring.threads.virtual.enabled=true} and the JVM has them, else on a pool configured by
 * {@code kcp.server.handler-executor.*}. A {@link KcpHandlerErrorHandler} bean, if unique, decides what the peer of
 * a failed handler gets.</li>
 * </ul>
 *
 * @see KcpProperties
 */
@AutoConfiguration(afterName = { "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
		"org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration" })
@EnableConfigurationProperties(KcpProperties.class)
public final class KcpAutoConfiguration {

	/** Name of the {@link MessageConverter} bean that turns KCP payloads into Java objects and back. */
	public static final String MESSAGE_CONVERTER_BEAN_NAME = "kcpMessageConverter";

	/** Name of the {@link MessageHandlerMethodFactory} bean of {@code @KcpHandler} methods. */
	public static final String MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME = "kcpMessageHandlerMethodFactory";

	/** Name of the filter that keeps {@code @KcpHandler} beans eager under lazy initialization. */
	public static final String LAZY_INITIALIZATION_EXCLUDE_FILTER_BEAN_NAME = "kcpHandlerLazyInitializationExcludeFilter";

	/** Name of the {@link KcpServerContainer} bean. */
	public static final String SERVER_CONTAINER_BEAN_NAME = "kcpServerContainer";

	/**
	 * Name of an optional {@link Executor} bean that runs {@code @KcpHandler} methods. It must keep running tasks
	 * while the server drains at shutdown: a Spring {@code ThreadPoolTaskExecutor} needs
	 * {@code setAcceptTasksAfterContextClose(true)} (otherwise it shuts down when the context starts closing, before
	 * the server's graceful stop, and queued messages are not handled). The application owns its life cycle.
	 */
	public static final String HANDLER_EXECUTOR_BEAN_NAME = "kcpHandlerExecutor";

	/**
	 * The packet cipher of every session, from {@code kcp.crypto.*}; {@link PacketCipher#NONE} when the mode is
	 * none. Derived once (PBKDF2 is deliberately slow) and shared by the server and the client side.
	 * @param properties the KCP properties
	 * @return the cipher
	 */
	@Bean
	@ConditionalOnMissingBean
	PacketCipher kcpPacketCipher(KcpProperties properties) {
		return PacketCipherFactory.create(properties.getCrypto());
	}

	/**
	 * Keeps beans with {@code @KcpHandler} methods eager under {@code spring.main.lazy-initialization=true}: a
	 * handler bean that is never created is never registered, and its messages would go nowhere.
	 * @return the filter
	 */
	@Bean(LAZY_INITIALIZATION_EXCLUDE_FILTER_BEAN_NAME)
	@ConditionalOnMissingBean(name = LAZY_INITIALIZATION_EXCLUDE_FILTER_BEAN_NAME)
	static LazyInitializationExcludeFilter kcpHandlerLazyInitializationExcludeFilter() {
		return (beanName, definition, type) -> OnKcpServerCondition.hasHandlerMethods(ClassUtils.getUserClass(type));
	}

	/**
	 * Binds {@code kcp.nodelay} (and its overrides) from {@code true}, {@code false}, {@code 0}, {@code 1} or
	 * {@code 2}.
	 * @return the converter
	 */
	@Bean
	@ConfigurationPropertiesBinding
	static GenericConverter kcpNodelayModeConverter() {
		return new NodelayModeConverter();
	}

	/**
	 * Publishes {@code local.kcp.server.port} when a server listens.
	 * @param context the application context
	 * @return the listener
	 */
	@Bean
	static ApplicationListener<KcpServerListeningEvent> kcpServerPortPublisher(ConfigurableApplicationContext context) {
		return new KcpServerPortPublisher(context);
	}

	@Bean(MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME)
	@ConditionalOnMissingBean(name = MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME)
	KcpMessageHandlerMethodFactory kcpMessageHandlerMethodFactory(
			@Qualifier(MESSAGE_CONVERTER_BEAN_NAME) MessageConverter messageConverter) {
		return new KcpMessageHandlerMethodFactory(messageConverter);
	}

	/** The payload converter with JSON through Boot's {@code JsonMapper} (or a default one). */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(JsonMapper.class)
	static class JsonMessageConverterConfiguration {

		@Bean(MESSAGE_CONVERTER_BEAN_NAME)
		@ConditionalOnMissingBean(name = MESSAGE_CONVERTER_BEAN_NAME)
		MessageConverter kcpMessageConverter(ObjectProvider<JsonMapper> jsonMapper) {
			return KcpMessageConverters.create(jsonMapper.getIfAvailable(() -> JsonMapper.builder().build()));
		}

	}

	/** The payload converter without JSON, when Jackson 3 is absent. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingClass("tools.jackson.databind.json.JsonMapper")
	static class PlainMessageConverterConfiguration {

		@Bean(MESSAGE_CONVERTER_BEAN_NAME)
		@ConditionalOnMissingBean(name = MESSAGE_CONVERTER_BEAN_NAME)
		MessageConverter kcpMessageConverter() {
			return KcpMessageConverters.createWithoutJson();
		}

	}

	/** The {@code @KcpHandler} post-processor and registry, unless the application enabled them itself. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(name = KcpBootstrapConfiguration.KCP_HANDLER_ANNOTATION_PROCESSOR_BEAN_NAME)
	@EnableKcp
	static class EnableKcpConfiguration {

	}

	/**
	 * Applies {@code kcp.*} to server containers, the auto-configured one and any the application defines.
	 * @param properties the KCP properties
	 * @param cipher the packet cipher
	 * @param handlerExecutor the application's handler executor, if any
	 * @param errorHandler the application's handler error handler, if unique
	 * @param customizers the server customizers
	 * @param observationRegistry the observation registry, if any (used with
	 * {@code kcp.server.observation-enabled=true})
	 * @param observationConvention the application's handler observation convention, if unique
	 * @param sslBundles Boot's SSL bundles, for DTLS with {@code kcp.ssl.bundle}
	 * @param environment the environment
	 * @return the configurer
	 */
	@Bean
	@ConditionalOnMissingBean
	KcpServerContainerConfigurer kcpServerContainerConfigurer(KcpProperties properties, PacketCipher cipher,
			@Qualifier(HANDLER_EXECUTOR_BEAN_NAME) ObjectProvider<Executor> handlerExecutor,
			ObjectProvider<KcpHandlerErrorHandler> errorHandler, ObjectProvider<KcpServerCustomizer> customizers,
			ObjectProvider<ObservationRegistry> observationRegistry,
			ObjectProvider<KcpHandlerObservationConvention> observationConvention,
			ObjectProvider<SslBundles> sslBundles, Environment environment) {
		KcpServerContainerConfigurer configurer = new KcpServerContainerConfigurer(properties, cipher,
				handlerExecutor.getIfAvailable(), errorHandler.getIfUnique(), customizers.orderedStream().toList(),
				environment);
		configurer.setObservation(observationRegistry.getIfUnique(), observationConvention.getIfUnique());
		configurer.setSslBundles(sslBundles.getIfAvailable());
		return configurer;
	}

	/** The server, when there are handlers to serve or it is switched on. */
	@Configuration(proxyBeanMethods = false)
	@Conditional(OnKcpServerCondition.class)
	static class KcpServerConfiguration {

		@Bean(SERVER_CONTAINER_BEAN_NAME)
		@ConditionalOnMissingBean(name = SERVER_CONTAINER_BEAN_NAME)
		KcpServerContainer kcpServerContainer(KcpServerContainerConfigurer configurer, KcpHandlerRegistry registry,
				@Qualifier(MESSAGE_HANDLER_METHOD_FACTORY_BEAN_NAME) MessageHandlerMethodFactory methodFactory,
				@Qualifier(MESSAGE_CONVERTER_BEAN_NAME) MessageConverter messageConverter) {
			KcpServerContainer container = new KcpServerContainer(registry, methodFactory, messageConverter);
			configurer.configure(container);
			return container;
		}

		/**
		 * The sessions of the auto-configured server, to push messages to from any bean.
		 * @param container the server container named {@value KcpAutoConfiguration#SERVER_CONTAINER_BEAN_NAME}
		 * @return its session registry
		 */
		@Bean
		@ConditionalOnMissingBean
		KcpSessionRegistry kcpSessionRegistry(@Qualifier(SERVER_CONTAINER_BEAN_NAME) KcpServerContainer container) {
			return container.getSessionRegistry();
		}

	}

}
