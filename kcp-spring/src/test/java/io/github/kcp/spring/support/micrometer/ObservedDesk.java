package io.github.kcp.spring.support.micrometer;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.BiConsumer;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.annotation.EnableKcp;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpMessageHandlerMethodFactory;

import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.handler.annotation.DestinationVariable;

/**
 * A small envelope server and a template pointed at it, in a plain Spring context, for the Micrometer tests: the
 * test decides (before the context starts) what is bound to the container and the template.
 */
final class ObservedDesk implements AutoCloseable {

	static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	static final Duration WAIT = Duration.ofSeconds(10);

	final AnnotationConfigApplicationContext context;

	final KcpServerContainer container;

	final KcpTemplate template;

	/** The envelope handlers ({@code null} with raw messages). */
	final Handlers handlers;

	private ObservedDesk(AnnotationConfigApplicationContext context) {
		this.context = context;
		this.container = context.getBean(KcpServerContainer.class);
		this.template = context.getBean("deskTemplate", KcpTemplate.class);
		this.handlers = context.getBeanProvider(Handlers.class).getIfAvailable();
	}

	/**
	 * Starts the desk; {@code instrument} gets the container and the template before the container starts.
	 * @param format the message format of both ends
	 * @param instrument binds meters, sets observation registries
	 */
	static ObservedDesk start(KcpMessageFormat format, BiConsumer<KcpServerContainer, KcpTemplate> instrument) {
		AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
		context.registerBean(Setup.class, () -> new Setup(format, instrument));
		context.register(DeskConfiguration.class);
		if (format == KcpMessageFormat.ENVELOPE) {
			context.registerBean(Handlers.class);
		}
		else {
			context.registerBean(RawHandlers.class);
		}
		context.refresh();
		return new ObservedDesk(context);
	}

	@Override
	public void close() {
		this.context.close();
	}

	/** The format and the instrumentation of a desk. */
	record Setup(KcpMessageFormat format, BiConsumer<KcpServerContainer, KcpTemplate> instrument) {
	}

	@Configuration(proxyBeanMethods = false)
	@EnableKcp
	static class DeskConfiguration {

		@Bean
		KcpServerContainer kcpServerContainer(KcpHandlerRegistry registry, Setup setup) {
			KcpServerContainer container = new KcpServerContainer(registry,
					new KcpMessageHandlerMethodFactory(KcpMessageConverters.create()), KcpMessageConverters.create());
			container.setConfig(FAST);
			container.setMessageFormat(setup.format());
			container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
			container.setShutdownTimeout(Duration.ofSeconds(2));
			return container;
		}

		@Bean
		KcpTemplate deskTemplate(KcpServerContainer container, Setup setup) {
			KcpTemplate template = new KcpTemplate(FAST, KcpMessageConverters.create());
			template.setMessageFormat(setup.format());
			template.setReplyTimeout(WAIT);
			template.setDefaultTarget(() -> new InetSocketAddress("127.0.0.1", container.getPort()));
			// Both exist now (the template needs the container): instrument them before the context starts.
			setup.instrument().accept(container, template);
			return template;
		}

	}

	/** Handlers: an echo, a route with a placeholder, one that fails. */
	static class Handlers {

		volatile Runnable onInvocation = () -> {
		};

		@KcpHandler("echo")
		String echo(String text) {
			this.onInvocation.run();
			return text;
		}

		@KcpHandler("price.{symbol}")
		String price(@DestinationVariable String symbol) {
			this.onInvocation.run();
			return symbol + " 12.50";
		}

		@KcpHandler("fail")
		String fail(String text) {
			this.onInvocation.run();
			throw new IllegalStateException("refused: " + text);
		}

	}

	/** The raw desk's handler: text echoed. */
	static class RawHandlers {

		@KcpHandler
		String text(String text) {
			return text;
		}

	}

}
