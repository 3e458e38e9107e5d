package io.github.kcp.spring.listener.adapter;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.listener.KcpHandlerErrorHandler;
import io.github.kcp.spring.listener.KcpMessageListener;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessages;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConverter;

/**
 * The {@link KcpMessageListener} of {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods: builds
 * the {@link Message} of each received message, lets the {@link KcpHandlerRouter} choose the handler, invokes it
 * through its {@link HandlerAdapter}, and sends its return value back on the session.
 * <p>
 * <b>Replies.</b> A non-null return value is converted with the {@link MessageConverter}
 * ({@link KcpMessageConverters#toBytes}) and sent on the session; a {@link CompletionStage} replies when it
 * completes. Replies leave in the order of the requests even when futures complete out of order, since the peer
 * matches them in order.
 * <p>
 * <b>Failures.</b> A handler that throws (or whose future fails, or whose payload cannot be converted) is logged
 * once with its session, counted ({@link #getHandlerFailures()}), and offered to the
 * {@link KcpHandlerErrorHandler}, whose return value, if any, is sent as the reply. The session goes on. A message
 * no handler takes is dropped, logged at debug level and counted ({@link #getUnroutedMessages()}).
 * <p>
 * Thread-safe; the messages of one session must be passed one at a time (as the container does).
 */
public class KcpHandlerMessageListenerAdapter implements KcpMessageListener {

	private static final Logger logger = LoggerFactory.getLogger(KcpHandlerMessageListenerAdapter.class);

	/** Session attribute holding the tail of the session's reply chain (raw replies leave in request order). */
	private static final String REPLY_ORDER_ATTRIBUTE = KcpHandlerMessageListenerAdapter.class.getName()
			+ ".replyOrder";

	private final KcpHandlerRouter router;

	private final MessageConverter converter;

	private volatile @Nullable KcpHandlerErrorHandler errorHandler;

	private final LongAdder handledMessages = new LongAdder();

	private final LongAdder handlerFailures = new LongAdder();

	private final LongAdder unroutedMessages = new LongAdder();

	private final LongAdder replyFailures = new LongAdder();

	/**
	 * @param router chooses the handler of each message
	 * @param converter converts return values into reply bytes
	 */
	public KcpHandlerMessageListenerAdapter(KcpHandlerRouter router, MessageConverter converter) {
		this.router = Objects.requireNonNull(router, "router");
		this.converter = Objects.requireNonNull(converter, "converter");
	}

	/**
	 * Sets what peers get when a handler fails.
	 * @param errorHandler the error handler, or {@code null} to send nothing (the default)
	 */
	public void setErrorHandler(@Nullable KcpHandlerErrorHandler errorHandler) {
		this.errorHandler = errorHandler;
	}

	/** The router. */
	public KcpHandlerRouter getRouter() {
		return this.router;
	}

	/** Messages handed to a handler so far (whether it succeeded or not). */
	public long getHandledMessages() {
		return this.handledMessages.sum();
	}

	/** Handler invocations that threw, returned a failed future, or could not convert their payload. */
	public long getHandlerFailures() {
		return this.handlerFailures.sum();
	}

	/** Messages dropped because no handler takes them. */
	public long getUnroutedMessages() {
		return this.unroutedMessages.sum();
	}

	/** Replies that could not be converted or sent (session closed, send buffer full, too large). */
	public long getReplyFailures() {
		return this.replyFailures.sum();
	}

	@Override
	public @Nullable CompletionStage<?> onMessage(KcpSession session, byte[] bytes) {
		Message<byte[]> message = KcpMessages.of(session, bytes);
		KcpHandlerRouter.Match match = this.router.route(message);
		if (match == null) {
			this.unroutedMessages.increment();
			logger.debug("No @KcpHandler takes a message of {} bytes from session {} ({}); dropped", bytes.length,
					KcpHeaders.sessionId(session), this.router);
			return null;
		}
		this.handledMessages.increment();
		KcpHandlerEndpoint endpoint = match.handler().getEndpoint();
		Object result;
		try {
			result = match.handler().invoke(match.message(), session);
		}
		catch (VirtualMachineError ex) {
			throw ex;
		}
		catch (Throwable ex) {
			// Errors such as a failed assertion are the handler's failure too; the session goes on.
			result = failed(session, endpoint, message, ex);
		}
		return replyInOrder(session, endpoint, message, result);
	}

	/**
	 * Queues the reply behind the previous one of the session, so replies leave in request order even when
	 * futures complete out of order. The chain never completes exceptionally, so one failure cannot block later
	 * replies.
	 */
	private CompletionStage<?> replyInOrder(KcpSession session, KcpHandlerEndpoint endpoint, Message<byte[]> request,
			@Nullable Object result) {
		CompletableFuture<@Nullable Object> value = outcome(session, endpoint, request, result);
		@SuppressWarnings("unchecked")
		CompletableFuture<Void> previous = (CompletableFuture<Void>) session.attributes()
			.getOrDefault(REPLY_ORDER_ATTRIBUTE, CompletableFuture.completedFuture(null));
		CompletableFuture<Void> next = previous.thenCombine(value, (ignored, reply) -> reply).handle((reply, ex) -> {
			if (reply != null) {
				send(session, endpoint, reply);
			}
			return null;
		});
		session.attributes().put(REPLY_ORDER_ATTRIBUTE, next);
		return next;
	}

	/** The handler's outcome as a future that never fails: a failure becomes the error handler's reply. */
	private CompletableFuture<@Nullable Object> outcome(KcpSession session, KcpHandlerEndpoint endpoint,
			Message<byte[]> request, @Nullable Object result) {
		if (result instanceof CompletionStage<?> stage) {
			return stage.toCompletableFuture()
				.handle((completed, ex) -> (ex != null) ? failed(session, endpoint, request, unwrap(ex)) : completed);
		}
		return CompletableFuture.completedFuture(result);
	}

	private void send(KcpSession session, KcpHandlerEndpoint endpoint, Object reply) {
		byte[] bytes;
		try {
			bytes = KcpMessageConverters.toBytes(this.converter, reply);
		}
		catch (RuntimeException ex) {
			this.replyFailures.increment();
			logger.warn("Could not convert the reply of {} for session {}; nothing sent", endpoint.getId(),
					KcpHeaders.sessionId(session), ex);
			return;
		}
		session.send(bytes).whenComplete((ignored, ex) -> {
			if (ex != null) {
				this.replyFailures.increment();
				Throwable cause = unwrap(ex);
				if (cause instanceof KcpSessionClosedException) {
					logger.debug("Reply of {} for session {} not delivered: {}", endpoint.getId(),
							KcpHeaders.sessionId(session), cause.getMessage());
				}
				else {
					logger.warn("Reply of {} for session {} not delivered: {}", endpoint.getId(),
							KcpHeaders.sessionId(session), cause.toString());
				}
			}
		});
	}

	private @Nullable Object failed(KcpSession session, KcpHandlerEndpoint endpoint, Message<byte[]> message,
			Throwable error) {
		this.handlerFailures.increment();
		logger.warn("@KcpHandler {} failed on a message of {} bytes from session {}; the session goes on",
				endpoint.getId(), message.getPayload().length, KcpHeaders.sessionId(session), error);
		KcpHandlerErrorHandler current = this.errorHandler;
		if (current == null) {
			return null;
		}
		try {
			return current.handleError(session, endpoint, message, error);
		}
		catch (RuntimeException ex) {
			logger.warn("KcpHandlerErrorHandler {} failed for session {}; no reply sent", current,
					KcpHeaders.sessionId(session), ex);
			return null;
		}
	}

	static Throwable unwrap(Throwable ex) {
		Throwable current = ex;
		while ((current instanceof CompletionException || current instanceof ExecutionException)
				&& current.getCause() != null) {
			current = current.getCause();
		}
		return current;
	}

	@Override
	public String toString() {
		return "KcpHandlerMessageListenerAdapter [" + this.router + "]";
	}

}
