package io.github.kcp.spring.core;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.listener.adapter.HandlerAdapter;
import io.github.kcp.spring.listener.adapter.KcpHandlerRouter;
import io.github.kcp.spring.listener.adapter.PayloadKindRouter;
import io.github.kcp.spring.listener.adapter.RouteMatchingRouter;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.MessageHandlerMethodFactory;

/**
 * The client-side {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods
 * ({@code side = CLIENT}) of a {@link KcpTemplate}: routes each push to one of them, by route with the envelope and
 * by payload kind with raw messages. Their return values are ignored; failures are logged and counted.
 */
final class PushHandlerMethods {

	private static final Logger logger = LoggerFactory.getLogger(PushHandlerMethods.class);

	private final KcpHandlerRouter router;

	private final boolean empty;

	private final LongAdder failures = new LongAdder();

	/**
	 * @throws io.github.kcp.spring.config.KcpHandlerConfigurationException if the handlers do not fit the format or
	 * converter
	 */
	PushHandlerMethods(KcpHandlerRegistry registry, MessageHandlerMethodFactory methodFactory,
			MessageConverter converter, KcpMessageFormat format) {
		List<KcpHandlerEndpoint> endpoints = registry.getClientEndpoints();
		KcpHandlerRegistry.check(endpoints, format, converter, "the KcpTemplate");
		List<HandlerAdapter> handlers = endpoints.stream()
			.map((endpoint) -> new HandlerAdapter(endpoint,
					methodFactory.createInvocableHandlerMethod(endpoint.getBean(), endpoint.getMethod())))
			.toList();
		this.router = (format == KcpMessageFormat.RAW) ? new PayloadKindRouter(handlers)
				: new RouteMatchingRouter(handlers);
		this.empty = handlers.isEmpty();
	}

	/**
	 * Hands a push to its handler method, if one takes it.
	 * @return whether one took it
	 */
	boolean handle(KcpSession session, Message<byte[]> push) {
		if (this.empty) {
			return false;
		}
		KcpHandlerRouter.Match match = this.router.route(push);
		if (match == null) {
			return false;
		}
		try {
			@Nullable Object ignored = match.handler().invoke(match.message(), session);
		}
		catch (VirtualMachineError ex) {
			throw ex;
		}
		catch (Throwable ex) {
			this.failures.increment();
			logger.warn("Client-side @KcpHandler {} failed on a push of {} bytes from {}",
					match.handler().getEndpoint().getId(), push.getPayload().length, KcpHeaders.sessionId(session), ex);
		}
		return true;
	}

	long failures() {
		return this.failures.sum();
	}

}
