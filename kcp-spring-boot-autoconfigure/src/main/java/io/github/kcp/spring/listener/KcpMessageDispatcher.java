package io.github.kcp.spring.listener;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.PayloadKind;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.SerialExecutor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.MessageHandlerMethodFactory;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;
import org.springframework.messaging.support.MessageBuilder;

/**
 * Delivers the messages of KCP server sessions to {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler}
 * methods and sends their return values back as replies.
 * <p>
 * <b>Order and parallelism.</b> Each session gets a {@link SerialExecutor} over the shared executor: the messages of
 * one session are handled one at a time in arrival order, different sessions in parallel. The session's opened and
 * closed events go through the same queue, so they come before the first and after the last message. When more
 * than {@link #setMaxQueuedPerSession(int) maxQueuedPerSession} messages of a session wait, the session stops
 * reading (its receive window closes and the peer slows down) until half of them are handled.
 * <p>
 * <b>Routing.</b> The handler of a message is chosen by the rule documented on
 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler}: JSON-looking messages to the JSON handler, valid
 * UTF-8 to the text handler, anything to the bytes handler, each falling through to the next when absent. A message
 * no handler fits is dropped, logged at debug level and counted ({@link #getUnroutedMessages()}).
 * <p>
 * <b>Invocation and replies.</b> Arguments are resolved by the {@link MessageHandlerMethodFactory}'s
 * {@link InvocableHandlerMethod}; the session is a provided argument. A non-null return value is converted with the
 * {@link MessageConverter} ({@link KcpMessageConverters#toBytes}) and sent on the session; a
 * {@link CompletionStage} replies when it completes. Replies leave in the order of the requests even when futures
 * complete out of order. A handler that throws is logged once (with its session), counted
 * ({@link #getHandlerFailures()}) and offered to the {@link KcpHandlerErrorHandler}, if any.
 * <p>
 * <b>Stopping.</b> {@link #stopAccepting()} refuses messages that arrive from then on (counted in
 * {@link #getRejectedMessages()}); {@link #whenIdle()} completes once every accepted message has been handled and
 * its reply handed to its session.
 * <p>
 * Thread-safe. The session callbacks ({@link #sessionOpened}, {@link #dispatch}, {@link #sessionClosed}) are called
 * on the session's event loop and never block.
 */
public class KcpMessageDispatcher {

	private static final Logger logger = LoggerFactory.getLogger(KcpMessageDispatcher.class);

	/** Messages of one session that may wait for a handler before the session stops reading, by default. */
	public static final int DEFAULT_MAX_QUEUED_PER_SESSION = 256;

	private final Map<PayloadKind, Handler> handlers = new EnumMap<>(PayloadKind.class);

	private final MessageConverter converter;

	private final Executor executor;

	private final Map<KcpSession, SessionDispatch> sessions = new ConcurrentHashMap<>();

	private final InFlightTracker inFlight = new InFlightTracker();

	/** Sessions opened and not yet announced closed. */
	private final InFlightTracker openSessions = new InFlightTracker();

	private volatile @Nullable KcpHandlerErrorHandler errorHandler;

	private volatile int maxQueuedPerSession = DEFAULT_MAX_QUEUED_PER_SESSION;

	private final LongAdder handledMessages = new LongAdder();

	private final LongAdder handlerFailures = new LongAdder();

	private final LongAdder unroutedMessages = new LongAdder();

	private final LongAdder rejectedMessages = new LongAdder();

	private final LongAdder replyFailures = new LongAdder();

	/**
	 * A dispatcher to the given handlers.
	 * @param endpoints the handlers, at most one per {@link PayloadKind} (as a
	 * {@link io.github.kcp.spring.config.KcpHandlerRegistry} guarantees)
	 * @param methodFactory creates the invocable methods (argument resolution and payload conversion)
	 * @param converter converts return values into reply bytes
	 * @param executor runs the handlers; must not run tasks on the calling thread (the event loop)
	 * @throws IllegalArgumentException if two endpoints take the same kind of payload
	 */
	public KcpMessageDispatcher(List<KcpHandlerEndpoint> endpoints, MessageHandlerMethodFactory methodFactory,
			MessageConverter converter, Executor executor) {
		Objects.requireNonNull(methodFactory, "methodFactory");
		this.converter = Objects.requireNonNull(converter, "converter");
		this.executor = Objects.requireNonNull(executor, "executor");
		for (KcpHandlerEndpoint endpoint : endpoints) {
			InvocableHandlerMethod method = methodFactory.createInvocableHandlerMethod(endpoint.getBean(),
					endpoint.getMethod());
			Handler previous = this.handlers.put(endpoint.getPayloadKind(), new Handler(endpoint, method));
			if (previous != null) {
				throw new IllegalArgumentException("Two handlers take " + endpoint.getPayloadKind() + " payloads: "
						+ previous.endpoint().getId() + " and " + endpoint.getId());
			}
		}
	}

	/**
	 * Sets what peers get when a handler fails; {@code null} (the default) sends nothing.
	 * @param errorHandler the error handler, or {@code null}
	 */
	public void setErrorHandler(@Nullable KcpHandlerErrorHandler errorHandler) {
		this.errorHandler = errorHandler;
	}

	/**
	 * Sets how many messages of one session may wait for a handler before the session stops reading.
	 * @param maxQueuedPerSession at least 1; default {@value #DEFAULT_MAX_QUEUED_PER_SESSION}
	 */
	public void setMaxQueuedPerSession(int maxQueuedPerSession) {
		if (maxQueuedPerSession < 1) {
			throw new IllegalArgumentException("maxQueuedPerSession must be positive but was " + maxQueuedPerSession);
		}
		this.maxQueuedPerSession = maxQueuedPerSession;
	}

	/** Whether any handler is registered. */
	public boolean hasHandlers() {
		return !this.handlers.isEmpty();
	}

	/**
	 * A session opened: prepares its queue and runs {@code announce} (for example publishing an event) on it, before
	 * any of its messages.
	 * @param session the new session
	 * @param announce work to run first on the session's queue, or {@code null}
	 */
	public void sessionOpened(KcpSession session, @Nullable Runnable announce) {
		this.openSessions.begin();
		SessionDispatch dispatch = dispatchOf(session);
		dispatch.opened = true;
		if (announce != null) {
			runInOrder(session, dispatch, announce);
		}
	}

	/**
	 * A message arrived: queues it for its handler behind the session's earlier messages. Never blocks.
	 * @param session the session it arrived on
	 * @param message the message bytes (owned by the dispatcher from now on)
	 */
	public void dispatch(KcpSession session, byte[] message) {
		if (!this.inFlight.tryBegin()) {
			this.rejectedMessages.increment();
			logger.debug("Refused a message of {} bytes from session {}: the server is stopping", message.length,
					KcpHeaders.sessionId(session));
			return;
		}
		SessionDispatch dispatch = dispatchOf(session);
		int queued = dispatch.queued.incrementAndGet();
		if (queued >= this.maxQueuedPerSession && dispatch.readingPaused.compareAndSet(false, true)) {
			// Let the receive window close instead of queueing without bound.
			session.pauseReading();
		}
		try {
			dispatch.serial.execute(() -> {
				try {
					handle(session, dispatch, message);
				}
				catch (RuntimeException | Error ex) {
					// Not the handler (its failures are handled inside): a bug here must not leave the stop waiting.
					this.inFlight.end();
					logger.error("Could not dispatch a message from session {}", KcpHeaders.sessionId(session), ex);
				}
				finally {
					dequeued(session, dispatch);
				}
			});
		}
		catch (RejectedExecutionException ex) {
			this.rejectedMessages.increment();
			dequeued(session, dispatch);
			this.inFlight.end();
			logger.warn("Dropped a message from session {}: the handler executor {} refused it ({})",
					KcpHeaders.sessionId(session), this.executor, ex.getMessage());
		}
	}

	/**
	 * A session closed: runs {@code announce} (for example publishing an event) on the session's queue after its
	 * last message, then forgets the session. Does nothing for a session {@link #sessionOpened} was not called for.
	 * @param session the closed session
	 * @param announce work to run last on the session's queue, or {@code null}
	 */
	public void sessionClosed(KcpSession session, @Nullable Runnable announce) {
		SessionDispatch dispatch = this.sessions.get(session);
		if (dispatch == null || !dispatch.opened) {
			// Never opened here (refused while stopping): nothing to announce.
			this.sessions.remove(session);
			return;
		}
		runInOrder(session, dispatch, () -> {
			try {
				this.sessions.remove(session, dispatch);
				if (announce != null) {
					announce.run();
				}
			}
			finally {
				this.openSessions.end();
			}
		});
	}

	/** Refuses messages that arrive from now on; those accepted before are still handled. */
	public void stopAccepting() {
		this.inFlight.stopAccepting();
	}

	/** Accepts messages again after {@link #stopAccepting()}. */
	public void startAccepting() {
		this.inFlight.startAccepting();
	}

	/** Whether messages are accepted. */
	public boolean isAccepting() {
		return this.inFlight.isAccepting();
	}

	/**
	 * A future completed once every accepted message has been handled and its reply (if any) handed to its
	 * session, and every queued session event has run.
	 * @return the future; completed at once when nothing is in progress
	 */
	public CompletableFuture<Void> whenIdle() {
		return this.inFlight.whenIdle();
	}

	/**
	 * A future completed once every session {@link #sessionOpened opened} here has been
	 * {@link #sessionClosed closed} and announced.
	 * @return the future; completed at once when no session is open
	 */
	public CompletableFuture<Void> whenSessionsClosed() {
		return this.openSessions.whenIdle();
	}

	/** Messages accepted and not yet finished (handled and replied to). */
	public int getInFlightMessages() {
		return this.inFlight.inFlight();
	}

	/** Messages handed to a handler so far (whether it succeeded or not). */
	public long getHandledMessages() {
		return this.handledMessages.sum();
	}

	/** Handler invocations that threw, returned a failed future, or could not convert their payload. */
	public long getHandlerFailures() {
		return this.handlerFailures.sum();
	}

	/** Messages dropped because no handler takes them (binary data without a bytes handler, or no handler). */
	public long getUnroutedMessages() {
		return this.unroutedMessages.sum();
	}

	/** Messages refused because the server was stopping or the executor refused them. */
	public long getRejectedMessages() {
		return this.rejectedMessages.sum();
	}

	/** Replies that could not be converted or sent (session closed, send buffer full, too large). */
	public long getReplyFailures() {
		return this.replyFailures.sum();
	}

	/**
	 * The handler a message goes to, by the routing rule of {@code @KcpHandler}.
	 * @param message the message bytes
	 * @return the handler, or {@code null} if none takes the message
	 */
	public @Nullable KcpHandlerEndpoint route(byte[] message) {
		Handler handler = handlerFor(message);
		return (handler != null) ? handler.endpoint() : null;
	}

	private @Nullable Handler handlerFor(byte[] message) {
		Handler json = this.handlers.get(PayloadKind.JSON);
		if (json != null && looksLikeJson(message)) {
			return json;
		}
		Handler text = this.handlers.get(PayloadKind.TEXT);
		if (text != null && isUtf8(message)) {
			return text;
		}
		return this.handlers.get(PayloadKind.BYTES);
	}

	private SessionDispatch dispatchOf(KcpSession session) {
		return this.sessions.computeIfAbsent(session, (key) -> new SessionDispatch(new SerialExecutor(this.executor)));
	}

	private void runInOrder(KcpSession session, SessionDispatch dispatch, Runnable task) {
		this.inFlight.begin();
		Runnable counted = () -> {
			try {
				task.run();
			}
			finally {
				this.inFlight.end();
			}
		};
		try {
			dispatch.serial.execute(counted);
		}
		catch (RejectedExecutionException ex) {
			logger.debug("Executor refused a session task of {}; running it on the event loop",
					KcpHeaders.sessionId(session));
			counted.run();
		}
	}

	private void dequeued(KcpSession session, SessionDispatch dispatch) {
		int queued = dispatch.queued.decrementAndGet();
		if (queued <= this.maxQueuedPerSession / 2 && this.inFlight.isAccepting()
				&& dispatch.readingPaused.compareAndSet(true, false)) {
			session.resumeReading();
		}
	}

	/** Runs on the session's serial executor. */
	private void handle(KcpSession session, SessionDispatch dispatch, byte[] bytes) {
		Message<byte[]> message = toMessage(session, bytes);
		Handler handler = handlerFor(bytes);
		if (handler == null) {
			this.unroutedMessages.increment();
			this.inFlight.end();
			logger.debug("No @KcpHandler takes a message of {} bytes from session {} (handlers: {}); dropped",
					bytes.length, KcpHeaders.sessionId(session), this.handlers.keySet());
			return;
		}
		this.handledMessages.increment();
		Object result;
		try {
			result = handler.method().invoke(message, session);
		}
		catch (VirtualMachineError ex) {
			throw ex;
		}
		catch (Throwable ex) {
			// Errors such as a failed assertion are the handler's failure too; the session goes on.
			result = failed(session, handler.endpoint(), message, ex);
		}
		reply(session, dispatch, handler.endpoint(), message, result);
	}

	/**
	 * Queues the reply behind the previous one of the session, so replies leave in request order even when futures
	 * complete out of order. The chain never completes exceptionally, so one failure cannot block later replies.
	 */
	private void reply(KcpSession session, SessionDispatch dispatch, KcpHandlerEndpoint endpoint,
			Message<byte[]> request, @Nullable Object result) {
		CompletableFuture<@Nullable Object> value;
		if (result instanceof CompletionStage<?> stage) {
			value = stage.toCompletableFuture().handle((completed, ex) -> (ex != null)
					? failed(session, endpoint, request, unwrap(ex)) : completed);
		}
		else {
			value = CompletableFuture.completedFuture(result);
		}
		CompletableFuture<Void> previous = dispatch.replyTail;
		CompletableFuture<Void> next = previous.thenCombine(value, (ignored, reply) -> reply)
			.handle((reply, ex) -> {
				try {
					if (reply != null) {
						send(session, endpoint, reply);
					}
				}
				finally {
					this.inFlight.end();
				}
				return null;
			});
		dispatch.replyTail = next;
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

	private static Message<byte[]> toMessage(KcpSession session, byte[] bytes) {
		return MessageBuilder.withPayload(bytes)
			.setHeader(KcpHeaders.CONV, session.conv())
			.setHeader(KcpHeaders.REMOTE_ADDRESS, session.remoteAddress())
			.setHeader(KcpHeaders.LOCAL_ADDRESS, session.localAddress())
			.setHeader(KcpHeaders.SESSION_ID, KcpHeaders.sessionId(session))
			.setHeader(KcpHeaders.SESSION, session)
			.build();
	}

	private static Throwable unwrap(Throwable ex) {
		Throwable current = ex;
		while ((current instanceof CompletionException || current instanceof ExecutionException)
				&& current.getCause() != null) {
			current = current.getCause();
		}
		return current;
	}

	/** Whether the first and last non-blank bytes are <code>{ }</code> or {@code [ ]}. */
	static boolean looksLikeJson(byte[] message) {
		int first = 0;
		while (first < message.length && isBlank(message[first])) {
			first++;
		}
		int last = message.length - 1;
		while (last > first && isBlank(message[last])) {
			last--;
		}
		if (last <= first) {
			return false;
		}
		return (message[first] == '{' && message[last] == '}') || (message[first] == '[' && message[last] == ']');
	}

	private static boolean isBlank(byte b) {
		return b == ' ' || b == '\t' || b == '\r' || b == '\n';
	}

	static boolean isUtf8(byte[] message) {
		try {
			StandardCharsets.UTF_8.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(message));
			return true;
		}
		catch (CharacterCodingException ex) {
			return false;
		}
	}

	@Override
	public String toString() {
		return "KcpMessageDispatcher" + this.handlers.values().stream().map((h) -> h.endpoint().getId()).toList();
	}

	/** A handler method and its endpoint. */
	private record Handler(KcpHandlerEndpoint endpoint, InvocableHandlerMethod method) {
	}

	/** The dispatch state of one session. */
	private static final class SessionDispatch {

		final SerialExecutor serial;

		final AtomicInteger queued = new AtomicInteger();

		final AtomicBoolean readingPaused = new AtomicBoolean();

		/** Set on the event loop by sessionOpened, read there by sessionClosed. */
		boolean opened;

		/** The last reply of the session; only touched by tasks of {@link #serial}, which run one at a time. */
		CompletableFuture<Void> replyTail = CompletableFuture.completedFuture(null);

		SessionDispatch(SerialExecutor serial) {
			this.serial = serial;
		}

	}

}
