package io.github.kcp.spring.core;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpEventLoopGroup;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.spring.event.KcpSessionClosedEvent;
import io.github.kcp.spring.event.KcpSessionOpenedEvent;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.SerialExecutor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationEventPublisherAware;
import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConversionException;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.util.Assert;

/**
 * The KCP client of a Spring application: sends messages to KCP servers, receives their replies, and hands the
 * messages they push unasked to {@link KcpPushHandler}s. See {@link KcpOperations} for payloads, targets and
 * futures.
 *
 * <h2>Sessions</h2>
 * The template opens one KCP session per target on first use (its own UDP socket, a random conversation id) and
 * reuses it for every later call to that target, from any thread. When a session closes (the server closed it,
 * the idle timeout or dead link struck, or a request on it timed out), the next call to that target opens a new
 * one. {@link #destroy()} closes them all gracefully.
 *
 * <h2>Correlation of replies: in order per session</h2>
 * KCP messages carry no correlation id. The template matches replies to requests first-in, first-out per session:
 * the requests outstanding on a session are answered by the messages that arrive on it, in the order the requests
 * were sent. This is exact for a server that answers every request with one message, in order, as
 * {@code @KcpHandler} methods returning a value do (see {@link KcpOperations} for servers that may skip a reply).
 * To keep the matching exact the template:
 * <ul>
 * <li>writes a request and records it as outstanding in one step, so concurrent callers cannot interleave;</li>
 * <li>closes the session when a request times out (its reply might still come and be taken for the next one):
 * that request fails with {@link KcpReplyTimeoutException}, the others outstanding on the session with
 * {@link KcpSessionClosedException}, and the next call opens a new session;</li>
 * <li>likewise closes the session when a request could not be delivered.</li>
 * </ul>
 * A message arriving while no request is outstanding on its session is a <em>push</em>, delivered to the
 * {@link KcpPushHandler}s. A server that pushes on a session where requests are outstanding cannot be told apart
 * from a reply; use a separate template (a separate session) for such servers.
 *
 * <h2>Threads</h2>
 * The network work runs on the KCP event loops. Returned futures, push handlers and session events run on the
 * callback executor (by default a cached pool of daemon threads {@code kcp-template-N}); pushes and events of one
 * session in order, one at a time.
 *
 * <pre class="code">
 * KcpTemplate template = new KcpTemplate(KcpConfig.defaults(), KcpMessageConverters.create());
 * template.setDefaultTarget("127.0.0.1", 9700);
 * Quote quote = template.sendAndReceiveBlocking(new QuoteRequest("KCP"), Quote.class, Duration.ofSeconds(2));
 * </pre>
 */
public class KcpTemplate implements KcpOperations, ApplicationEventPublisherAware, DisposableBean {

	/** The default of {@link #setDefaultTimeout(Duration)}. */
	public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

	private static final Logger logger = LoggerFactory.getLogger(KcpTemplate.class);

	/** How often a call retries on a fresh session when the one it picked closed under it. */
	private static final int SESSION_ATTEMPTS = 3;

	/** Extra time a blocking call waits beyond its timeout for the future that the timer fails. */
	private static final long BLOCKING_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

	private final KcpConfig config;

	private final MessageConverter messageConverter;

	private final Map<InetSocketAddress, ClientSession> sessions = new ConcurrentHashMap<>();

	/** One lock per target, so that concurrent first calls to a target open one session. */
	private final Map<InetSocketAddress, Object> connectLocks = new ConcurrentHashMap<>();

	private final List<KcpPushHandler> pushHandlers = new CopyOnWriteArrayList<>();

	private final ScheduledThreadPoolExecutor timer;

	private volatile Executor callbackExecutor;

	private volatile @Nullable ExecutorService ownedCallbackExecutor;

	private volatile @Nullable KcpEventLoopGroup eventLoops;

	private volatile @Nullable PacketCipher packetCipher;

	private volatile @Nullable ApplicationEventPublisher eventPublisher;

	private volatile @Nullable String defaultHost;

	private volatile int defaultPort;

	private volatile Duration defaultTimeout = DEFAULT_TIMEOUT;

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
		this.defaultHost = host;
		this.defaultPort = port;
	}

	/**
	 * Set the target of the operations without a target argument.
	 * @param target the server's address
	 */
	public void setDefaultTarget(InetSocketAddress target) {
		setDefaultTarget(target.getHostString(), target.getPort());
	}

	/**
	 * The default target, resolved now.
	 * @return the address, or {@code null} if none is set
	 */
	public @Nullable InetSocketAddress getDefaultTarget() {
		String host = this.defaultHost;
		return (host != null) ? resolve(host, this.defaultPort) : null;
	}

	/**
	 * Set how long the operations without a timeout argument wait: {@code sendAndReceive(payload, type)} for its
	 * reply, {@code sendBlocking} for room in the send buffer and then for the acknowledgement. Default 10 s.
	 * @param defaultTimeout a positive duration
	 */
	public void setDefaultTimeout(Duration defaultTimeout) {
		Assert.isTrue(defaultTimeout != null && !defaultTimeout.isNegative() && !defaultTimeout.isZero(),
				"defaultTimeout must be positive");
		this.defaultTimeout = defaultTimeout;
	}

	/** How long the operations without a timeout argument wait; see {@link #setDefaultTimeout(Duration)}. */
	public Duration getDefaultTimeout() {
		return this.defaultTimeout;
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
	 * Set the event-loop threads new sessions run on. Default: the core's shared group.
	 * @param eventLoops the group, not closed by the template
	 */
	public void setEventLoops(@Nullable KcpEventLoopGroup eventLoops) {
		this.eventLoops = eventLoops;
	}

	/**
	 * Set the packet cipher of the sessions the template opens; it must match the server's. Default: none.
	 * @param packetCipher the cipher, {@code null} or {@link PacketCipher#NONE} for plaintext
	 */
	public void setPacketCipher(@Nullable PacketCipher packetCipher) {
		this.packetCipher = packetCipher;
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
	 * The packet cipher of the sessions the template opens.
	 * @return the cipher, {@code null} for plaintext
	 */
	public @Nullable PacketCipher getPacketCipher() {
		return this.packetCipher;
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
	 * @throws org.springframework.messaging.converter.MessageConversionException if it cannot be read as the type
	 */
	public <T> T convert(Message<byte[]> message, Class<T> type) {
		return KcpMessageConverters.fromBytes(this.messageConverter, message, type);
	}

	// --- KcpOperations

	@Override
	public CompletableFuture<Void> send(Object payload) {
		return send(requireDefaultTarget(), payload);
	}

	@Override
	public CompletableFuture<Void> send(String target, Object payload) {
		return send(parseTarget(target), payload);
	}

	@Override
	public CompletableFuture<Void> send(InetSocketAddress target, Object payload) {
		byte[] bytes = toBytes(payload);
		return completeOnCallbackExecutor(doSend(target, bytes, null));
	}

	@Override
	public <T> CompletableFuture<T> sendAndReceive(Object payload, Class<T> replyType) {
		return sendAndReceive(requireDefaultTarget(), payload, replyType, this.defaultTimeout);
	}

	@Override
	public <T> CompletableFuture<T> sendAndReceive(Object payload, Class<T> replyType, Duration timeout) {
		return sendAndReceive(requireDefaultTarget(), payload, replyType, timeout);
	}

	@Override
	public <T> CompletableFuture<T> sendAndReceive(String target, Object payload, Class<T> replyType,
			Duration timeout) {
		return sendAndReceive(parseTarget(target), payload, replyType, timeout);
	}

	@Override
	public <T> CompletableFuture<T> sendAndReceive(InetSocketAddress target, Object payload, Class<T> replyType,
			Duration timeout) {
		return doSendAndReceive(target, payload, replyType, timeout, false);
	}

	@Override
	public void sendBlocking(Object payload) {
		sendBlocking(requireDefaultTarget(), payload);
	}

	@Override
	public void sendBlocking(InetSocketAddress target, Object payload) {
		byte[] bytes = toBytes(payload);
		Duration timeout = this.defaultTimeout;
		CompletableFuture<Void> acknowledged = doSend(target, bytes, timeout);
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
	public <T> T sendAndReceiveBlocking(Object payload, Class<T> replyType, Duration timeout) {
		return sendAndReceiveBlocking(requireDefaultTarget(), payload, replyType, timeout);
	}

	@Override
	public <T> T sendAndReceiveBlocking(InetSocketAddress target, Object payload, Class<T> replyType,
			Duration timeout) {
		CompletableFuture<T> reply = doSendAndReceive(target, payload, replyType, timeout, true);
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
	 * replies, and release the template's threads. Waits up to the configuration's close timeout
	 * ({@code kcp.client.close-timeout} in Spring Boot) for the sessions to close, then aborts those still open,
	 * for example because their server is gone. Later calls fail with {@link IllegalStateException}.
	 */
	@Override
	public void destroy() {
		if (this.destroyed) {
			return;
		}
		this.destroyed = true;
		List<ClientSession> open = List.copyOf(this.sessions.values());
		List<CompletableFuture<CloseReason>> closing = new ArrayList<>();
		for (ClientSession session : open) {
			closing.add(session.retire(null, "the template was destroyed"));
		}
		this.sessions.clear();
		try {
			CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
				.get(this.config.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			for (ClientSession session : open) {
				if (session.session.closeReason() == null) {
					logger.debug("KCP template session conv={} to {} did not close within {} ms; aborting it",
							Integer.toUnsignedString(session.session.conv()), session.target,
							this.config.closeTimeout().toMillis());
					session.session.abort();
				}
			}
		}
		this.timer.shutdownNow();
		ExecutorService owned = this.ownedCallbackExecutor;
		if (owned != null) {
			owned.shutdown();
		}
	}

	/**
	 * Parse a target given as text the way the {@code String} target overloads do: {@code host:port}, with IPv6
	 * literals in brackets ({@code [::1]:9700}).
	 * @param target the text
	 * @return the resolved address
	 * @throws IllegalArgumentException if the text is not {@code host:port} or the host cannot be resolved
	 */
	public static InetSocketAddress parseTarget(String target) {
		Assert.hasText(target, "target must not be empty");
		int colon = target.lastIndexOf(':');
		if (colon <= 0 || colon == target.length() - 1) {
			throw new IllegalArgumentException("KCP target '" + target + "' is not host:port");
		}
		String host = target.substring(0, colon);
		if (host.startsWith("[") && host.endsWith("]")) {
			host = host.substring(1, host.length() - 1);
		}
		else if (host.indexOf(':') >= 0) {
			throw new IllegalArgumentException(
					"KCP target '" + target + "' is not host:port; write an IPv6 address in brackets: [::1]:9700");
		}
		int port;
		try {
			port = Integer.parseInt(target.substring(colon + 1));
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("KCP target '" + target + "' has no numeric port", ex);
		}
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException("KCP target '" + target + "' has port " + port + "; use 1..65535");
		}
		return resolve(host, port);
	}

	@Override
	public String toString() {
		return "KcpTemplate [defaultTarget=" + ((this.defaultHost != null) ? this.defaultHost + ":" + this.defaultPort
				: "none") + ", sessions=" + this.sessions.keySet() + "]";
	}

	// --- internals

	private static InetSocketAddress resolve(String host, int port) {
		InetSocketAddress address = new InetSocketAddress(host, port);
		if (address.isUnresolved()) {
			throw new IllegalArgumentException("Cannot resolve KCP target host '" + host + "'");
		}
		return address;
	}

	private InetSocketAddress requireDefaultTarget() {
		InetSocketAddress target = getDefaultTarget();
		if (target == null) {
			throw new IllegalStateException("The KcpTemplate has no default target: set kcp.client.host and "
					+ "kcp.client.port (or call setDefaultTarget), or pass the target to the call");
		}
		return target;
	}

	private byte[] toBytes(Object payload) {
		Objects.requireNonNull(payload, "payload");
		return KcpMessageConverters.toBytes(this.messageConverter, payload);
	}

	/**
	 * Write the bytes on the target's session, on a fresh session if the one picked closed under us.
	 * @param waitForRoom how long to wait for room in the send buffer, or {@code null} to fail fast
	 */
	private CompletableFuture<Void> doSend(InetSocketAddress target, byte[] bytes, @Nullable Duration waitForRoom) {
		Objects.requireNonNull(target, "target");
		for (int attempt = 1;; attempt++) {
			ClientSession session = sessionFor(target);
			CompletableFuture<Void> sent = session.write(bytes, waitForRoom, null);
			if (sent != null) {
				return sent;
			}
			if (attempt == SESSION_ATTEMPTS) {
				return CompletableFuture.failedFuture(new KcpSessionClosedException("Sessions to " + target
						+ " closed " + SESSION_ATTEMPTS + " times in a row while sending", CloseReason.ERROR));
			}
		}
	}

	private <T> CompletableFuture<T> doSendAndReceive(InetSocketAddress target, Object payload, Class<T> replyType,
			Duration timeout, boolean waitForRoom) {
		Objects.requireNonNull(target, "target");
		Objects.requireNonNull(replyType, "replyType");
		Assert.isTrue(timeout != null && !timeout.isNegative() && !timeout.isZero(), "timeout must be positive");
		byte[] bytes = toBytes(payload);
		long deadline = System.nanoTime() + timeout.toNanos();
		for (int attempt = 1;; attempt++) {
			ClientSession session = sessionFor(target);
			PendingReply<T> pending = new PendingReply<>(session, replyType, timeout);
			Duration roomTimeout = waitForRoom ? Duration.ofNanos(Math.max(0, deadline - System.nanoTime())) : null;
			CompletableFuture<Void> sent = session.write(bytes, roomTimeout, pending);
			if (sent != null) {
				pending.armTimer(Math.max(0, deadline - System.nanoTime()));
				return pending.future;
			}
			if (attempt == SESSION_ATTEMPTS) {
				return CompletableFuture.failedFuture(new KcpSessionClosedException("Sessions to " + target
						+ " closed " + SESSION_ATTEMPTS + " times in a row while sending", CloseReason.ERROR));
			}
		}
	}

	/** The open session to the target, opening one if there is none. */
	private ClientSession sessionFor(InetSocketAddress target) {
		if (this.destroyed) {
			throw new IllegalStateException("The KcpTemplate has been destroyed");
		}
		ClientSession existing = this.sessions.get(target);
		if (existing != null && existing.isUsable()) {
			return existing;
		}
		// Not ConcurrentHashMap.compute: connecting waits for the event loop, which may be removing a closed
		// session from the map at that moment.
		synchronized (this.connectLocks.computeIfAbsent(target, (key) -> new Object())) {
			ClientSession current = this.sessions.get(target);
			if (current != null && current.isUsable()) {
				return current;
			}
			ClientSession opened = open(target);
			this.sessions.put(target, opened);
			return opened;
		}
	}

	private ClientSession open(InetSocketAddress target) {
		ClientSession clientSession = new ClientSession(target);
		KcpClient.Builder builder = KcpClient.builder()
			.config(this.config)
			.cipher(this.packetCipher)
			.handler(clientSession);
		KcpEventLoopGroup group = this.eventLoops;
		if (group != null) {
			builder.eventLoops(group);
		}
		clientSession.session = builder.connect(target);
		logger.debug("KCP template opened session conv={} to {}",
				Integer.toUnsignedString(clientSession.session.conv()), target);
		return clientSession;
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

	private static @Nullable Throwable failureOf(CompletableFuture<?> completed) {
		return completed.handle((value, failure) -> failure).getNow(null);
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

	private void publish(Object event) {
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

	/** A request waiting for its reply. State changes happen under the session's pending lock. */
	private final class PendingReply<T> {

		final CompletableFuture<T> future = new CompletableFuture<>();

		final ClientSession session;

		final Class<T> replyType;

		final Duration timeout;

		/**
		 * Set under the pending lock once the request left the queue other than by timing out: a message was
		 * matched to it, or it was withdrawn because it could not be written.
		 */
		boolean settled;

		volatile @Nullable ScheduledFuture<?> timeoutTask;

		PendingReply(ClientSession session, Class<T> replyType, Duration timeout) {
			this.session = session;
			this.replyType = replyType;
			this.timeout = timeout;
		}

		void armTimer(long delayNanos) {
			if (this.future.isDone()) {
				return;
			}
			try {
				this.timeoutTask = KcpTemplate.this.timer.schedule(() -> this.session.timedOut(this), delayNanos,
						TimeUnit.NANOSECONDS);
			}
			catch (RejectedExecutionException ex) {
				// destroyed meanwhile: the session's retirement fails the future
				return;
			}
			// A reply that arrived before the timer was armed must still cancel it
			this.future.whenComplete((value, failure) -> cancelTimer());
		}

		void cancelTimer() {
			ScheduledFuture<?> task = this.timeoutTask;
			if (task != null) {
				task.cancel(false);
			}
		}

		/** Converts the reply on the callback executor. */
		void complete(Message<byte[]> reply) {
			runCallback(() -> {
				try {
					this.future.complete(convert(reply, this.replyType));
				}
				catch (MessageConversionException ex) {
					this.future.completeExceptionally(new MessageConversionException(reply, "The reply of "
							+ reply.getPayload().length + " bytes from " + this.session.target + " could not be read as "
							+ this.replyType.getName() + ": " + ex.getMessage(), ex));
				}
				catch (RuntimeException ex) {
					this.future.completeExceptionally(ex);
				}
			});
		}

		void fail(Throwable failure) {
			runCallback(() -> this.future.completeExceptionally(failure));
		}

	}

	/**
	 * The template's side of one session: the session, the requests outstanding on it in the order they were
	 * written, and the serial executor of its pushes and events.
	 */
	private final class ClientSession implements KcpSessionHandler {

		final InetSocketAddress target;

		/** Set right after connecting, before this is published in the map. */
		volatile KcpSession session;

		/** Held while a request is recorded and written, so the two happen in the same order for all callers. */
		private final Object writeLock = new Object();

		/** Guards {@link #pending}, {@link #retired} and {@link PendingReply#settled}; never held while blocking. */
		private final Object pendingLock = new Object();

		private final ArrayDeque<PendingReply<?>> pending = new ArrayDeque<>();

		private boolean retired;

		private final SerialExecutor inOrder;

		ClientSession(InetSocketAddress target) {
			this.target = target;
			this.inOrder = new SerialExecutor(KcpTemplate.this::runCallback);
		}

		boolean isUsable() {
			synchronized (this.pendingLock) {
				if (this.retired) {
					return false;
				}
			}
			return this.session.isOpen();
		}

		/**
		 * Record the request (if any) and write the bytes.
		 * @return the future of the acknowledgement, or {@code null} if this session closed before anything was
		 * written (the caller retries on a fresh session)
		 */
		@Nullable CompletableFuture<Void> write(byte[] bytes, @Nullable Duration waitForRoom,
				@Nullable PendingReply<?> request) {
			synchronized (this.writeLock) {
				if (request != null) {
					synchronized (this.pendingLock) {
						if (this.retired) {
							return null;
						}
						this.pending.addLast(request);
					}
				}
				CompletableFuture<Void> sent;
				try {
					sent = (waitForRoom != null)
							? this.session.sendWhenRoom(bytes, 0, bytes.length, waitForRoom)
							: this.session.send(bytes);
				}
				catch (TimeoutException ex) {
					withdraw(request);
					return CompletableFuture.failedFuture(
							new KcpSendTimeoutException(this.target, waitForRoom, "given room in the send buffer"));
				}
				catch (InterruptedException ex) {
					withdraw(request);
					Thread.currentThread().interrupt();
					return CompletableFuture.failedFuture(
							new KcpException("Interrupted while waiting for room to send to " + this.target, ex));
				}
				catch (RuntimeException ex) {
					withdraw(request);
					throw ex;
				}
				if (sent.isCompletedExceptionally()) {
					// Refused at once (buffer full, too large, closed): nothing left, so the order is intact.
					withdraw(request);
					if (!this.session.isOpen() && failureOf(sent) instanceof KcpSessionClosedException) {
						return null;
					}
					if (request != null) {
						sent.whenComplete((ignored, failure) -> request.fail(failure));
					}
					return sent;
				}
				if (request != null) {
					// Not delivered after all: its reply will never come, so the order of this session is lost.
					sent.whenComplete((ignored, failure) -> {
						if (failure != null) {
							retire(failure, "a request on it could not be delivered");
						}
					});
				}
				return sent;
			}
		}

		/** Removes the request just recorded (still the newest: the write lock is held). */
		private void withdraw(@Nullable PendingReply<?> request) {
			if (request != null) {
				synchronized (this.pendingLock) {
					request.settled = true;
					this.pending.removeLastOccurrence(request);
				}
			}
		}

		void timedOut(PendingReply<?> request) {
			synchronized (this.pendingLock) {
				if (request.settled || this.retired || request.future.isDone()) {
					return;
				}
			}
			retire(new KcpReplyTimeoutException(this.target, this.session.conv(), request.timeout), request,
					"a request on it timed out");
		}

		CompletableFuture<CloseReason> retire(@Nullable Throwable cause, String why) {
			return retire(cause, null, why);
		}

		/**
		 * Take this session out of use: fail its outstanding requests ({@code culprit} with {@code cause}), remove
		 * it from the template and close it gracefully.
		 */
		private CompletableFuture<CloseReason> retire(@Nullable Throwable cause, @Nullable PendingReply<?> culprit,
				String why) {
			List<PendingReply<?>> abandoned;
			synchronized (this.pendingLock) {
				if (this.retired) {
					return this.session.closeFuture();
				}
				this.retired = true;
				abandoned = new ArrayList<>(this.pending);
				this.pending.clear();
			}
			KcpTemplate.this.sessions.remove(this.target, this);
			logger.debug("KCP template closes session conv={} to {}: {}", Integer.toUnsignedString(this.session.conv()),
					this.target, why);
			for (PendingReply<?> request : abandoned) {
				if (request == culprit && cause != null) {
					request.fail(cause);
				}
				else {
					request.fail(new KcpSessionClosedException("Session conv="
							+ Integer.toUnsignedString(this.session.conv()) + " to " + this.target
							+ " was closed before the reply arrived because " + why, CloseReason.CLOSED_LOCALLY));
				}
			}
			return this.session.close();
		}

		@Override
		public void onOpen(KcpSession session) {
			this.inOrder.execute(() -> publish(new KcpSessionOpenedEvent(KcpTemplate.this, session, false)));
		}

		@Override
		public void onMessage(KcpSession session, byte[] message) {
			PendingReply<?> request;
			synchronized (this.pendingLock) {
				if (this.retired) {
					// Most likely the late reply to a request that timed out: nobody may have it.
					logger.debug("Dropped a message of {} bytes from {} on a session being closed", message.length,
							this.target);
					return;
				}
				request = this.pending.pollFirst();
				if (request != null) {
					request.settled = true;
				}
			}
			Message<byte[]> received = toMessage(session, message);
			if (request != null) {
				request.complete(received);
			}
			else {
				this.inOrder.execute(() -> push(received));
			}
		}

		@Override
		public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
			List<PendingReply<?>> abandoned;
			synchronized (this.pendingLock) {
				this.retired = true;
				abandoned = new ArrayList<>(this.pending);
				this.pending.clear();
			}
			KcpTemplate.this.sessions.remove(this.target, this);
			logger.debug("KCP template session conv={} to {} closed: {}", Integer.toUnsignedString(session.conv()),
					this.target, reason);
			for (PendingReply<?> request : abandoned) {
				KcpSessionClosedException failure = new KcpSessionClosedException(
						"Session conv=" + Integer.toUnsignedString(session.conv()) + " to " + this.target
								+ " closed (" + reason + ") before the reply arrived",
						reason);
				if (cause != null) {
					failure.initCause(cause);
				}
				request.fail(failure);
			}
			this.inOrder.execute(() -> publish(new KcpSessionClosedEvent(KcpTemplate.this, session, false, reason,
					cause)));
		}

		private Message<byte[]> toMessage(KcpSession session, byte[] payload) {
			return MessageBuilder.withPayload(payload)
				.setHeader(KcpHeaders.CONV, session.conv())
				.setHeader(KcpHeaders.REMOTE_ADDRESS, session.remoteAddress())
				.setHeader(KcpHeaders.LOCAL_ADDRESS, session.localAddress())
				.setHeader(KcpHeaders.SESSION_ID, KcpHeaders.sessionId(session))
				.setHeader(KcpHeaders.SESSION, session)
				.build();
		}

		private void push(Message<byte[]> message) {
			List<KcpPushHandler> handlers = KcpTemplate.this.pushHandlers;
			if (handlers.isEmpty()) {
				logger.debug("Dropped a message of {} bytes pushed by {}: no KcpPushHandler is registered",
						message.getPayload().length, this.target);
				return;
			}
			for (KcpPushHandler handler : handlers) {
				try {
					handler.onPush(message);
				}
				catch (RuntimeException ex) {
					logger.warn("KcpPushHandler {} failed on a message of {} bytes from {}", handler,
							message.getPayload().length, this.target, ex);
				}
			}
		}

	}

}
