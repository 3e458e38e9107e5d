package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import io.github.kcp.core.protocol.InputResult;
import io.github.kcp.core.protocol.KcpCodec;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A KCP server: one UDP socket, sessions keyed by (remote address, conversation id), each handled by a
 * {@link KcpSessionHandler}. The counterpart of aiokcp's {@code create_server}.
 * <p>
 * Admission is strict: a datagram opens a session only if it decrypts, is well-formed KCP, carries a data
 * segment, and the session limit and admission rate allow it. Late datagrams of a closed conversation are
 * answered with a close signal and do not bring it back. Every drop is counted by {@link DropReason}.
 * <p>
 * All sessions of a server run on the event loop of its socket.
 *
 * <pre class="code">
 * KcpServer server = KcpServer.builder()
 *     .config(KcpConfig.defaults())
 *     .handler((session, message) -&gt; session.send(message))
 *     .bind(new InetSocketAddress("127.0.0.1", 0));
 * int port = server.localAddress().getPort();
 * </pre>
 */
public final class KcpServer extends KcpEndpoint implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(KcpServer.class);

	private final Map<SessionKey, EngineSession> sessions = new ConcurrentHashMap<>();

	private final Supplier<? extends KcpSessionHandler> handlerFactory;

	private final int maxSessions;

	private final int newSessionsPerSecond;

	private final long closedSessionMemoryNanos;

	private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

	private volatile KcpConfig sessionConfig;

	private volatile boolean closing;

	/** Recently closed conversations and when to forget them; confined to the loop. */
	private final LinkedHashMap<SessionKey, Long> recentlyClosed = new LinkedHashMap<>();

	private final int recentlyClosedLimit;

	private double admissionTokens;

	private long admissionRefillNanos = System.nanoTime();

	private KcpServer(Builder builder, EventLoopGroup group, boolean ownsGroup) {
		super(group, ownsGroup, builder.config.cipher());
		this.decryptFailureListener = builder.decryptFailureListener;
		this.sessionConfig = builder.config;
		this.handlerFactory = builder.handlerFactory;
		this.maxSessions = builder.maxSessions;
		this.newSessionsPerSecond = builder.newSessionsPerSecond;
		this.closedSessionMemoryNanos = builder.closedSessionMemory.toNanos();
		this.recentlyClosedLimit = Math.max(1024, builder.maxSessions * 2);
		this.admissionTokens = builder.newSessionsPerSecond;
	}

	/** A builder for a server. */
	public static Builder builder() {
		return new Builder();
	}

	/** The UDP port the server is bound to (useful after binding port 0). */
	public int port() {
		return localAddress().getPort();
	}

	/** The open sessions (a live, unmodifiable view). */
	public Collection<KcpSession> sessions() {
		return Collections.unmodifiableCollection(this.sessions.values());
	}

	/** Number of open sessions. */
	public int sessionCount() {
		return this.sessions.size();
	}

	/** The configuration new sessions get. */
	public KcpConfig config() {
		return this.sessionConfig;
	}

	/** Changes the latency knobs of future sessions, as aiokcp's {@code KCPServer.set_nodelay}. */
	public void setNoDelay(boolean nodelay, int interval, int resend, boolean noCongestionControl) {
		reconfigure((builder) -> builder.nodelay(nodelay, interval, resend, noCongestionControl));
	}

	/** Changes the windows of future sessions, as aiokcp's {@code set_wndsize}. */
	public void setWindowSize(int sendWindow, int receiveWindow) {
		reconfigure((builder) -> builder.windowSize(sendWindow, receiveWindow));
	}

	/** Changes the mtu of future sessions, as aiokcp's {@code set_mtu}. */
	public void setMtu(int mtu) {
		reconfigure((builder) -> builder.mtu(mtu));
	}

	/** Changes stream mode of future sessions, as aiokcp's {@code set_stream}. */
	public void setStream(boolean stream) {
		reconfigure((builder) -> builder.stream(stream));
	}

	/** Synchronized so that setters called at the same time from several threads all take effect. */
	private synchronized void reconfigure(UnaryOperator<KcpConfig.Builder> change) {
		this.sessionConfig = change.apply(this.sessionConfig.toBuilder()).build();
	}

	/**
	 * Starts a graceful stop without closing anything yet: from now on the server acknowledges no new data — data
	 * segments of open sessions are dropped before the engine sees them (neither acknowledged nor delivered; their
	 * senders keep them to retry elsewhere) and new conversations are refused — while acknowledgements of what the
	 * sessions send are still processed and every message already acknowledged in order is still delivered to the
	 * handlers. Sessions stay open for replies; {@link #shutdown(Duration)} closes them afterwards.
	 * <p>
	 * Stop-gap for the Spring container's stop guarantee, to be replaced by the connection rewrite's graceful
	 * shutdown.
	 */
	public void refuseNewData() {
		this.refusingData = true;
	}

	/** Whether {@link #close} has been called. */
	public boolean isClosing() {
		return this.closing;
	}

	/** A future completed when the server has closed and released its socket. */
	public CompletableFuture<Void> closeFuture() {
		return this.closeFuture;
	}

	/**
	 * Shuts down gracefully within the sessions' {@link KcpConfig#closeTimeout() close timeout}; see
	 * {@link #shutdown(Duration)}. Blocks until closed unless called on the server's event loop.
	 */
	@Override
	public void close() {
		CompletableFuture<Void> done = shutdown(this.sessionConfig.closeTimeout());
		if (!this.loop.inEventLoop()) {
			done.join();
		}
	}

	/**
	 * Shuts down gracefully: stops admitting sessions, lets every session deliver and get acknowledged what it
	 * has sent and tell its peer, then closes the socket. Sessions still open after {@code gracePeriod} are
	 * aborted. Sessions report {@link CloseReason#SERVER_SHUTDOWN}.
	 * @return the {@link #closeFuture()}
	 */
	public CompletableFuture<Void> shutdown(Duration gracePeriod) {
		Objects.requireNonNull(gracePeriod, "gracePeriod");
		if (this.closing) {
			return this.closeFuture;
		}
		this.closing = true;
		this.loop.execute(() -> {
			if (this.sessions.isEmpty()) {
				release();
				return;
			}
			for (EngineSession session : new ArrayList<>(this.sessions.values())) {
				session.beginClose(CloseReason.SERVER_SHUTDOWN);
			}
			this.loop.schedule(() -> {
				for (EngineSession session : new ArrayList<>(this.sessions.values())) {
					session.finish(CloseReason.SERVER_SHUTDOWN, null, true);
				}
				release();
			}, gracePeriod.toNanos(), TimeUnit.NANOSECONDS);
		});
		return this.closeFuture;
	}

	private void release() {
		if (this.closeFuture.isDone()) {
			return;
		}
		Channel bound = this.channel;
		if (bound == null) {
			this.closeFuture.complete(null);
			return;
		}
		bound.close().addListener((f) -> {
			shutdownOwnedGroup();
			this.closeFuture.complete(null);
		});
	}

	@Override
	void dispatch(InetSocketAddress sender, byte[] data, int offset, int length, int wireLength) {
		int conv = KcpCodec.readConv(data, offset);
		SessionKey key = new SessionKey(sender, conv);
		EngineSession session = this.sessions.get(key);
		if (session != null) {
			session.input(data, offset, length, wireLength);
			return;
		}
		int signal = KcpCodec.closeSignal(data, offset, length);
		if (this.closing || this.refusingData) {
			drop(DropReason.SHUTTING_DOWN);
			return;
		}
		if (wasRecentlyClosed(key)) {
			drop(DropReason.CLOSED_SESSION);
			// Tell the peer again; never answer a signal with a signal of the same kind, so no ping-pong.
			if (signal == 0) {
				answerWithClose(sender, conv, KcpCodec.CMD_CLOSE);
			}
			else if (signal == KcpCodec.CMD_CLOSE) {
				answerWithClose(sender, conv, KcpCodec.CMD_CLOSE_ACK);
			}
			return;
		}
		if (signal != 0) {
			drop(DropReason.CLOSED_SESSION);
			if (signal == KcpCodec.CMD_CLOSE) {
				answerWithClose(sender, conv, KcpCodec.CMD_CLOSE_ACK);
			}
			return;
		}
		if (KcpCodec.validate(data, offset, length) != InputResult.OK) {
			drop(DropReason.MALFORMED);
			return;
		}
		if (!KcpCodec.containsPush(data, offset, length)) {
			drop(DropReason.NOT_A_NEW_CONVERSATION);
			return;
		}
		if (this.sessions.size() >= this.maxSessions) {
			drop(DropReason.SESSION_LIMIT);
			return;
		}
		if (!admit()) {
			drop(DropReason.RATE_LIMITED);
			return;
		}
		session = new EngineSession(this, this.loop, sender, conv, this.sessionConfig, this.handlerFactory.get());
		this.sessions.put(key, session);
		session.open();
		session.input(data, offset, length, wireLength);
	}

	private boolean admit() {
		if (this.newSessionsPerSecond <= 0) {
			return true;
		}
		long now = System.nanoTime();
		this.admissionTokens = Math.min(this.newSessionsPerSecond,
				this.admissionTokens + (now - this.admissionRefillNanos) * this.newSessionsPerSecond / 1e9);
		this.admissionRefillNanos = now;
		if (this.admissionTokens >= 1) {
			this.admissionTokens -= 1;
			return true;
		}
		return false;
	}

	private boolean wasRecentlyClosed(SessionKey key) {
		Long forgetAt = this.recentlyClosed.get(key);
		if (forgetAt == null) {
			return false;
		}
		if (System.nanoTime() - forgetAt >= 0) {
			this.recentlyClosed.remove(key);
			return false;
		}
		return true;
	}

	@Override
	void sessionClosed(EngineSession session) {
		SessionKey key = new SessionKey(session.remoteAddress(), session.conv());
		this.sessions.remove(key, session);
		if (this.closedSessionMemoryNanos > 0) {
			this.recentlyClosed.put(key, System.nanoTime() + this.closedSessionMemoryNanos);
			while (this.recentlyClosed.size() > this.recentlyClosedLimit) {
				// Oldest first: insertion order is closing order.
				var eldest = this.recentlyClosed.entrySet().iterator();
				eldest.next();
				eldest.remove();
			}
		}
		if (this.closing && this.sessions.isEmpty()) {
			release();
		}
	}

	@Override
	void channelLost(@Nullable Throwable cause) {
		if (this.closeFuture.isDone()) {
			return;
		}
		if (!this.closing) {
			logger.warn("KCP server socket {} closed unexpectedly", this.channel);
		}
		this.closing = true;
		// onClose promises a cause with ERROR: say what happened when the channel gave none.
		Throwable error = (cause != null) ? cause
				: new KcpException("The server's UDP socket " + this.channel + " closed unexpectedly");
		List<EngineSession> open = new ArrayList<>(this.sessions.values());
		for (EngineSession session : open) {
			session.finish(CloseReason.ERROR, error, false);
		}
		shutdownOwnedGroup();
		this.closeFuture.complete(null);
	}

	@Override
	public String toString() {
		return "KcpServer{" + this.channel + ", sessions=" + this.sessions.size() + "}";
	}

	/** Sessions are keyed by the peer's address and the conversation id. */
	private record SessionKey(InetSocketAddress address, int conv) {
	}

	/**
	 * Builds and binds a {@link KcpServer}.
	 */
	public static final class Builder {

		private KcpConfig config = KcpConfig.defaults();

		private @Nullable Supplier<? extends KcpSessionHandler> handlerFactory;

		private int maxSessions = 10_000;

		private int newSessionsPerSecond;

		private Duration closedSessionMemory = Duration.ofSeconds(60);

		private @Nullable EventLoopGroup group;

		private @Nullable BiConsumer<DropReason, InetSocketAddress> decryptFailureListener;

		private Builder() {
		}

		/**
		 * Told, on the event loop, of every datagram that fails to decrypt, with its source address (for
		 * diagnostics; it must not block). Stop-gap until the connection rewrite.
		 */
		public Builder decryptFailureListener(BiConsumer<DropReason, InetSocketAddress> listener) {
			this.decryptFailureListener = Objects.requireNonNull(listener, "listener");
			return this;
		}

		/** Session configuration (also carries the cipher). Default {@link KcpConfig#defaults()}. */
		public Builder config(KcpConfig config) {
			this.config = Objects.requireNonNull(config, "config");
			return this;
		}

		/** One handler shared by all sessions (it must then keep per-session state in session attributes). */
		public Builder handler(KcpSessionHandler handler) {
			Objects.requireNonNull(handler, "handler");
			this.handlerFactory = () -> handler;
			return this;
		}

		/** A new handler per session, like asyncio's protocol factory. */
		public Builder handlerFactory(Supplier<? extends KcpSessionHandler> handlerFactory) {
			this.handlerFactory = Objects.requireNonNull(handlerFactory, "handlerFactory");
			return this;
		}

		/** Most sessions open at once; datagrams that would open more are dropped. Default 10,000. */
		public Builder maxSessions(int maxSessions) {
			if (maxSessions < 1) {
				throw new IllegalArgumentException("maxSessions must be positive but was " + maxSessions);
			}
			this.maxSessions = maxSessions;
			return this;
		}

		/** Most new sessions admitted per second (a token bucket); 0 = no limit. Default 0. */
		public Builder newSessionsPerSecond(int newSessionsPerSecond) {
			if (newSessionsPerSecond < 0) {
				throw new IllegalArgumentException(
						"newSessionsPerSecond must be 0 (no limit) or positive but was " + newSessionsPerSecond);
			}
			this.newSessionsPerSecond = newSessionsPerSecond;
			return this;
		}

		/**
		 * How long a closed conversation is remembered, so that its late datagrams are answered with a close
		 * signal instead of opening it again. Default 60 s.
		 */
		public Builder closedSessionMemory(Duration closedSessionMemory) {
			this.closedSessionMemory = Objects.requireNonNull(closedSessionMemory, "closedSessionMemory");
			return this;
		}

		/** The event-loop group to run on (not shut down by the server). Default {@link KcpEventLoops#shared()}. */
		public Builder eventLoopGroup(EventLoopGroup group) {
			this.group = Objects.requireNonNull(group, "group");
			return this;
		}

		/** Binds to {@code host:port} (port 0 for any free port); see {@link #bind(InetSocketAddress)}. */
		public KcpServer bind(String host, int port) {
			return bind(new InetSocketAddress(host, port));
		}

		/**
		 * Binds and starts serving. Blocks until the socket is bound.
		 * @throws KcpException if the address cannot be bound
		 */
		public KcpServer bind(InetSocketAddress address) {
			if (this.handlerFactory == null) {
				throw new IllegalStateException("A handler or handler factory is required");
			}
			EventLoopGroup useGroup = (this.group != null) ? this.group : KcpEventLoops.shared();
			KcpServer server = new KcpServer(this, useGroup, false);
			Channel channel = server.bindChannel(address);
			logger.debug("KCP server listening on {}", channel.localAddress());
			return server;
		}

	}

}
