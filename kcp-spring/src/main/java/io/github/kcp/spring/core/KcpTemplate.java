package io.github.kcp.spring.core;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpEventLoopGroup;
import io.github.kcp.core.transport.KcpHandshakeException;
import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.event.KcpSessionClosedEvent;
import io.github.kcp.spring.event.KcpSessionOpenedEvent;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpSessionListener;
import io.github.kcp.spring.support.KcpSessionListeners;
import io.github.kcp.spring.support.KcpStreamFraming;
import io.github.kcp.spring.support.KcpTargets;
import io.github.kcp.spring.support.micrometer.KcpTemplateObservation;
import io.github.kcp.spring.support.micrometer.KcpTemplateObservationContext;
import io.github.kcp.spring.support.micrometer.KcpTemplateObservationConvention;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.BeanNameAware;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationEventPublisherAware;
import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConversionException;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.MessageHandlerMethodFactory;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.util.Assert;

/**
 * The KCP client of a Spring application: sends messages to KCP servers, receives their replies, and hands the
 * messages they push unasked to client-side {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods
 * and {@link KcpPushHandler}s. See {@link KcpOperations} for payloads, routes, targets and futures.
 *
 * <h2>Sessions</h2>
 * The template opens one KCP session per target on first use (its own UDP socket, a random conversation id) and
 * reuses it for every later call to that target, from any thread. When a session closes (the server closed it, the
 * idle timeout or dead link struck, or a raw request on it timed out), the next call to that target opens a new
 * one. {@link #destroy()} closes them all gracefully. With {@link #setDtlsSettings DTLS} a session is opened by a
 * handshake that verifies the server's certificate (and shows the template's, if the server asks): the first call
 * to a target waits for it, and fails with {@link KcpHandshakeException} if it fails.
 *
 * <h2>Correlation of replies</h2>
 * With the messaging envelope ({@link #setMessageFormat(KcpMessageFormat) ENVELOPE}) each request gets a
 * correlation id of its session and its reply is matched by it, in any order; a request that times out is
 * forgotten and its late reply dropped. Raw KCP messages carry no id: the template then matches replies to requests
 * first-in, first-out per session, which is exact for a server that answers every request with one message, in
 * order. To keep that matching exact the template writes a request and records it as outstanding in one step, and
 * closes the session when a request times out or could not be delivered (its reply would be taken for the next
 * one's): that request fails with {@link KcpReplyTimeoutException}, the others outstanding on the session with
 * {@link KcpSessionClosedException}. A raw message arriving while no request is outstanding is a push.
 *
 * <h2>Threads</h2>
 * The network work runs on the KCP event loops. Returned futures, push handlers and session events run on the
 * callback executor (by default a cached pool of daemon threads {@code kcp-template-N}); pushes and events of one
 * session in order, one at a time.
 *
 * <pre class="code">
 * KcpTemplate template = new KcpTemplate(KcpConfig.defaults(), KcpMessageConverters.create());
 * template.setMessageFormat(KcpMessageFormat.ENVELOPE);
 * template.setDefaultTarget("127.0.0.1", 9700);
 * Quote quote = template.sendAndReceiveBlocking("quote.get", new QuoteRequest("KCP"), Quote.class);
 * </pre>
 */
public class KcpTemplate
		implements KcpOperations, ApplicationEventPublisherAware, SmartInitializingSingleton, BeanNameAware,
		DisposableBean, AutoCloseable {

	/** The default of {@link #setUnansweredSessionWarning(Duration)}. */
	public static final Duration DEFAULT_UNANSWERED_SESSION_WARNING = Duration.ofSeconds(3);

	/** The default of {@link #setReplyTimeout(Duration)}. */
	public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(10);

	private static final Logger logger = LoggerFactory.getLogger(KcpTemplate.class);

	/** How often a call retries on a fresh session when the one it picked closed under it. */
	private static final int SESSION_ATTEMPTS = 3;

	/** Extra time a blocking call waits beyond its timeout for the future that the timer fails. */
	private static final long BLOCKING_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

	private final KcpConfig config;

	private final MessageConverter messageConverter;

	private final ClientSessionPool sessions = new ClientSessionPool(this::open);

	private final List<KcpPushHandler> pushHandlers = new CopyOnWriteArrayList<>();

	private final ScheduledThreadPoolExecutor timer;

	private volatile Executor callbackExecutor;

	private volatile @Nullable ExecutorService ownedCallbackExecutor;

	private volatile @Nullable ApplicationEventPublisher eventPublisher;

	private volatile @Nullable PacketCipher packetCipher;

	private volatile @Nullable DtlsSettings dtlsSettings;

	private volatile @Nullable KcpEventLoopGroup eventLoops;

	private volatile @Nullable Supplier<InetSocketAddress> defaultTarget;

	private volatile Duration replyTimeout = DEFAULT_REPLY_TIMEOUT;

	private volatile KcpMessageFormat messageFormat = KcpMessageFormat.RAW;

	private volatile @Nullable KcpStreamFraming streamFraming;

	private volatile Duration unansweredSessionWarning = DEFAULT_UNANSWERED_SESSION_WARNING;

	private volatile @Nullable KcpHandlerRegistry handlerRegistry;

	private volatile @Nullable MessageHandlerMethodFactory handlerMethodFactory;

	private volatile @Nullable PushHandlerMethods pushHandlerMethods;

	private final Object pushHandlerMonitor = new Object();

	private final LongAdder malformedMessages = new LongAdder();

	private final LongAdder lateReplies = new LongAdder();

	private final KcpSessionListeners sessionListeners = new KcpSessionListeners();

	private volatile String name = "default";

	private volatile ObservationRegistry observationRegistry = ObservationRegistry.NOOP;

	private volatile @Nullable KcpTemplateObservationConvention observationConvention;

	private volatile boolean destroyed;

	/**
	 * Create a template.
	 * @param config the configuration of the sessions the template opens; it must match the server's (the packet
	 * cipher is set with {@link #setPacketCipher})
	 * @param messageConverter converts payloads to and from message bytes; see
	 * {@link KcpMessageConverters#create()}
	 */
	public KcpTemplate(KcpConfig config, MessageConverter messageConverter) {
		this.config = Objects.requireNonNull(config, "config");
		this.messageConverter = Objects.requireNonNull(messageConverter, "messageConverter");
		CustomizableThreadFactory callbackThreads = new CustomizableThreadFactory("kcp-template-");
		callbackThreads.setDaemon(true);
		ExecutorService callbacks = Executors.newCachedThreadPool(callbackThreads);
		this.ownedCallbackExecutor = callbacks;
		this.callbackExecutor = callbacks;
		CustomizableThreadFactory timerThreads = new CustomizableThreadFactory("kcp-template-timer-");
		timerThreads.setDaemon(true);
		this.timer = new ScheduledThreadPoolExecutor(1, timerThreads);
		this.timer.setRemoveOnCancelPolicy(true);
	}

	/**
	 * Set the target of the operations without a target argument.
	 * @param host the server's host name or address, resolved at each new session
	 * @param port the server's UDP port
	 */
	public void setDefaultTarget(String host, int port) {
		Assert.hasText(host, "host must not be empty");
		Assert.isTrue(port > 0 && port <= 65535, () -> "port must be 1..65535 but was " + port);
		this.defaultTarget = () -> KcpTargets.resolve(host, port);
	}

	/**
	 * Set the target of the operations without a target argument.
	 * @param target the server's address
	 */
	public void setDefaultTarget(InetSocketAddress target) {
		setDefaultTarget(target.getHostString(), target.getPort());
	}

	/**
	 * Set the target of the operations without a target argument as a supplier, asked at each such call (for
	 * example for a server whose port is only known once it listens).
	 * @param target supplies the server's address
	 */
	public void setDefaultTarget(Supplier<InetSocketAddress> target) {
		this.defaultTarget = Objects.requireNonNull(target, "target");
	}

	/**
	 * The default target, resolved now.
	 * @return the address, or {@code null} if none is set
	 */
	public @Nullable InetSocketAddress getDefaultTarget() {
		Supplier<InetSocketAddress> target = this.defaultTarget;
		return (target != null) ? target.get() : null;
	}

	/**
	 * Set how long the operations without a timeout argument wait: {@code sendAndReceive} for its reply,
	 * {@code sendBlocking} for room in the send buffer and then for the acknowledgement. Default 10 s.
	 * @param replyTimeout a positive duration
	 */
	public void setReplyTimeout(Duration replyTimeout) {
		Assert.isTrue(replyTimeout != null && !replyTimeout.isNegative() && !replyTimeout.isZero(),
				"replyTimeout must be positive");
		this.replyTimeout = replyTimeout;
	}

	/** How long the operations without a timeout argument wait; see {@link #setReplyTimeout(Duration)}. */
	public Duration getReplyTimeout() {
		return this.replyTimeout;
	}

	/**
	 * Set after how long a new session whose server has not sent a single datagram (though the template sent it
	 * messages) is logged at WARN with the likely causes: nothing listens on that address and port, or the two ends
	 * use different packet encryption (a server that cannot decrypt drops everything silently).
	 * @param delay the delay; zero to never warn. Default 3 s
	 */
	public void setUnansweredSessionWarning(Duration delay) {
		Assert.isTrue(delay != null && !delay.isNegative(), "delay must not be negative");
		this.unansweredSessionWarning = delay;
	}

	/**
	 * Set what the template's messages carry; the server must use the same. Takes effect for sessions opened
	 * afterwards, so set it before the first call.
	 * @param messageFormat {@link KcpMessageFormat#RAW} (the default, what every KCP peer speaks) or
	 * {@link KcpMessageFormat#ENVELOPE} (routes, correlation ids, pushes told apart from replies)
	 */
	public void setMessageFormat(KcpMessageFormat messageFormat) {
		this.messageFormat = Objects.requireNonNull(messageFormat, "messageFormat");
	}

	/** What the template's messages carry. */
	public KcpMessageFormat getMessageFormat() {
		return this.messageFormat;
	}

	/**
	 * Set how messages are cut out of the byte stream of each session, for sessions in stream mode
	 * ({@link KcpConfig#stream()}): every message written is framed, and what arrives is cut into messages before
	 * it is taken for a reply or a push. The server must frame the same way. A session whose bytes cannot be framed
	 * is closed. Takes effect for sessions opened afterwards, so set it before the first call.
	 * @param streamFraming the framing (for example {@code KcpStreamFraming.of(TcpCodecs.lengthHeader4())}), or
	 * {@code null} for none (the default: each piece of the stream is a message)
	 */
	public void setStreamFraming(@Nullable KcpStreamFraming streamFraming) {
		this.streamFraming = streamFraming;
	}

	/** How messages are cut out of the byte stream of each session; {@code null} for none. */
	public @Nullable KcpStreamFraming getStreamFraming() {
		return this.streamFraming;
	}

	/**
	 * Hand pushes to the client-side {@code @KcpHandler} methods ({@code side = CLIENT}) of a registry first; pushes
	 * none of them takes go to the {@link KcpPushHandler}s.
	 * @param registry the handlers (read at the first push)
	 * @param methodFactory resolves their arguments
	 */
	public void setHandlerMethods(KcpHandlerRegistry registry, MessageHandlerMethodFactory methodFactory) {
		this.handlerRegistry = Objects.requireNonNull(registry, "registry");
		this.handlerMethodFactory = Objects.requireNonNull(methodFactory, "methodFactory");
		this.pushHandlerMethods = null;
	}

	/**
	 * Checks the client-side {@code @KcpHandler} methods against the message format once every bean exists, so
	 * that a mistake fails the start-up rather than the first push.
	 */
	@Override
	public void afterSingletonsInstantiated() {
		pushHandlerMethods();
	}

	/** Sets the template's name in metrics and observations to its bean name. */
	@Override
	public void setBeanName(String name) {
		this.name = Objects.requireNonNull(name, "name");
	}

	/** The template's name in metrics and observations: its bean name, {@code default} outside a context. */
	public String getName() {
		return this.name;
	}

	/**
	 * Add a listener of the template's sessions (opened, RTT samples, closed), such as the Micrometer session meters.
	 * @param listener the listener, called on the sessions' event loops
	 */
	public void addSessionListener(KcpSessionListener listener) {
		this.sessionListeners.add(listener);
	}

	/**
	 * Remove a listener added with {@link #addSessionListener}.
	 * @param listener the listener
	 */
	public void removeSessionListener(KcpSessionListener listener) {
		this.sessionListeners.remove(listener);
	}

	/**
	 * Set the registry of the template's observations: one per request (until its reply or failure) and one per
	 * one-way send (until acknowledged). With the messaging envelope the trace context travels in the envelope's
	 * headers, so that the server's handler observation continues the trace.
	 * @param observationRegistry the registry; {@link ObservationRegistry#NOOP} (the default) observes nothing
	 */
	public void setObservationRegistry(ObservationRegistry observationRegistry) {
		this.observationRegistry = Objects.requireNonNull(observationRegistry, "observationRegistry");
	}

	/**
	 * Set the convention of the template's observations.
	 * @param observationConvention the convention, or {@code null} for the default
	 */
	public void setObservationConvention(@Nullable KcpTemplateObservationConvention observationConvention) {
		this.observationConvention = observationConvention;
	}

	/** Frames that could not be read, or that a template does not take (with the envelope). */
	public long getMalformedMessages() {
		return this.malformedMessages.sum();
	}

	/** Replies and errors that came after their request had timed out (with the envelope), dropped. */
	public long getLateReplies() {
		return this.lateReplies.sum();
	}

	/**
	 * Set the executor that completes returned futures and runs push handlers and session events. It must run
	 * tasks on its own threads (not in the caller) and should not be bounded so tightly that a blocking push handler
	 * starves reply completions. The template does not shut it down.
	 * @param callbackExecutor the executor
	 */
	public void setCallbackExecutor(Executor callbackExecutor) {
		this.callbackExecutor = Objects.requireNonNull(callbackExecutor, "callbackExecutor");
		ExecutorService owned = this.ownedCallbackExecutor;
		this.ownedCallbackExecutor = null;
		if (owned != null) {
			owned.shutdown();
		}
	}

	/**
	 * The executor that completes returned futures and runs push handlers and session events.
	 * @return the executor
	 */
	public Executor getCallbackExecutor() {
		return this.callbackExecutor;
	}

	/**
	 * Add a handler of the messages servers push unasked; see {@link KcpPushHandler}.
	 * @param pushHandler the handler, called after those added before it
	 */
	public void addPushHandler(KcpPushHandler pushHandler) {
		this.pushHandlers.add(Objects.requireNonNull(pushHandler, "pushHandler"));
	}

	/**
	 * Remove a handler added with {@link #addPushHandler(KcpPushHandler)}.
	 * @param pushHandler the handler
	 */
	public void removePushHandler(KcpPushHandler pushHandler) {
		this.pushHandlers.remove(pushHandler);
	}

	/**
	 * The registered push handlers, in the order they are called.
	 * @return an unmodifiable snapshot
	 */
	public List<KcpPushHandler> getPushHandlers() {
		return List.copyOf(this.pushHandlers);
	}

	/**
	 * Publish {@link KcpSessionOpenedEvent} and {@link KcpSessionClosedEvent} (with {@code serverSession} false) for
	 * the template's sessions. Called by Spring for a template bean.
	 */
	@Override
	public void setApplicationEventPublisher(ApplicationEventPublisher applicationEventPublisher) {
		this.eventPublisher = applicationEventPublisher;
	}

	/** The configuration of the sessions the template opens. */
	public KcpConfig getConfig() {
		return this.config;
	}

	/**
	 * Set the packet cipher of the sessions the template opens; it must match the server's. Takes effect for
	 * sessions opened afterwards, so set it before the first call. Default: none.
	 * @param packetCipher the cipher, {@code null} or {@link PacketCipher#NONE} for plaintext
	 */
	public void setPacketCipher(@Nullable PacketCipher packetCipher) {
		this.packetCipher = packetCipher;
	}

	/**
	 * The packet cipher of the sessions the template opens.
	 * @return the cipher, {@code null} for plaintext
	 */
	public @Nullable PacketCipher getPacketCipher() {
		return this.packetCipher;
	}

	/**
	 * Secure the sessions the template opens with DTLS (certificates) instead of a packet cipher: the server must
	 * use DTLS too. The first call to a target waits for the handshake; if it fails (the server's certificate is not
	 * trusted, or does not name the host with {@link DtlsSettings#verifyHostname()}, or the server refused the
	 * client's) the call fails with a {@link KcpHandshakeException}, an asynchronous call with a future failed with
	 * it. Takes effect for sessions opened afterwards: replacing the settings (a reloaded certificate) leaves open
	 * sessions as they are. Cannot be combined with a {@link #setPacketCipher packet cipher}.
	 * @param dtlsSettings the settings, or {@code null} for no DTLS (the default)
	 */
	public void setDtlsSettings(@Nullable DtlsSettings dtlsSettings) {
		this.dtlsSettings = dtlsSettings;
	}

	/**
	 * The DTLS settings of the sessions the template opens from now on.
	 * @return the settings, or {@code null} without DTLS
	 */
	public @Nullable DtlsSettings getDtlsSettings() {
		return this.dtlsSettings;
	}

	/**
	 * What the template's open DTLS session to a target negotiated and who the server proved to be (its
	 * certificate's subject is {@link KcpSecurityInfo#peerPrincipal()}); replies and pushes carry the same in their
	 * {@link io.github.kcp.spring.support.KcpHeaders#PEER_PRINCIPAL} header. Opens no session.
	 * @param target the target
	 * @return the security info, or {@code null} if no session to the target is open or it does not use DTLS
	 */
	public @Nullable KcpSecurityInfo getSecurityInfo(InetSocketAddress target) {
		ClientSession open = this.sessions.openSessionTo(target);
		return (open != null) ? open.session.securityInfo() : null;
	}

	/**
	 * Set the event-loop threads new sessions run on. Default: the core's shared group.
	 * @param eventLoops the group, not closed by the template
	 */
	public void setEventLoops(@Nullable KcpEventLoopGroup eventLoops) {
		this.eventLoops = eventLoops;
	}

	/** The converter of payloads and replies. */
	public MessageConverter getMessageConverter() {
		return this.messageConverter;
	}

	/**
	 * Read a received message (for example one a {@link KcpPushHandler} got) as another type, the way replies are
	 * read: {@code byte[]} as is, {@code String} in UTF-8, other types as JSON.
	 * @param <T> the type
	 * @param message the received message
	 * @param type the type to read
	 * @return the converted payload
	 * @throws MessageConversionException if it cannot be read as the type
	 */
	public <T> T convert(Message<byte[]> message, Class<T> type) {
		return KcpMessageConverters.fromBytes(this.messageConverter, message, type);
	}

	// --- KcpOperations

	@Override
	public CompletableFuture<Void> send(Object payload) {
		return send(requireDefaultTarget(), null, payload);
	}

	@Override
	public CompletableFuture<Void> send(String route, Object payload) {
		return send(requireDefaultTarget(), route, payload);
	}

	@Override
	public CompletableFuture<Void> send(InetSocketAddress target, @Nullable String route, Object payload) {
		Observation observation = startObservation(target, route, false);
		try {
			IntFunction<byte[]> frame = OutgoingFrames.oneWay(this.messageFormat, this.messageConverter, route,
					payload, propagatedHeaders(observation));
			return observed(observation, completeOnCallbackExecutor(doSend(target, frame, null, observation)));
		}
		catch (RuntimeException ex) {
			stop(observation, ex);
			throw ex;
		}
	}

	@Override
	public <T> CompletableFuture<T> sendAndReceive(Object payload, Class<T> replyType) {
		return sendAndReceive(requireDefaultTarget(), null, payload, replyType, this.replyTimeout);
	}

	@Override
	public <T> CompletableFuture<T> sendAndReceive(String route, Object payload, Class<T> replyType) {
		return sendAndReceive(requireDefaultTarget(), route, payload, replyType, this.replyTimeout);
	}

	@Override
	public <T> CompletableFuture<T> sendAndReceive(InetSocketAddress target, @Nullable String route, Object payload,
			Class<T> replyType, Duration timeout) {
		Observation observation = startObservation(target, route, true);
		try {
			return observed(observation,
					doSendAndReceive(target, route, payload, replyType, timeout, false, observation));
		}
		catch (RuntimeException ex) {
			stop(observation, ex);
			throw ex;
		}
	}

	@Override
	public void sendBlocking(Object payload) {
		sendBlocking(requireDefaultTarget(), null, payload);
	}

	@Override
	public void sendBlocking(String route, Object payload) {
		sendBlocking(requireDefaultTarget(), route, payload);
	}

	@Override
	public void sendBlocking(InetSocketAddress target, @Nullable String route, Object payload) {
		Observation observation = startObservation(target, route, false);
		try {
			doSendBlocking(target, route, payload, observation);
		}
		catch (RuntimeException ex) {
			stop(observation, ex);
			throw ex;
		}
		stop(observation, null);
	}

	private void doSendBlocking(InetSocketAddress target, @Nullable String route, Object payload,
			Observation observation) {
		IntFunction<byte[]> frame = OutgoingFrames.oneWay(this.messageFormat, this.messageConverter, route, payload,
				propagatedHeaders(observation));
		Duration timeout = this.replyTimeout;
		CompletableFuture<Void> acknowledged = doSend(target, frame, timeout, observation);
		try {
			acknowledged.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			throw new KcpSendTimeoutException(target, timeout, "acknowledged");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new KcpException("Interrupted while waiting for " + target + " to acknowledge a message", ex);
		}
		catch (ExecutionException ex) {
			throw unwrap(ex);
		}
	}

	@Override
	public <T> T sendAndReceiveBlocking(Object payload, Class<T> replyType) {
		return sendAndReceiveBlocking(requireDefaultTarget(), null, payload, replyType, this.replyTimeout);
	}

	@Override
	public <T> T sendAndReceiveBlocking(String route, Object payload, Class<T> replyType) {
		return sendAndReceiveBlocking(requireDefaultTarget(), route, payload, replyType, this.replyTimeout);
	}

	@Override
	public <T> T sendAndReceiveBlocking(InetSocketAddress target, @Nullable String route, Object payload,
			Class<T> replyType, Duration timeout) {
		Observation observation = startObservation(target, route, true);
		CompletableFuture<T> reply;
		try {
			reply = observed(observation,
					doSendAndReceive(target, route, payload, replyType, timeout, true, observation));
		}
		catch (RuntimeException ex) {
			stop(observation, ex);
			throw ex;
		}
		try {
			// The timer fails the future at the timeout; the grace only guards against waiting forever.
			return reply.get(timeout.toNanos() + BLOCKING_GRACE_NANOS, TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			throw new KcpException("No outcome of a request to " + target + " within " + timeout.toMillis()
					+ " ms plus a grace period; the template's timer did not run", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new KcpException("Interrupted while waiting for a reply from " + target, ex);
		}
		catch (ExecutionException ex) {
			throw unwrap(ex);
		}
	}

	/**
	 * Close every session gracefully (data already sent is delivered first), fail the requests still waiting for
	 * replies, and release the template's threads. Waits up to the configuration's close timeout for the sessions
	 * to close, then aborts those still open, for example because their server is gone. Later calls fail with
	 * {@link IllegalStateException}.
	 */
	@Override
	public void destroy() {
		if (this.destroyed) {
			return;
		}
		this.destroyed = true;
		this.sessions.close(this.config.closeTimeout());
		this.timer.shutdownNow();
		ExecutorService owned = this.ownedCallbackExecutor;
		if (owned != null) {
			owned.shutdown();
		}
	}

	/** Same as {@link #destroy()}, for try-with-resources. */
	@Override
	public void close() {
		destroy();
	}

	@Override
	public String toString() {
		return "KcpTemplate [sessions=" + this.sessions.targets() + "]";
	}

	// --- internals

	private InetSocketAddress requireDefaultTarget() {
		InetSocketAddress target = getDefaultTarget();
		if (target == null) {
			throw new IllegalStateException(
					"The KcpTemplate has no default target: call setDefaultTarget, or pass the target to the call");
		}
		return target;
	}

	/**
	 * Write the bytes on the target's session, on a fresh session if the one picked closed under us.
	 * @param waitForRoom how long to wait for room in the send buffer, or {@code null} to fail fast
	 */
	private CompletableFuture<Void> doSend(InetSocketAddress target, IntFunction<byte[]> frame,
			@Nullable Duration waitForRoom, Observation observation) {
		Objects.requireNonNull(target, "target");
		for (int attempt = 1;; attempt++) {
			ClientSession session;
			try {
				session = this.sessions.sessionFor(target);
			}
			catch (KcpHandshakeException ex) {
				return CompletableFuture.failedFuture(ex);
			}
			CompletableFuture<Void> sent = session.write(frame, waitForRoom, null);
			if (sent != null) {
				observedOn(observation, session);
				return sent;
			}
			if (attempt == SESSION_ATTEMPTS) {
				return CompletableFuture.failedFuture(closedRepeatedly(target));
			}
		}
	}

	private <T> CompletableFuture<T> doSendAndReceive(InetSocketAddress target, @Nullable String route,
			Object payload, Class<T> replyType, Duration timeout, boolean waitForRoom, Observation observation) {
		Objects.requireNonNull(target, "target");
		Objects.requireNonNull(replyType, "replyType");
		Assert.isTrue(timeout != null && !timeout.isNegative() && !timeout.isZero(), "timeout must be positive");
		IntFunction<byte[]> frame = OutgoingFrames.request(this.messageFormat, this.messageConverter, route, payload,
				propagatedHeaders(observation));
		long deadline = System.nanoTime() + timeout.toNanos();
		for (int attempt = 1;; attempt++) {
			ClientSession session;
			try {
				session = this.sessions.sessionFor(target);
			}
			catch (KcpHandshakeException ex) {
				return CompletableFuture.failedFuture(ex);
			}
			PendingReply<T> pending = new PendingReply<>(replyType, timeout, this::runCallback);
			Duration roomTimeout = waitForRoom ? Duration.ofNanos(Math.max(0, deadline - System.nanoTime())) : null;
			CompletableFuture<Void> sent = session.write(frame, roomTimeout, pending);
			if (sent != null) {
				observedOn(observation, session);
				pending.armTimer(this.timer, Math.max(0, deadline - System.nanoTime()), session::timedOut);
				return pending.future;
			}
			if (attempt == SESSION_ATTEMPTS) {
				return CompletableFuture.failedFuture(closedRepeatedly(target));
			}
		}
	}

	// --- observations

	/** The started observation of a call ({@link Observation#NOOP} when not observing). */
	private Observation startObservation(InetSocketAddress target, @Nullable String route, boolean request) {
		Objects.requireNonNull(target, "target");
		return KcpTemplateObservation.TEMPLATE
			.observation(this.observationConvention,
					KcpTemplateObservation.DefaultKcpTemplateObservationConvention.INSTANCE,
					() -> new KcpTemplateObservationContext(this.name, target, route, request),
					this.observationRegistry)
			.start();
	}

	/** The headers a tracing handler put into the observation's carrier, to travel in the envelope. */
	private static Map<String, String> propagatedHeaders(Observation observation) {
		return (observation.getContext() instanceof KcpTemplateObservationContext context) ? context.getHeaders()
				: Map.of();
	}

	private static void observedOn(Observation observation, ClientSession session) {
		if (observation.getContext() instanceof KcpTemplateObservationContext context) {
			context.setConv(session.session.conv());
		}
	}

	/**
	 * Stops the observation when the future completes, on the thread that completes it. The caller's own waiting and
	 * continuations go first (they were registered later), so the observation's bookkeeping is not part of the
	 * latency the caller sees; it may still be running when the caller gets the outcome.
	 */
	private static <T> CompletableFuture<T> observed(Observation observation, CompletableFuture<T> future) {
		if (!observation.isNoop()) {
			future.whenComplete((value, failure) -> stop(observation, failure));
		}
		return future;
	}

	private static void stop(Observation observation, @Nullable Throwable failure) {
		if (observation.isNoop()) {
			return;
		}
		KcpTemplateObservationContext.Outcome outcome = KcpTemplateObservationContext.Outcome.SUCCESS;
		if (failure != null) {
			Throwable cause = failure;
			while ((cause instanceof java.util.concurrent.CompletionException || cause instanceof ExecutionException)
					&& cause.getCause() != null) {
				cause = cause.getCause();
			}
			outcome = (cause instanceof KcpRemoteException) ? KcpTemplateObservationContext.Outcome.REMOTE_ERROR
					: (cause instanceof KcpReplyTimeoutException || cause instanceof KcpSendTimeoutException)
							? KcpTemplateObservationContext.Outcome.TIMEOUT
							: KcpTemplateObservationContext.Outcome.FAILURE;
			observation.error(cause);
		}
		if (observation.getContext() instanceof KcpTemplateObservationContext context) {
			context.setOutcome(outcome);
		}
		observation.stop();
	}

	private static KcpSessionClosedException closedRepeatedly(InetSocketAddress target) {
		return new KcpSessionClosedException(
				"Sessions to " + target + " closed " + SESSION_ATTEMPTS + " times in a row while sending",
				CloseReason.ERROR);
	}

	private ClientSession open(InetSocketAddress target) {
		ReplyCorrelation correlation = (this.messageFormat == KcpMessageFormat.RAW) ? new InOrderCorrelation()
				: new CorrelationById();
		ClientSession clientSession = new ClientSession(target, new TemplateSessionEvents(this, this.messageFormat),
				correlation, this::runCallback, this.sessionListeners, this.streamFraming);
		// DTLS together with a packet cipher (other than NONE) is refused by the core, naming both.
		KcpClient.Builder builder = KcpClient.builder()
			.config(this.config)
			.cipher(this.packetCipher)
			.dtls(this.dtlsSettings)
			.handler(clientSession);
		KcpEventLoopGroup group = this.eventLoops;
		if (group != null) {
			builder.eventLoops(group);
		}
		// With DTLS this waits for the handshake (the core ends it within the handshake timeout) and throws
		// KcpHandshakeException if it fails.
		clientSession.session = builder.connect(target);
		logger.debug("KCP template opened {}{}", clientSession.describe(),
				(clientSession.session.securityInfo() != null) ? " with " + clientSession.session.securityInfo() : "");
		warnIfUnanswered(clientSession);
		return clientSession;
	}

	private void warnIfUnanswered(ClientSession clientSession) {
		Duration delay = this.unansweredSessionWarning;
		if (delay.isZero()) {
			return;
		}
		KcpSession session = clientSession.session;
		Runnable check = () -> {
			if (!session.isOpen()) {
				return;
			}
			KcpSessionStats stats = session.stats();
			if (stats.datagramsIn() == 0 && stats.messagesOut() > 0) {
				logger.warn("KCP server {} has not answered the {} within {} ms ({} message(s) sent, no datagram "
						+ "received): is a KCP server listening on that address and port, and do both ends use the "
						+ "same packet encryption (mode, key and salt)? A server that cannot decrypt drops datagrams "
						+ "and logs a warning naming the sender's address.", clientSession.target,
						clientSession.describe(), delay.toMillis(), stats.messagesOut());
			}
		};
		try {
			// Read the stats on the session's own loop, so that the timer thread never waits for it.
			this.timer.schedule(() -> session.executor().execute(check), delay.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// destroyed meanwhile
		}
	}

	private <T> CompletableFuture<T> completeOnCallbackExecutor(CompletableFuture<T> future) {
		CompletableFuture<T> result = new CompletableFuture<>();
		future.whenComplete((value, failure) -> runCallback(() -> {
			if (failure != null) {
				result.completeExceptionally(failure);
			}
			else {
				result.complete(value);
			}
		}));
		return result;
	}

	/** Runs on the callback executor; inline if it refuses (the template is being destroyed). */
	private void runCallback(Runnable task) {
		try {
			this.callbackExecutor.execute(task);
		}
		catch (RejectedExecutionException ex) {
			task.run();
		}
	}

	private static RuntimeException unwrap(ExecutionException ex) {
		Throwable cause = ex.getCause();
		if (cause instanceof RuntimeException runtime) {
			return runtime;
		}
		if (cause instanceof Error error) {
			throw error;
		}
		return new KcpException(String.valueOf((cause != null) ? cause.getMessage() : ex.getMessage()), ex);
	}

	void publish(Object event) {
		ApplicationEventPublisher publisher = this.eventPublisher;
		if (publisher != null) {
			try {
				publisher.publishEvent(event);
			}
			catch (RuntimeException ex) {
				logger.warn("A listener of {} failed", event, ex);
			}
		}
	}

	/** Hands pushes no client-side handler takes to the push handlers. */
	void pushToHandlers(ClientSession session, Message<byte[]> message) {
		List<KcpPushHandler> handlers = this.pushHandlers;
		if (handlers.isEmpty()) {
			logger.debug("Dropped a message of {} bytes pushed by {}: no client-side @KcpHandler or KcpPushHandler "
					+ "takes it", message.getPayload().length, session.target);
			return;
		}
		for (KcpPushHandler handler : handlers) {
			try {
				handler.onPush(message);
			}
			catch (RuntimeException ex) {
				logger.warn("KcpPushHandler {} failed on a message of {} bytes from {}", handler,
						message.getPayload().length, session.target, ex);
			}
		}
	}

	/** The client-side {@code @KcpHandler} methods, built at the first need; {@code null} without a registry. */
	@Nullable PushHandlerMethods pushHandlerMethods() {
		PushHandlerMethods methods = this.pushHandlerMethods;
		if (methods == null && this.handlerRegistry != null && this.handlerMethodFactory != null) {
			synchronized (this.pushHandlerMonitor) {
				methods = this.pushHandlerMethods;
				if (methods == null) {
					methods = new PushHandlerMethods(this.handlerRegistry, this.handlerMethodFactory,
							this.messageConverter, this.messageFormat);
					this.pushHandlerMethods = methods;
				}
			}
		}
		return methods;
	}

	void countMalformed() {
		this.malformedMessages.increment();
	}

	void countLateReply() {
		this.lateReplies.increment();
	}

	void forget(ClientSession session) {
		this.sessions.remove(session);
	}

}
