package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.listener.adapter.HandlerAdapter;
import io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter;
import io.github.kcp.spring.listener.adapter.KcpHandlerRouter;
import io.github.kcp.spring.listener.adapter.PayloadKindRouter;
import io.github.kcp.spring.listener.adapter.RouteMatchingRouter;
import io.github.kcp.spring.event.KcpServerListeningEvent;
import io.github.kcp.spring.event.KcpServerStoppedEvent;
import io.github.kcp.spring.event.KcpSessionClosedEvent;
import io.github.kcp.spring.event.KcpSessionOpenedEvent;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpMessageHandlerMethodFactory;
import io.github.kcp.spring.support.KcpSessionListener;
import io.github.kcp.spring.support.KcpSessionListeners;
import io.github.kcp.spring.support.micrometer.KcpHandlerObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import io.github.kcp.spring.support.KcpStreamFraming;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationEventPublisherAware;
import org.springframework.context.SmartLifecycle;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.MessageHandlerMethodFactory;

/**
 * Runs a {@link KcpServer} for the {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods of the
 * application context, as a {@link SmartLifecycle}.
 * <p>
 * <b>Start</b> (once the context's singletons exist, so every handler is registered): builds the
 * {@link KcpMessageListener} of the handlers of the {@link KcpHandlerRegistry} (a
 * {@link KcpHandlerMessageListenerAdapter}), unless one was {@link #setMessageListener set}, binds the server
 * (port 0 picks a free port) and publishes a {@link KcpServerListeningEvent} with the bound address. Without
 * handlers it does not bind, unless {@link #setStartWithoutHandlers(boolean) told to}.
 * <p>
 * <b>Messages</b> of one session are handled one at a time, in arrival order, on the handler executor; sessions in
 * parallel. A session whose messages pile up, or whose messages the executor refuses, stops reading until they are
 * handled: its receive window closes and the peer slows down; a message the server acknowledged is never
 * dropped.
 * <p>
 * <b>Sessions</b>: each opened session is announced with a {@link KcpSessionOpenedEvent} before its first message is
 * handled, and each closed one with a {@link KcpSessionClosedEvent} (with the reason) after its last. Events are
 * published on the handler executor, never on the network thread.
 * <p>
 * <b>Graceful stop: no acknowledged message is lost.</b> A message the server acknowledged (its sender's send
 * future completed) is handled exactly once, also across a stop. From the moment the stop begins the server
 * acknowledges no new data: data segments are neither acknowledged nor delivered (their senders keep them and may
 * retry elsewhere; their futures fail when the session closes) and new sessions are refused. Every message it had
 * acknowledged is still delivered and handled, and its reply handed to the session; then the server closes every
 * session gracefully (replies are delivered and acknowledged, the peer is told) and releases its socket — all within
 * the {@link #setShutdownTimeout(Duration) shutdown timeout}. What cannot be finished in time is logged at WARN with
 * its counts, and the rest is aborted. A {@link KcpServerStoppedEvent} follows.
 * <p>
 * The handler executor is the one {@link #setTaskExecutor(Executor) given}, or else a pool of
 * {@link #DEFAULT_POOL_SIZE} threads created at start and shut down when the container is destroyed.
 * <p>
 * <b>Observability.</b> The counters ({@link #getDroppedDatagrams(DropReason)}, {@link #getHandlerFailures()}, ...)
 * are totals over every start; {@link #addSessionListener session listeners} hear each session open, its RTT samples
 * and its close (the Micrometer meters of {@code support.micrometer} are one); with an
 * {@link #setObservationRegistry observation registry} each handler invocation is observed.
 */
public class KcpServerContainer implements SmartLifecycle, ApplicationEventPublisherAware, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(KcpServerContainer.class);

	/**
	 * The default {@link #getPhase() phase}: {@link SmartLifecycle#DEFAULT_PHASE}, like the gRPC server — started
	 * last, stopped first, so that the beans handlers use are still there while the server drains.
	 */
	public static final int DEFAULT_PHASE = SmartLifecycle.DEFAULT_PHASE;

	/** Threads of the default handler executor: twice the processors, at least 4. */
	public static final int DEFAULT_POOL_SIZE = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

	/** The default UDP port. */
	public static final int DEFAULT_PORT = 9700;

	/** Messages of one session that may wait for a handler before the session stops reading, by default. */
	public static final int DEFAULT_MAX_QUEUED_PER_SESSION = 256;

	/**
	 * The session attribute holding when the session opened ({@link java.time.Instant}), set by the container
	 * before anything else hears of the session.
	 */
	public static final String OPENED_AT_ATTRIBUTE = "kcp.openedAt";

	private final KcpHandlerRegistry registry;

	private final MessageHandlerMethodFactory methodFactory;

	private final MessageConverter messageConverter;

	private final Object monitor = new Object();

	private final LongAdder refusedSessions = new LongAdder();

	private final KcpSessionRegistry sessionRegistry;

	private final KcpSessionListeners sessionListeners = new KcpSessionListeners();

	/** The counters of the server now running plus those of the ones before, so that totals survive a restart. */
	private final CounterTotals counterTotals = new CounterTotals();

	private ObservationRegistry observationRegistry = ObservationRegistry.NOOP;

	private @Nullable KcpHandlerObservationConvention observationConvention;

	private String id = "";

	private volatile KcpMessageFormat messageFormat = KcpMessageFormat.RAW;

	private KcpConfig config = KcpConfig.defaults();

	private @Nullable PacketCipher packetCipher;

	/** What new DTLS handshakes use; replaced on a certificate reload. Guarded by {@link #monitor} for writes. */
	private volatile @Nullable DtlsSettings dtlsSettings;

	private InetSocketAddress bindAddress = new InetSocketAddress(DEFAULT_PORT);

	private int maxSessions = 10_000;

	private int newSessionsPerSecond;

	private Duration closedSessionMemory = Duration.ofSeconds(60);

	private Duration shutdownTimeout = Duration.ofSeconds(10);

	private int phase = DEFAULT_PHASE;

	private boolean autoStartup = true;

	private boolean startWithoutHandlers;

	private int maxQueuedPerSession = DEFAULT_MAX_QUEUED_PER_SESSION;

	private @Nullable KcpMessageListener messageListener;

	private @Nullable KcpStreamFraming streamFraming;

	private final List<Consumer<KcpServer.Builder>> serverCustomizers = new ArrayList<>();

	private @Nullable Executor taskExecutor;

	private boolean shutDownTaskExecutor;

	private @Nullable ExecutorService ownedExecutor;

	private @Nullable KcpHandlerErrorHandler errorHandler;

	private @Nullable ApplicationEventPublisher publisher;

	private volatile @Nullable KcpServer server;

	private volatile @Nullable SessionDispatcher dispatcher;

	private volatile @Nullable KcpMessageListener activeListener;

	private volatile boolean running;

	private volatile boolean stopping;

	/** Completed when the stop in progress has finished; {@code null} when no stop is in progress. */
	private @Nullable CompletableFuture<Void> stopInProgress;

	/** Why the last server stopped on its own (see {@link #getFailure()}); cleared by the next start. */
	private volatile @Nullable Throwable failure;

	private @Nullable CountDownLatch keepAlive;

	/**
	 * A container for the handlers of {@code registry}, with the default converter (bytes, text, JSON with a
	 * default Jackson 3 mapper when present).
	 * @param registry the handlers (read when the container starts)
	 */
	public KcpServerContainer(KcpHandlerRegistry registry) {
		this(registry, KcpMessageConverters.create());
	}

	/**
	 * A container for the handlers of {@code registry}, converting payloads and replies with {@code converter}.
	 * @param registry the handlers (read when the container starts)
	 * @param messageConverter converts payloads to handler arguments and return values to replies
	 */
	public KcpServerContainer(KcpHandlerRegistry registry, MessageConverter messageConverter) {
		this(registry, new KcpMessageHandlerMethodFactory(messageConverter), messageConverter);
	}

	/**
	 * A container with its own handler method factory.
	 * @param registry the handlers (read when the container starts)
	 * @param methodFactory resolves handler arguments
	 * @param messageConverter converts return values to replies
	 */
	public KcpServerContainer(KcpHandlerRegistry registry, MessageHandlerMethodFactory methodFactory,
			MessageConverter messageConverter) {
		this.registry = Objects.requireNonNull(registry, "registry");
		this.methodFactory = Objects.requireNonNull(methodFactory, "methodFactory");
		this.messageConverter = Objects.requireNonNull(messageConverter, "messageConverter");
		this.sessionRegistry = new KcpSessionRegistry(() -> this.messageFormat, messageConverter);
	}

	/**
	 * Sets the id of this server: it serves the {@code @KcpHandler} methods whose {@code server} attribute names
	 * it. Only needed for a second server in one application.
	 * @param id the id; empty (the default) for the default server, which serves the handlers without
	 * {@code server}
	 */
	public void setId(String id) {
		this.id = Objects.requireNonNull(id, "id");
	}

	/** The id of this server; empty for the default server. */
	public String getId() {
		return this.id;
	}

	/**
	 * Sets what the messages of this server carry; its clients must use the same.
	 * @param messageFormat {@link KcpMessageFormat#RAW} (the default, what every KCP peer speaks) or
	 * {@link KcpMessageFormat#ENVELOPE} (routes and correlated replies)
	 */
	public void setMessageFormat(KcpMessageFormat messageFormat) {
		this.messageFormat = Objects.requireNonNull(messageFormat, "messageFormat");
	}

	/** What the messages of this server carry. */
	public KcpMessageFormat getMessageFormat() {
		return this.messageFormat;
	}

	/**
	 * The open sessions of this server, to inspect and to push messages to.
	 * @return the registry (empty while the server is not running)
	 */
	public KcpSessionRegistry getSessionRegistry() {
		return this.sessionRegistry;
	}

	/**
	 * Sets the configuration of the sessions (protocol settings).
	 * @param config the session configuration; default {@link KcpConfig#defaults()}
	 */
	public void setConfig(KcpConfig config) {
		this.config = Objects.requireNonNull(config, "config");
	}

	/** The configuration of the sessions. */
	public KcpConfig getConfig() {
		return this.config;
	}

	/**
	 * Sets the packet cipher of the server's socket.
	 * @param packetCipher the cipher, {@code null} or {@link PacketCipher#NONE} for plaintext (the default)
	 */
	public void setPacketCipher(@Nullable PacketCipher packetCipher) {
		this.packetCipher = packetCipher;
	}

	/**
	 * The packet cipher of the server's socket.
	 * @return the cipher, {@code null} for plaintext
	 */
	public @Nullable PacketCipher getPacketCipher() {
		return this.packetCipher;
	}

	/**
	 * Secures every session of the server with DTLS (certificates) instead of a packet cipher: the server proves
	 * its identity with the context's certificate, optionally asks for the clients' (see
	 * {@link DtlsSettings#clientAuth()}), and each session has its own keys. Handlers learn who the peer is from
	 * a {@code Principal} parameter (or the {@link io.github.kcp.spring.support.KcpHeaders#PEER_PRINCIPAL} header).
	 * Takes effect at the next start; to change the certificate of a running server use
	 * {@link #updateDtlsSettings(DtlsSettings)}. Cannot be combined with a {@link #setPacketCipher packet cipher}.
	 * @param dtlsSettings the settings, or {@code null} for no DTLS (the default)
	 */
	public void setDtlsSettings(@Nullable DtlsSettings dtlsSettings) {
		synchronized (this.monitor) {
			this.dtlsSettings = dtlsSettings;
		}
	}

	/**
	 * Replaces the DTLS settings (certificate, trust, client authentication) for the handshakes that start from now
	 * on, as when a Spring Boot SSL bundle is reloaded: a running server switches at once and keeps its live sessions
	 * (their keys do not depend on the certificate once the handshake is done), and later starts use them too.
	 * @param dtlsSettings the new settings
	 * @throws IllegalStateException if the container was not set up for DTLS: switching a server between DTLS and
	 * plain sessions needs a restart
	 */
	public void updateDtlsSettings(DtlsSettings dtlsSettings) {
		Objects.requireNonNull(dtlsSettings, "dtlsSettings");
		synchronized (this.monitor) {
			if (this.dtlsSettings == null) {
				throw new IllegalStateException(describe() + " does not use DTLS; set its DTLS settings before it "
						+ "starts instead of updating them");
			}
			this.dtlsSettings = dtlsSettings;
			KcpServer current = this.server;
			if (current != null) {
				current.updateDtlsSettings(dtlsSettings);
			}
		}
		logger.info("{} uses new DTLS settings for new handshakes: {}", describe(), dtlsSettings);
	}

	/**
	 * The DTLS settings new handshakes use.
	 * @return the settings, or {@code null} when the server does not use DTLS
	 */
	public @Nullable DtlsSettings getDtlsSettings() {
		return this.dtlsSettings;
	}

	/** The local address the server binds (port 0: a free one, see {@link #getLocalAddress()}). */
	public InetSocketAddress getBindAddress() {
		return this.bindAddress;
	}

	/** The most sessions open at once. */
	public int getMaxSessions() {
		return this.maxSessions;
	}

	/** The most new sessions admitted per second, 0 for no limit. */
	public int getNewSessionsPerSecond() {
		return this.newSessionsPerSecond;
	}

	/** How long closed conversations are remembered. */
	public Duration getClosedSessionMemory() {
		return this.closedSessionMemory;
	}

	/**
	 * Sets the local address to bind.
	 * @param bindAddress the address; port 0 picks a free port. Default: all interfaces, port {@value #DEFAULT_PORT}
	 */
	public void setBindAddress(InetSocketAddress bindAddress) {
		this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
	}

	/**
	 * Sets the most sessions open at once.
	 * @param maxSessions at least 1; default 10,000
	 */
	public void setMaxSessions(int maxSessions) {
		this.maxSessions = maxSessions;
	}

	/**
	 * Sets the most new sessions admitted per second.
	 * @param newSessionsPerSecond 0 for no limit (the default)
	 */
	public void setNewSessionsPerSecond(int newSessionsPerSecond) {
		this.newSessionsPerSecond = newSessionsPerSecond;
	}

	/**
	 * Sets how long closed conversations are remembered so that their late datagrams do not open them again.
	 * @param closedSessionMemory default 60 s
	 */
	public void setClosedSessionMemory(Duration closedSessionMemory) {
		this.closedSessionMemory = Objects.requireNonNull(closedSessionMemory, "closedSessionMemory");
	}

	/**
	 * Sets how long a graceful stop may take in all: handler replies, then unacknowledged data, then the close.
	 * @param shutdownTimeout default 10 s
	 */
	public void setShutdownTimeout(Duration shutdownTimeout) {
		if (shutdownTimeout.isNegative()) {
			throw new IllegalArgumentException("shutdownTimeout must not be negative but was " + shutdownTimeout);
		}
		this.shutdownTimeout = shutdownTimeout;
	}

	/** How long a graceful stop may take. */
	public Duration getShutdownTimeout() {
		return this.shutdownTimeout;
	}

	/**
	 * Sets the lifecycle phase.
	 * @param phase default {@link #DEFAULT_PHASE}
	 */
	public void setPhase(int phase) {
		this.phase = phase;
	}

	/**
	 * Sets whether the container starts with the context.
	 * @param autoStartup default true
	 */
	public void setAutoStartup(boolean autoStartup) {
		this.autoStartup = autoStartup;
	}

	/**
	 * Sets whether to bind the server even when no {@code @KcpHandler} method exists (messages are then dropped and
	 * counted).
	 * @param startWithoutHandlers default false
	 */
	public void setStartWithoutHandlers(boolean startWithoutHandlers) {
		this.startWithoutHandlers = startWithoutHandlers;
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

	/**
	 * Sets the listener every message goes to instead of the {@code @KcpHandler} methods of the registry (for
	 * integrations such as channel adapters). The server then starts even without handlers.
	 * @param messageListener the listener, or {@code null} for the {@code @KcpHandler} methods (the default)
	 */
	public void setMessageListener(@Nullable KcpMessageListener messageListener) {
		this.messageListener = messageListener;
	}

	/**
	 * Sets how messages are cut out of the byte stream of each session, for servers in stream mode
	 * ({@link KcpConfig#stream()}): each received message goes to the listener (the {@code @KcpHandler} methods, or
	 * the one {@link #setMessageListener set}) whole, and everything written to a session &mdash; replies, pushes,
	 * sends on the {@link KcpSession} a handler holds &mdash; is framed the same way. A session whose bytes cannot be
	 * framed is closed and logged at WARN. Without it (the default) each piece of the stream the session delivers is
	 * a message.
	 * @param streamFraming the framing (for example {@code KcpStreamFraming.of(TcpCodecs.lengthHeader4())}), or
	 * {@code null} for none
	 */
	public void setStreamFraming(@Nullable KcpStreamFraming streamFraming) {
		this.streamFraming = streamFraming;
	}

	/** How messages are cut out of the byte stream of each session; {@code null} for none. */
	public @Nullable KcpStreamFraming getStreamFraming() {
		return this.streamFraming;
	}

	/**
	 * Adds a callback that adjusts the core server builder after the container has applied its settings (for
	 * example an event-loop group).
	 * @param customizer the customizer
	 */
	public void addServerCustomizer(Consumer<KcpServer.Builder> customizer) {
		this.serverCustomizers.add(Objects.requireNonNull(customizer, "customizer"));
	}

	/**
	 * Sets the executor that runs the handlers. It must run tasks on other threads than the caller's.
	 * @param taskExecutor the executor; {@code null} for a pool of {@link #DEFAULT_POOL_SIZE} threads
	 * @param shutDownOnDestroy whether the container shuts it down when destroyed (if it is an
	 * {@link ExecutorService} or {@link AutoCloseable})
	 */
	public void setTaskExecutor(@Nullable Executor taskExecutor, boolean shutDownOnDestroy) {
		this.taskExecutor = taskExecutor;
		this.shutDownTaskExecutor = shutDownOnDestroy;
	}

	/**
	 * Sets the executor that runs the handlers, not shut down by the container.
	 * @param taskExecutor the executor; {@code null} for a pool of {@link #DEFAULT_POOL_SIZE} threads
	 */
	public void setTaskExecutor(@Nullable Executor taskExecutor) {
		setTaskExecutor(taskExecutor, false);
	}

	/** The executor {@link #setTaskExecutor set}, or {@code null} for the container's own pool. */
	public @Nullable Executor getTaskExecutor() {
		return this.taskExecutor;
	}

	/**
	 * Sets what peers get when a handler fails.
	 * @param errorHandler the error handler, or {@code null} to send nothing (the default)
	 */
	public void setErrorHandler(@Nullable KcpHandlerErrorHandler errorHandler) {
		this.errorHandler = errorHandler;
	}

	/**
	 * Adds a listener of the server's sessions (opened, RTT samples, closed), such as the Micrometer session meters.
	 * Add it before the start to hear of every session.
	 * @param listener the listener, called on the sessions' event loops
	 */
	public void addSessionListener(KcpSessionListener listener) {
		this.sessionListeners.add(listener);
	}

	/**
	 * Removes a listener added with {@link #addSessionListener}.
	 * @param listener the listener
	 */
	public void removeSessionListener(KcpSessionListener listener) {
		this.sessionListeners.remove(listener);
	}

	/**
	 * Sets the registry of the observations of {@code @KcpHandler} invocations (one per invocation, from the message
	 * to its reply handed to the session; with the messaging envelope its trace context is read from the message's
	 * headers). Takes effect at the next start.
	 * @param observationRegistry the registry; {@link ObservationRegistry#NOOP} (the default) observes nothing
	 */
	public void setObservationRegistry(ObservationRegistry observationRegistry) {
		this.observationRegistry = Objects.requireNonNull(observationRegistry, "observationRegistry");
	}

	/**
	 * Sets the convention of the handler observations, replacing the default one's names and key values.
	 * @param observationConvention the convention, or {@code null} for the default
	 */
	public void setObservationConvention(@Nullable KcpHandlerObservationConvention observationConvention) {
		this.observationConvention = observationConvention;
	}

	@Override
	public void setApplicationEventPublisher(ApplicationEventPublisher publisher) {
		this.publisher = publisher;
	}

	/** The running server, or {@code null} when not started (or started without handlers). */
	public @Nullable KcpServer getServer() {
		return this.server;
	}

	/**
	 * The listener of the running server: the one {@link #setMessageListener set}, or the
	 * {@link KcpHandlerMessageListenerAdapter} of the {@code @KcpHandler} methods; {@code null} when not started.
	 */
	public @Nullable KcpMessageListener getMessageListener() {
		return this.activeListener;
	}

	/** Messages received and not yet finished (handled and replied to); 0 when not started. */
	public int getInFlightMessages() {
		SessionDispatcher current = this.dispatcher;
		return (current != null) ? current.inFlight() : 0;
	}

	/**
	 * Times the handler executor refused a session's messages (each time, the session stopped reading until the
	 * executor took them: back-pressure, not loss). Like the other counters of the container, a total over every
	 * start of the container.
	 */
	public long getHandlerExecutorStalls() {
		return this.counterTotals.total(Counter.EXECUTOR_STALLS);
	}

	/** Messages the server's sessions delivered to the container (handed to the listener, queued or done). */
	public long getReceivedMessages() {
		return this.counterTotals.total(Counter.RECEIVED_MESSAGES);
	}

	/**
	 * Handler invocations that failed: threw, returned a failed future or could not convert their payload (with the
	 * {@code @KcpHandler} listener), or listener calls that threw (with a listener of one's own).
	 */
	public long getHandlerFailures() {
		return this.counterTotals.total(Counter.HANDLER_FAILURES);
	}

	/** Messages no {@code @KcpHandler} takes (0 with a listener of one's own). */
	public long getUnroutedMessages() {
		return this.counterTotals.total(Counter.UNROUTED_MESSAGES);
	}

	/** Messages dropped because they were not valid envelope frames, or frames a server does not take. */
	public long getMalformedMessages() {
		return this.counterTotals.total(Counter.MALFORMED_MESSAGES);
	}

	/** Replies that could not be converted or handed to their session. */
	public long getReplyFailures() {
		return this.counterTotals.total(Counter.REPLY_FAILURES);
	}

	/**
	 * DTLS handshakes the server completed (see {@link KcpServer#dtlsHandshakesCompleted()}); 0 without DTLS.
	 * @return the total over every start of the container
	 */
	public long getDtlsHandshakesCompleted() {
		return this.counterTotals.total(Counter.DTLS_HANDSHAKES_COMPLETED);
	}

	/**
	 * DTLS handshakes that failed: a certificate refused on either side, a client without the certificate
	 * client authentication requires, a timeout (see {@link KcpServer#dtlsHandshakesFailed()}); 0 without DTLS.
	 * @return the total over every start of the container
	 */
	public long getDtlsHandshakesFailed() {
		return this.counterTotals.total(Counter.DTLS_HANDSHAKES_FAILED);
	}

	/**
	 * Cookies the server's stateless DTLS cookie exchange sent to sources that had not proved their address (see
	 * {@link KcpServer#dtlsCookiesSent()}); 0 without DTLS.
	 * @return the total over every start of the container
	 */
	public long getDtlsCookiesSent() {
		return this.counterTotals.total(Counter.DTLS_COOKIES_SENT);
	}

	/**
	 * Datagrams the server dropped for {@code reason} (see {@link KcpServer#droppedDatagrams(DropReason)}).
	 * @param reason the reason
	 * @return the total over every start of the container
	 */
	public long getDroppedDatagrams(DropReason reason) {
		return this.counterTotals.dropped(reason);
	}

	/**
	 * The bound local address.
	 * @return the address, or {@code null} when the server is not running
	 */
	public @Nullable InetSocketAddress getLocalAddress() {
		KcpServer current = this.server;
		return (current != null) ? current.localAddress() : null;
	}

	/**
	 * The bound UDP port.
	 * @return the port, or -1 when the server is not running
	 */
	public int getPort() {
		InetSocketAddress address = getLocalAddress();
		return (address != null) ? address.getPort() : -1;
	}

	/** Whether a graceful stop is in progress. */
	public boolean isStopping() {
		return this.stopping;
	}

	/** Sessions refused because they opened while the server was stopping. */
	public long getRefusedSessions() {
		return this.refusedSessions.sum();
	}

	@Override
	public int getPhase() {
		return this.phase;
	}

	@Override
	public boolean isAutoStartup() {
		return this.autoStartup;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/**
	 * Binds the server and starts serving, unless there are no handlers (see
	 * {@link #setStartWithoutHandlers(boolean)}).
	 * @throws KcpServerStartException if the server cannot bind its address
	 */
	@Override
	public void start() {
		synchronized (this.monitor) {
			if (this.running) {
				return;
			}
			List<KcpHandlerEndpoint> endpoints = this.registry.getServerEndpoints(this.id);
			if (endpoints.isEmpty() && this.messageListener == null && !this.startWithoutHandlers) {
				logger.info("No @KcpHandler methods: the KCP server is not started");
				return;
			}
			KcpMessageListener listener = (this.messageListener != null) ? this.messageListener
					: handlerListener(endpoints);
			KcpStreamFraming framing = this.streamFraming;
			SessionDispatcher created = new SessionDispatcher(
					(framing != null) ? new FramingMessageListener(listener) : listener, executor(),
					this.maxQueuedPerSession);
			DtlsSettings dtls = this.dtlsSettings;
			// DTLS together with a packet cipher (other than NONE) is refused by the core, naming both, and the
			// start fails below with a KcpServerStartException.
			KcpServer.Builder builder = KcpServer.builder()
				.config(this.config)
				.cipher(this.packetCipher)
				.dtls(dtls)
				.handler(new SessionEvents(created, framing))
				.maxSessions(this.maxSessions)
				.newSessionsPerSecond(this.newSessionsPerSecond)
				.closedSessionMemory(this.closedSessionMemory);
			this.serverCustomizers.forEach((customizer) -> customizer.accept(builder));
			this.stopping = false;
			this.dispatcher = created;
			this.activeListener = listener;
			KcpServer bound;
			try {
				bound = builder.bind(this.bindAddress);
			}
			catch (Exception ex) {
				// Name the address; the root cause says why (e.g. a BindException).
				this.dispatcher = null;
				this.activeListener = null;
				created.close();
				throw new KcpServerStartException(this.bindAddress, ex);
			}
			this.server = bound;
			this.failure = null;
			this.counterTotals.countFrom(bound, created, listener);
			this.running = true;
			startKeepAlive(bound.localAddress());
			bound.closeFuture().whenComplete((ignored, ex) -> {
				if (ex != null) {
					serverFailed(bound, created, (ex instanceof CompletionException && ex.getCause() != null)
							? ex.getCause() : ex);
				}
			});
			logger.info("KCP server listening on {}{} with {}", bound.localAddress(),
					(dtls != null) ? " (DTLS, client authentication " + dtls.clientAuth() + ")" : "",
					(this.messageListener != null) ? this.messageListener
							: endpoints.isEmpty() ? "no handlers" : endpoints);
			publish(new KcpServerListeningEvent(this, bound.localAddress()));
		}
	}

	private KcpHandlerMessageListenerAdapter handlerListener(List<KcpHandlerEndpoint> endpoints) {
		KcpHandlerRegistry.check(endpoints, this.messageFormat, this.messageConverter, describe());
		List<HandlerAdapter> handlers = endpoints.stream()
			.map((endpoint) -> new HandlerAdapter(endpoint,
					this.methodFactory.createInvocableHandlerMethod(endpoint.getBean(), endpoint.getMethod())))
			.toList();
		KcpHandlerRouter router = (this.messageFormat == KcpMessageFormat.RAW) ? new PayloadKindRouter(handlers)
				: new RouteMatchingRouter(handlers);
		KcpHandlerMessageListenerAdapter adapter = new KcpHandlerMessageListenerAdapter(router,
				this.messageConverter, this.messageFormat);
		adapter.setErrorHandler(this.errorHandler);
		adapter.setObservationRegistry(this.observationRegistry);
		adapter.setObservationConvention(this.observationConvention);
		adapter.setServerName(getName());
		return adapter;
	}

	/** The id of this server, or {@code default} for the default server: its name in metrics and observations. */
	public String getName() {
		return this.id.isEmpty() ? "default" : this.id;
	}

	private String describe() {
		return this.id.isEmpty() ? "the KCP server" : "the KCP server '" + this.id + "'";
	}

	/**
	 * Keeps the JVM alive while the server runs. Netty's event loops and the handler pool use daemon threads, so an
	 * application whose only work is this server would otherwise exit right after start-up, as web servers avoid
	 * with their own non-daemon await thread.
	 */
	private void startKeepAlive(InetSocketAddress address) {
		CountDownLatch latch = new CountDownLatch(1);
		Thread thread = new Thread(() -> {
			try {
				latch.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}, "kcp-server-" + address.getPort());
		thread.setDaemon(false);
		thread.start();
		this.keepAlive = latch;
	}

	private void stopKeepAlive() {
		CountDownLatch latch = this.keepAlive;
		if (latch != null) {
			latch.countDown();
			this.keepAlive = null;
		}
	}

	@Override
	public void stop() {
		CountDownLatch latch = new CountDownLatch(1);
		stop(latch::countDown);
		try {
			// The stop itself is bounded by the shutdown timeout; allow a little more for the socket to close.
			if (!latch.await(this.shutdownTimeout.toMillis() + 5000, TimeUnit.MILLISECONDS)) {
				logger.warn("KCP server did not stop within {} plus 5 s", this.shutdownTimeout);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void stop(Runnable callback) {
		KcpServer current;
		SessionDispatcher currentDispatcher;
		CompletableFuture<Void> stopped;
		synchronized (this.monitor) {
			if (this.stopInProgress != null) {
				// Stopped again while draining (for example destroy() after the lifecycle timeout): one drain only.
				this.stopInProgress.whenComplete((ignored, ex) -> callback.run());
				return;
			}
			current = this.server;
			currentDispatcher = this.dispatcher;
			if (!this.running || current == null || currentDispatcher == null) {
				this.running = false;
				callback.run();
				return;
			}
			this.stopping = true;
			stopped = new CompletableFuture<>();
			this.stopInProgress = stopped;
		}
		long deadline = System.nanoTime() + this.shutdownTimeout.toNanos();
		InetSocketAddress address = current.localAddress();
		logger.info("KCP server on {} stopping: {} session(s), {} message(s) in progress, up to {}", address,
				current.sessionCount(), currentDispatcher.inFlight(), this.shutdownTimeout);
		// 1. Acknowledge no new data from now on (peers keep it to retry elsewhere) and refuse new sessions; 2. once
		// that is in effect, handle every message already acknowledged and hand its reply to its session, 3. then
		// let the server deliver what is unacknowledged and close the sessions, 4. then wait for the closed events.
		current.stopReceiving()
			.thenCompose((receivingStopped) -> AcknowledgedMessagesDrain.drain(current, currentDispatcher))
			.thenApply((drained) -> true)
			.completeOnTimeout(false, remainingNanos(deadline), TimeUnit.NANOSECONDS)
			.thenCompose((drained) -> {
				if (!drained) {
					reportUndrained(current, currentDispatcher, address);
				}
				return current.shutdown(Duration.ofNanos(remainingNanos(deadline)));
			})
			// The server completes its close future before the last sessions' close callbacks have run.
			.thenCompose((ignored) -> currentDispatcher.whenSessionsClosed()
				.thenCompose((none) -> currentDispatcher.whenIdle())
				.completeOnTimeout(null, Math.max(remainingNanos(deadline), 1_000_000_000L), TimeUnit.NANOSECONDS))
			.whenComplete((ignored, ex) -> {
				if (ex != null) {
					logger.warn("KCP server on {} did not stop cleanly", address, ex);
				}
				currentDispatcher.close();
				this.counterTotals.retire();
				synchronized (this.monitor) {
					this.running = false;
					this.stopping = false;
					this.server = null;
					this.stopInProgress = null;
					stopKeepAlive();
				}
				logger.info("KCP server on {} stopped", address);
				try {
					publish(new KcpServerStoppedEvent(this, address));
				}
				finally {
					try {
						callback.run();
					}
					finally {
						stopped.complete(null);
					}
				}
			});
	}

	/**
	 * The server failed on its own (an {@code Error} on its event loop: it already closed its sessions and released
	 * its socket). The container stops with it, loudly: no drain is possible, handlers get no more messages, the
	 * JVM is no longer kept alive for it, and {@link #getFailure()} says why (health reports it DOWN).
	 */
	private void serverFailed(KcpServer failed, SessionDispatcher failedDispatcher, Throwable cause) {
		InetSocketAddress address;
		synchronized (this.monitor) {
			if (this.server != failed || this.stopping) {
				return;
			}
			this.failure = cause;
			this.running = false;
			this.server = null;
			this.dispatcher = null;
			stopKeepAlive();
			address = failed.localAddress();
		}
		logger.error("KCP server on {} failed and stopped; the container stops with it", address, cause);
		failedDispatcher.close();
		this.counterTotals.retire();
		publish(new KcpServerStoppedEvent(this, address, cause));
	}

	/**
	 * Why the last server stopped on its own (an {@code Error} on its event loop, such as an
	 * {@code OutOfMemoryError}), or {@code null} if it is running, stopped gracefully or never started.
	 */
	public @Nullable Throwable getFailure() {
		return this.failure;
	}

	@Override
	public void destroy() {
		if (this.running) {
			stop();
		}
		ExecutorService owned = this.ownedExecutor;
		if (owned != null) {
			owned.shutdown();
			this.ownedExecutor = null;
		}
		if (this.shutDownTaskExecutor && this.taskExecutor != null) {
			if (this.taskExecutor instanceof ExecutorService service) {
				service.shutdown();
			}
			else if (this.taskExecutor instanceof AutoCloseable closeable) {
				try {
					closeable.close();
				}
				catch (Exception ex) {
					logger.debug("Could not close the handler executor {}", this.taskExecutor, ex);
				}
			}
		}
	}

	/** What a stop that ran out of time leaves: logged at WARN with the counts, never silently. */
	private void reportUndrained(KcpServer server, SessionDispatcher dispatcher, InetSocketAddress address) {
		long undelivered = 0;
		for (KcpSession session : server.sessions()) {
			try {
				undelivered += session.stats().receiveQueueSegments();
			}
			catch (RuntimeException ex) {
				logger.debug("Could not read the receive queue of session {}", KcpHeaders.sessionId(session), ex);
			}
		}
		logger.warn("KCP server on {} did not finish its acknowledged messages within {}: {} message(s) still being "
				+ "handled or replied to, {} received segment(s) not yet delivered to a handler; closing anyway",
				address, this.shutdownTimeout, dispatcher.inFlight(), undelivered);
	}

	private static long remainingNanos(long deadline) {
		return Math.max(0, deadline - System.nanoTime());
	}

	private Executor executor() {
		if (this.taskExecutor != null) {
			return this.taskExecutor;
		}
		ExecutorService owned = this.ownedExecutor;
		if (owned == null) {
			owned = defaultExecutor(DEFAULT_POOL_SIZE, 10_000, "kcp-handler-");
			this.ownedExecutor = owned;
		}
		return owned;
	}

	/**
	 * A pool of platform threads for handlers: {@code poolSize} daemon threads (idle ones end after a minute), a
	 * queue of {@code queueCapacity} tasks, and a {@link java.util.concurrent.RejectedExecutionException} beyond it.
	 * Since each session has at most one task queued at a time, a capacity at least the session limit never
	 * rejects.
	 * @param poolSize the number of threads
	 * @param queueCapacity tasks that may wait for a thread
	 * @param threadNamePrefix prefix of the thread names
	 * @return the pool; the caller shuts it down
	 */
	public static ThreadPoolExecutor defaultExecutor(int poolSize, int queueCapacity, String threadNamePrefix) {
		AtomicInteger threads = new AtomicInteger();
		ThreadPoolExecutor pool = new ThreadPoolExecutor(poolSize, poolSize, 60, TimeUnit.SECONDS,
				new LinkedBlockingQueue<>(queueCapacity), (task) -> {
					Thread thread = new Thread(task, threadNamePrefix + threads.incrementAndGet());
					thread.setDaemon(true);
					return thread;
				});
		pool.allowCoreThreadTimeOut(true);
		return pool;
	}

	private void publish(ApplicationEvent event) {
		ApplicationEventPublisher current = this.publisher;
		if (current == null) {
			return;
		}
		try {
			current.publishEvent(event);
		}
		catch (RuntimeException ex) {
			logger.warn("A listener of {} failed", event, ex);
		}
	}

	@Override
	public String toString() {
		return "KcpServerContainer [" + (this.id.isEmpty() ? "" : "'" + this.id + "' ") + this.messageFormat + ", "
				+ ((this.server != null) ? this.server : this.bindAddress) + "]";
	}

	/**
	 * The server's session handler: admission while stopping, events, and messages to the dispatcher. With a stream
	 * framing, the sessions everyone above sees are {@link FramedSession}s.
	 */
	private final class SessionEvents implements KcpSessionHandler {

		private final SessionDispatcher dispatcher;

		private final @Nullable KcpStreamFraming framing;

		private final Map<KcpSession, FramedSession> framedSessions = new ConcurrentHashMap<>();

		SessionEvents(SessionDispatcher dispatcher, @Nullable KcpStreamFraming framing) {
			this.dispatcher = dispatcher;
			this.framing = framing;
		}

		private KcpSession visible(KcpSession session) {
			KcpStreamFraming current = this.framing;
			return (current != null)
					? this.framedSessions.computeIfAbsent(session, (opened) -> new FramedSession(opened, current))
					: session;
		}

		@Override
		public void onOpen(KcpSession session) {
			session.attributes().put(OPENED_AT_ATTRIBUTE, Instant.now());
			KcpServerContainer.this.sessionListeners.sessionOpened(session);
			if (KcpServerContainer.this.stopping) {
				KcpServerContainer.this.refusedSessions.increment();
				logger.debug("Refused session {}: the server is stopping", KcpHeaders.sessionId(session));
				session.abort();
				return;
			}
			KcpSession opened = visible(session);
			KcpServerContainer.this.sessionRegistry.add(opened);
			this.dispatcher.sessionOpened(opened,
					() -> publish(new KcpSessionOpenedEvent(KcpServerContainer.this, opened, true)));
		}

		@Override
		public void onMessage(KcpSession session, byte[] message) {
			KcpSession receiving = visible(session);
			if (receiving instanceof FramedSession framed) {
				framed.chunkArrived();
			}
			this.dispatcher.dispatch(receiving, message);
		}

		@Override
		public void onRttSample(KcpSession session, int rttMillis) {
			KcpServerContainer.this.sessionListeners.rttSampled(session, rttMillis);
		}

		@Override
		public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
			KcpServerContainer.this.sessionListeners.sessionClosed(session, reason);
			FramedSession framed = this.framedSessions.remove(session);
			KcpSession closed = (framed != null) ? framed : session;
			KcpServerContainer.this.sessionRegistry.remove(closed);
			if (framed != null) {
				// The end of the stream may complete a last message (a codec that reads to the end).
				this.dispatcher.dispatch(framed, FramingMessageListener.END_OF_STREAM);
			}
			this.dispatcher.sessionClosed(closed,
					() -> publish(new KcpSessionClosedEvent(KcpServerContainer.this, closed, true, reason, cause)));
		}

	}

	/** A counter the container keeps over its restarts. */
	private enum Counter {

		EXECUTOR_STALLS, RECEIVED_MESSAGES, HANDLER_FAILURES, UNROUTED_MESSAGES, MALFORMED_MESSAGES, REPLY_FAILURES,
		DTLS_HANDSHAKES_COMPLETED, DTLS_HANDSHAKES_FAILED, DTLS_COOKIES_SENT

	}

	/**
	 * The counters of the server, dispatcher and listener now running, plus those of the ones that ran before: a
	 * stopped server's counts are added here when its stop completes. Guarded by its own monitor.
	 */
	private static final class CounterTotals {

		final long[] drops = new long[DropReason.values().length];

		final long[] counters = new long[Counter.values().length];

		@Nullable KcpServer server;

		@Nullable SessionDispatcher dispatcher;

		@Nullable KcpMessageListener listener;

		synchronized void countFrom(KcpServer server, SessionDispatcher dispatcher, KcpMessageListener listener) {
			this.server = server;
			this.dispatcher = dispatcher;
			this.listener = listener;
		}

		synchronized void retire() {
			for (Counter counter : Counter.values()) {
				this.counters[counter.ordinal()] += current(counter);
			}
			if (this.server != null) {
				for (DropReason reason : DropReason.values()) {
					this.drops[reason.ordinal()] += this.server.droppedDatagrams(reason);
				}
			}
			this.server = null;
			this.dispatcher = null;
			this.listener = null;
		}

		synchronized long total(Counter counter) {
			return this.counters[counter.ordinal()] + current(counter);
		}

		synchronized long dropped(DropReason reason) {
			KcpServer current = this.server;
			return this.drops[reason.ordinal()] + ((current != null) ? current.droppedDatagrams(reason) : 0);
		}

		private long current(Counter counter) {
			SessionDispatcher dispatcher = this.dispatcher;
			KcpHandlerMessageListenerAdapter adapter = (this.listener instanceof KcpHandlerMessageListenerAdapter a) ? a
					: null;
			if (dispatcher == null) {
				return 0;
			}
			return switch (counter) {
				case EXECUTOR_STALLS -> dispatcher.stalls();
				case RECEIVED_MESSAGES -> dispatcher.dispatchedMessages();
				case HANDLER_FAILURES -> dispatcher.listenerFailures()
						+ ((adapter != null) ? adapter.getHandlerFailures() : 0);
				case UNROUTED_MESSAGES -> (adapter != null) ? adapter.getUnroutedMessages() : 0;
				case MALFORMED_MESSAGES -> (adapter != null) ? adapter.getMalformedMessages() : 0;
				case REPLY_FAILURES -> (adapter != null) ? adapter.getReplyFailures() : 0;
				case DTLS_HANDSHAKES_COMPLETED -> (this.server != null) ? this.server.dtlsHandshakesCompleted() : 0;
				case DTLS_HANDSHAKES_FAILED -> (this.server != null) ? this.server.dtlsHandshakesFailed() : 0;
				case DTLS_COOKIES_SENT -> (this.server != null) ? this.server.dtlsCookiesSent() : 0;
			};
		}

	}

}
