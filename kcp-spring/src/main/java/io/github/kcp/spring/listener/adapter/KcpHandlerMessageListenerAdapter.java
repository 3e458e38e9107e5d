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
import io.github.kcp.spring.envelope.KcpEnvelope;
import io.github.kcp.spring.envelope.KcpEnvelopeCodec;
import io.github.kcp.spring.envelope.KcpEnvelopeFormatException;
import io.github.kcp.spring.envelope.KcpFrameType;
import io.github.kcp.spring.listener.KcpHandlerErrorHandler;
import io.github.kcp.spring.listener.KcpMessageListener;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpMessages;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConversionException;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.invocation.MethodArgumentResolutionException;

/**
 * The {@link KcpMessageListener} of {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods: builds
 * the {@link Message} of each received message, lets the {@link KcpHandlerRouter} choose the handler, invokes it
 * through its {@link HandlerAdapter}, and sends its return value back on the session.
 * <p>
 * <b>Raw messages.</b> A non-null return value is converted with the {@link MessageConverter}
 * ({@link KcpMessageConverters#toBytes}) and sent on the session; a {@link CompletionStage} replies when it
 * completes. Replies leave in the order of the requests even when futures complete out of order, since the peer
 * matches them in order.
 * <p>
 * <b>The messaging envelope.</b> Each message is a {@link KcpEnvelope}; its route, correlation id, frame type,
 * content type and headers become message headers. A {@link KcpFrameType#REQUEST} always gets one answer, sent as
 * soon as it is ready: a {@link KcpFrameType#REPLY} with the return value (empty for {@code null}), or an
 * {@link KcpFrameType#ERROR} (no handler for the route, a payload the handler cannot read, a handler that failed).
 * A {@link KcpFrameType#ONE_WAY} message gets none. A frame that cannot be read is dropped, logged at debug level
 * and counted ({@link #getMalformedMessages()}).
 * <p>
 * <b>Failures.</b> A handler that throws (or whose future fails, or whose payload cannot be converted) is logged
 * once with its session, counted ({@link #getHandlerFailures()}), and offered to the {@link KcpHandlerErrorHandler},
 * whose return value, if any, is sent as the reply. The session goes on. A message no handler takes is counted
 * ({@link #getUnroutedMessages()}).
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

	private final KcpMessageFormat format;

	private volatile @Nullable KcpHandlerErrorHandler errorHandler;

	private final LongAdder handledMessages = new LongAdder();

	private final LongAdder handlerFailures = new LongAdder();

	private final LongAdder unroutedMessages = new LongAdder();

	private final LongAdder malformedMessages = new LongAdder();

	private final LongAdder replyFailures = new LongAdder();

	private final ReplyHandOver replies = new ReplyHandOver();

	/**
	 * An adapter for raw messages.
	 * @param router chooses the handler of each message
	 * @param converter converts return values into reply bytes
	 */
	public KcpHandlerMessageListenerAdapter(KcpHandlerRouter router, MessageConverter converter) {
		this(router, converter, KcpMessageFormat.RAW);
	}

	/**
	 * @param router chooses the handler of each message
	 * @param converter converts return values into reply bytes
	 * @param format what the messages carry
	 */
	public KcpHandlerMessageListenerAdapter(KcpHandlerRouter router, MessageConverter converter,
			KcpMessageFormat format) {
		this.router = Objects.requireNonNull(router, "router");
		this.converter = Objects.requireNonNull(converter, "converter");
		this.format = Objects.requireNonNull(format, "format");
	}

	/**
	 * Sets what peers get when a handler fails.
	 * @param errorHandler the error handler, or {@code null} for the default: nothing for raw messages, an error
	 * frame with the envelope
	 */
	public void setErrorHandler(@Nullable KcpHandlerErrorHandler errorHandler) {
		this.errorHandler = errorHandler;
	}

	/** The router. */
	public KcpHandlerRouter getRouter() {
		return this.router;
	}

	/** What the messages carry. */
	public KcpMessageFormat getFormat() {
		return this.format;
	}

	/** Messages handed to a handler so far (whether it succeeded or not). */
	public long getHandledMessages() {
		return this.handledMessages.sum();
	}

	/** Handler invocations that threw, returned a failed future, or could not convert their payload. */
	public long getHandlerFailures() {
		return this.handlerFailures.sum();
	}

	/** Messages no handler takes (answered with an error frame when they are envelope requests). */
	public long getUnroutedMessages() {
		return this.unroutedMessages.sum();
	}

	/** Messages dropped because they were not valid envelope frames, or frames a server does not take. */
	public long getMalformedMessages() {
		return this.malformedMessages.sum();
	}

	/** Replies that could not be converted or delivered (session closed, too large for the message mode). */
	public long getReplyFailures() {
		return this.replyFailures.sum();
	}

	/**
	 * Replies that found their session's send buffer full and waited for the peer to acknowledge earlier data
	 * (none is dropped for want of room; the session is read more slowly meanwhile).
	 */
	public long getRepliesWaitedForRoom() {
		return this.replies.waitedForRoom();
	}

	@Override
	public @Nullable CompletionStage<?> onMessage(KcpSession session, byte[] bytes) {
		return (this.format == KcpMessageFormat.RAW) ? onRawMessage(session, bytes) : onEnvelope(session, bytes);
	}

	// ---- raw

	private @Nullable CompletionStage<?> onRawMessage(KcpSession session, byte[] bytes) {
		Message<byte[]> message = KcpMessages.of(session, bytes);
		KcpHandlerRouter.Match match = this.router.route(message);
		if (match == null) {
			unrouted(session, message);
			return null;
		}
		return replyInOrder(session, match.handler().getEndpoint(), message, invoke(session, match));
	}

	/**
	 * Queues the reply behind the previous one of the session, so replies leave in request order even when
	 * futures complete out of order. The chain never completes exceptionally, so one failure cannot block later
	 * replies.
	 */
	private CompletionStage<?> replyInOrder(KcpSession session, KcpHandlerEndpoint endpoint, Message<byte[]> request,
			CompletableFuture<Result> result) {
		@SuppressWarnings("unchecked")
		CompletableFuture<Void> previous = (CompletableFuture<Void>) session.attributes()
			.getOrDefault(REPLY_ORDER_ATTRIBUTE, CompletableFuture.completedFuture(null));
		CompletableFuture<Void> next = previous.thenCombine(result, (ignored, outcome) -> outcome)
			.thenCompose((outcome) -> {
				Object reply = (outcome.error() == null) ? outcome.value()
						: errorReply(session, endpoint, request, outcome.error());
				return (reply != null) ? send(session, endpoint, this.converter, reply) : done();
			});
		session.attributes().put(REPLY_ORDER_ATTRIBUTE, next);
		return next;
	}

	// ---- envelope

	private @Nullable CompletionStage<?> onEnvelope(KcpSession session, byte[] bytes) {
		KcpEnvelope envelope;
		try {
			envelope = KcpEnvelopeCodec.decode(bytes);
		}
		catch (KcpEnvelopeFormatException ex) {
			this.malformedMessages.increment();
			logger.debug("Dropped a message of {} bytes from session {}: {}", bytes.length,
					KcpHeaders.sessionId(session), ex.getMessage());
			return null;
		}
		if (envelope.type() != KcpFrameType.REQUEST && envelope.type() != KcpFrameType.ONE_WAY) {
			this.malformedMessages.increment();
			logger.debug("Dropped a {} frame from session {}: a server takes requests and one-way messages only",
					envelope.type(), KcpHeaders.sessionId(session));
			return null;
		}
		Message<byte[]> message = KcpMessages.of(session, envelope);
		KcpHandlerRouter.Match match = this.router.route(message);
		boolean request = envelope.type() == KcpFrameType.REQUEST;
		if (match == null) {
			unrouted(session, message);
			return request ? sendFrame(session, null, KcpEnvelope.error(envelope.correlationId(), envelope.route(),
					KcpEnvelope.ErrorCode.NO_ROUTE, null, "No @KcpHandler takes the route '" + envelope.route() + "'"))
					: null;
		}
		KcpHandlerEndpoint endpoint = match.handler().getEndpoint();
		CompletableFuture<Result> result = invoke(session, match);
		if (!request) {
			return result.thenAccept((outcome) -> {
				if (outcome.error() != null) {
					errorReply(session, endpoint, message, outcome.error());
				}
				else if (outcome.value() != null) {
					logger.debug("Ignored the return value of {} for a one-way message", endpoint.getId());
				}
			});
		}
		return result.thenCompose((outcome) -> {
			if (outcome.error() == null) {
				return reply(session, endpoint, envelope, outcome.value());
			}
			Object reply = errorReply(session, endpoint, message, outcome.error());
			if (reply != null) {
				return reply(session, endpoint, envelope, reply);
			}
			Throwable error = outcome.error();
			boolean badPayload = error instanceof MessageConversionException
					|| error instanceof MethodArgumentResolutionException;
			return sendFrame(session, endpoint, KcpEnvelope.error(envelope.correlationId(), envelope.route(),
					badPayload ? KcpEnvelope.ErrorCode.BAD_PAYLOAD : KcpEnvelope.ErrorCode.HANDLER_FAILED,
					error.getClass().getName(), String.valueOf(error.getMessage())));
		});
	}

	private CompletableFuture<Void> reply(KcpSession session, KcpHandlerEndpoint endpoint, KcpEnvelope request,
			@Nullable Object value) {
		KcpEnvelope reply;
		try {
			KcpMessageConverters.Serialized serialized = (value != null)
					? KcpMessageConverters.serialize(this.converter, value)
					: new KcpMessageConverters.Serialized(new byte[0], null, java.util.Map.of());
			reply = new KcpEnvelope(KcpFrameType.REPLY, request.correlationId(), request.route(),
					serialized.contentType(), serialized.headers(), serialized.bytes());
		}
		catch (RuntimeException ex) {
			this.replyFailures.increment();
			logger.warn("Could not convert the reply of {} for session {}; an error frame is sent instead",
					endpoint.getId(), KcpHeaders.sessionId(session), ex);
			reply = KcpEnvelope.error(request.correlationId(), request.route(), KcpEnvelope.ErrorCode.HANDLER_FAILED,
					ex.getClass().getName(), "The reply could not be converted: " + ex.getMessage());
		}
		return sendFrame(session, endpoint, reply);
	}

	private CompletableFuture<Void> sendFrame(KcpSession session, @Nullable KcpHandlerEndpoint endpoint,
			KcpEnvelope frame) {
		byte[] bytes;
		try {
			bytes = KcpEnvelopeCodec.encode(frame);
		}
		catch (KcpEnvelopeFormatException ex) {
			this.replyFailures.increment();
			logger.warn("Could not write the {} frame for session {}: {}", frame.type(),
					KcpHeaders.sessionId(session), ex.getMessage());
			return done();
		}
		return send(session, endpoint, bytes);
	}

	// ---- shared

	private void unrouted(KcpSession session, Message<byte[]> message) {
		this.unroutedMessages.increment();
		logger.debug("No @KcpHandler takes a message of {} bytes{} from session {} ({})",
				message.getPayload().length, routeOf(message), KcpHeaders.sessionId(session), this.router);
	}

	private static String routeOf(Message<byte[]> message) {
		Object route = message.getHeaders().get(KcpHeaders.ROUTE);
		return (route != null) ? " for route '" + route + "'" : "";
	}

	/** Invokes the handler; its {@link Result} as a future that never fails. */
	private CompletableFuture<Result> invoke(KcpSession session, KcpHandlerRouter.Match match) {
		this.handledMessages.increment();
		Object result;
		try {
			result = match.handler().invoke(match.message(), session);
		}
		catch (VirtualMachineError ex) {
			throw ex;
		}
		catch (Throwable ex) {
			// Errors such as a failed assertion are the handler's failure too; the session goes on.
			return CompletableFuture.completedFuture(failed(session, match, ex));
		}
		if (result instanceof CompletionStage<?> stage) {
			return stage.toCompletableFuture()
				.handle((value, ex) -> (ex != null) ? failed(session, match, unwrap(ex)) : new Result(value, null));
		}
		return CompletableFuture.completedFuture(new Result(result, null));
	}

	private Result failed(KcpSession session, KcpHandlerRouter.Match match, Throwable error) {
		this.handlerFailures.increment();
		logger.warn("@KcpHandler {} failed on a message of {} bytes{} from session {}; the session goes on",
				match.handler().getEndpoint().getId(), match.message().getPayload().length, routeOf(match.message()),
				KcpHeaders.sessionId(session), error);
		return new Result(null, error);
	}

	/** The error handler's reply to a failure, or {@code null} for none. */
	private @Nullable Object errorReply(KcpSession session, KcpHandlerEndpoint endpoint, Message<byte[]> message,
			Throwable error) {
		KcpHandlerErrorHandler current = this.errorHandler;
		if (current == null) {
			return null;
		}
		try {
			return current.handleError(session, endpoint, message, error);
		}
		catch (RuntimeException ex) {
			logger.warn("KcpHandlerErrorHandler {} failed for session {}; no reply from it", current,
					KcpHeaders.sessionId(session), ex);
			return null;
		}
	}

	private CompletableFuture<Void> send(KcpSession session, KcpHandlerEndpoint endpoint, MessageConverter converter,
			Object reply) {
		byte[] bytes;
		try {
			bytes = KcpMessageConverters.toBytes(converter, reply);
		}
		catch (RuntimeException ex) {
			this.replyFailures.increment();
			logger.warn("Could not convert the reply of {} for session {}; nothing sent", endpoint.getId(),
					KcpHeaders.sessionId(session), ex);
			return done();
		}
		return send(session, endpoint, bytes);
	}

	/**
	 * Hands the bytes to the session. The returned future completes once the session took them (not when
	 * acknowledged, so a slow peer does not hold up the session's next message); when its send buffer is full it
	 * waits for room instead of dropping the reply, and the session's message stays in progress meanwhile, which
	 * holds the session's reading back (see {@link ReplyHandOver}).
	 */
	private CompletableFuture<Void> send(KcpSession session, @Nullable KcpHandlerEndpoint endpoint, byte[] bytes) {
		ReplyHandOver.HandOver handOver = this.replies.handOver(session, bytes);
		handOver.acknowledged().whenComplete((ignored, ex) -> {
			if (ex != null) {
				this.replyFailures.increment();
				Throwable cause = unwrap(ex);
				String handler = (endpoint != null) ? endpoint.getId() : "the server";
				if (cause instanceof KcpSessionClosedException) {
					logger.debug("Reply of {} for session {} not delivered: {}", handler, KcpHeaders.sessionId(session),
							cause.getMessage());
				}
				else {
					logger.warn("Reply of {} for session {} not delivered: {}", handler, KcpHeaders.sessionId(session),
							cause.toString());
				}
			}
		});
		// Failures are reported above, once; the reply chain of the session goes on either way.
		return handOver.taken().exceptionally((ex) -> null);
	}

	private static CompletableFuture<Void> done() {
		return CompletableFuture.completedFuture(null);
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
		return "KcpHandlerMessageListenerAdapter [" + this.format + ", " + this.router + "]";
	}

	/** What a handler returned, or why it failed. */
	private record Result(@Nullable Object value, @Nullable Throwable error) {
	}

}
