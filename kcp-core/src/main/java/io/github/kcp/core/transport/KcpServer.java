package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.AdmissionPolicy;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.ConversationTable;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpConnection;
import io.github.kcp.core.connection.KcpSettings;
import io.github.kcp.core.connection.ServerProtection;
import io.github.kcp.core.connection.SessionLimits;
import io.github.kcp.core.connection.Verdict;
import io.github.kcp.core.crypto.EndpointRole;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.protocol.InputResult;
import io.github.kcp.core.protocol.KcpCodec;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A KCP server: one UDP socket, sessions keyed by (remote address, conversation id), each handled by a
 * {@link KcpSessionHandler}. The counterpart of aiokcp's {@code create_server}.
 * <p>
 * Admission is strict: a datagram opens a session only if it decrypts, is well-formed KCP, carries a data
 * segment, and the session limits and admission rates, overall and per source address, allow it. Late datagrams of
 * a closed conversation do not bring it back (and are answered with a close signal if the peer understands it).
 * Every drop is counted by {@link DropReason}. The rules live in the I/O-free {@link ConversationTable} and
 * {@link KcpConnection}; this class moves the bytes and arms the timers.
 * <p>
 * <b>One peer cannot take the server from the others.</b> A session's peer is <em>unproven</em> until it
 * acknowledges data the server sent, or (a kcp-spring client that only uploads) echoes the server's address
 * challenge, or completed a DTLS handshake: until then the server sends it at most three times what it received
 * (anti-amplification), it may hold little memory and it times out sooner, and it is the first evicted
 * ({@link CloseReason#EVICTED}) when the server or its address is full — so a flood cannot lock out a new client.
 * All sessions' buffers share one memory budget. See the settings in {@link KcpSettings} and the README.
 * <p>
 * <b>Failing loudly.</b> An {@link Error} on the server's event loop (an OutOfMemoryError, a handler's Error) stops
 * the server: it is logged at ERROR level, every session closes with {@link CloseReason#ERROR}, the socket is
 * released, and the {@link #closeFuture()} completes exceptionally with a {@link KcpServerFailedException}. A
 * shutdown never waits on an event loop that stopped responding for more than its grace period and two seconds.
 * <p>
 * <b>Certificates (DTLS).</b> With {@link Builder#dtls} every session is carried by its own DTLS 1.2 connection
 * instead of a packet cipher: a stateless cookie exchange proves a client's address before the server keeps any
 * state for it, the proven hello then passes the same admission as a new conversation, and the KCP conversation
 * opens once the handshake has completed, with the peer's identity in {@link KcpSession#securityInfo()}.
 * {@link #updateDtlsSettings} changes the certificate and trust of new handshakes without touching live sessions.
 * <p>
 * All sessions of a server run on the event loop of its socket.
 *
 * <pre class="code">
 * KcpServer server = KcpServer.builder()
 *     .config(KcpConfig.defaults())
 *     .handler((session, message) -&gt; session.send(message))
 *     .bind(new InetSocketAddress("127.0.0.1", 0));
 * int port = server.localPort();
 * </pre>
 */
public final class KcpServer implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(KcpServer.class);

	/** The window in which different sessions are counted for {@link KcpSettings#READ_COALESCING}. */
	static final int MANY_CLIENTS_WINDOW_MILLIS = 10;

	/** Different sessions receiving within one window from which the server counts as serving many clients. */
	static final int MANY_CLIENTS = 32;

	/** How long past its grace period a shutdown waits for an event loop that does not respond. */
	static final Duration UNRESPONSIVE_LOOP_MARGIN = Duration.ofSeconds(2);

	private final UdpEndpoint endpoint;

	private final EventLoop loop;

	private final Supplier<? extends KcpSessionHandler> handlerFactory;

	private final LongAdder handlerFailures = new LongAdder();

	private final @Nullable BiConsumer<DropReason, InetSocketAddress> dropListener;

	private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

	/** The open sessions, readable from any thread. */
	private final Set<KcpSession> openSessions = ConcurrentHashMap.newKeySet();

	private volatile KcpConfig sessionConfig;

	private volatile boolean closing;

	private volatile long evictedSessions;

	// ---- confined to the loop

	private final ConversationTable<InetSocketAddress, EventLoopSession> table;

	private final Receiver receiver;

	/** The DTLS stage when the server uses DTLS: it owns the per-address DTLS connections. */
	private final @Nullable DtlsServerStage dtls;

	/** Sessions that received input during the current read burst, serviced once at its end. */
	private final List<EventLoopSession> touched = new ArrayList<>();

	/** {@link KcpSettings#READ_COALESCING} in nanoseconds; 0 for off. */
	private final long readCoalescingNanos;

	/** The current window of {@link #MANY_CLIENTS_WINDOW_MILLIS} (on the loop). */
	private long loadWindow = -1;

	/** Different sessions that received datagrams in the current window (on the loop). */
	private int sessionsInWindow;

	/** How many times the server asked its loop to coalesce reads (on the loop). */
	private long readCoalescingRequests;

	private final byte[] answer = new byte[KcpCodec.OVERHEAD];

	private @Nullable ScheduledFuture<?> shutdownTimer;

	private boolean dropListenerFailureLogged;

	private boolean released;

	/** Set once an Error stopped the server. */
	private boolean failed;

	private KcpServer(Builder builder, InetSocketAddress address) {
		if (builder.dtls != null && builder.cipher != null && builder.cipher != PacketCipher.NONE) {
			throw new IllegalStateException("A server secures its sessions with DTLS or with a packet cipher, not both: "
					+ "DTLS replaces the packet cipher (" + builder.cipher.name() + ")");
		}
		this.sessionConfig = builder.config;
		this.readCoalescingNanos = builder.readCoalescing.toNanos();
		this.handlerFactory = Objects.requireNonNull(builder.handlerFactory);
		this.dropListener = builder.dropListener;
		AdmissionPolicy<InetSocketAddress> policy = (builder.admissionPolicy != null) ? builder.admissionPolicy
				: new SessionLimits<>(builder.maxSessions, builder.newSessionsPerSecond, builder.maxSessionsPerAddress,
						builder.newSessionsPerAddressPerSecond, SourceAddress::of);
		ServerProtection protection = ServerProtection.validating(builder.unprovenIdleTimeout,
				builder.unprovenReceiveBudget, builder.amplificationFactor, resolveMemoryBudget(builder.memoryBudget));
		this.table = new ConversationTable<>(policy, builder.closedSessionMemory.toMillis(),
				Math.max(1024, builder.maxSessions * 2), SourceAddress::of, protection,
				this::countDrop, new SecureRandom()::nextInt);
		// Checked first: an mtu that leaves no room after the cipher's overhead fails here, not per session.
		builder.config.engineMtu(UdpEndpoint.overheadOf(builder.cipher));
		if (builder.dtls != null) {
			// And with DTLS: the mtu must hold a DTLS datagram and, after a record's overhead, the engine's minimum.
			builder.config.engineMtu(DtlsPeer.fitted(builder.dtls, builder.config).maxRecordOverhead());
		}
		KcpEventLoopGroup group = (builder.eventLoops != null) ? builder.eventLoops : KcpEventLoopGroup.shared();
		this.receiver = new Receiver();
		this.endpoint = new UdpEndpoint(group, builder.cipher, EndpointRole.SERVER, this.receiver, builder.udpOptions,
				builder.config.mtu(), builder.dtls != null);
		this.loop = this.endpoint.loop();
		// A handshake that completed waits for its first KCP datagram as long as an unproven session may idle.
		long idleLimit = builder.unprovenIdleTimeout.isZero() ? builder.config.idleTimeout().toMillis()
				: builder.unprovenIdleTimeout.toMillis();
		this.dtls = (builder.dtls != null)
				? new DtlsServerStage(builder.dtls, this.endpoint, this.table, new DtlsHost(), idleLimit) : null;
		this.endpoint.bind(address);
	}

	/** A builder for a server. */
	public static Builder builder() {
		return new Builder();
	}

	/** {@link KcpSettings#MEMORY_BUDGET}'s value in bytes: 0 stands for a quarter of the JVM's maximum heap. */
	static long resolveMemoryBudget(long memoryBudget) {
		return (memoryBudget > 0) ? memoryBudget : Math.max(1, Runtime.getRuntime().maxMemory() / 4);
	}

	/** The local address the server is bound to. */
	public InetSocketAddress localAddress() {
		return this.endpoint.localAddress();
	}

	/** The UDP port the server is bound to (useful after binding port 0). */
	public int localPort() {
		return localAddress().getPort();
	}

	/** The open sessions (a live, unmodifiable view). */
	public Collection<KcpSession> sessions() {
		return Collections.unmodifiableCollection(this.openSessions);
	}

	/** Number of open sessions. */
	public int sessionCount() {
		return this.openSessions.size();
	}

	/** The configuration new sessions get. */
	public KcpConfig config() {
		return this.sessionConfig;
	}

	/**
	 * Changes the latency knobs of future sessions, as aiokcp's {@code KCPServer.set_nodelay}.
	 * @param nodelay 0 off, 1 on, 2 on (see {@link io.github.kcp.core.connection.KcpSettings#NODELAY})
	 */
	public void setNoDelay(int nodelay, int interval, int resend, boolean noCongestionControl) {
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
		KcpConfig changed = change.apply(this.sessionConfig.toBuilder()).build();
		changed.engineMtu(this.endpoint.packetOverhead());
		DtlsServerStage stage = this.dtls;
		if (stage != null) {
			changed.engineMtu(DtlsPeer.fitted(stage.settings(), changed).maxRecordOverhead());
		}
		this.endpoint.ensureReadRoom(changed.mtu());
		this.sessionConfig = changed;
	}

	/**
	 * Replaces the DTLS settings (certificate, trust, client authentication) for handshakes that start from now on,
	 * as when a Spring Boot SSL bundle is reloaded. Live sessions keep their keys and are not dropped. The settings
	 * are checked against the sessions' mtu as at build time (new cipher suites may need more room per record).
	 * Synchronized with the setters, so that the mtu and the settings are checked against each other.
	 * @throws IllegalStateException if the server was not built with {@link Builder#dtls(DtlsSettings)}
	 * @throws io.github.kcp.core.connection.InvalidKcpSettingException if the mtu leaves no room after a record of
	 * the new settings
	 */
	public synchronized void updateDtlsSettings(DtlsSettings dtls) {
		Objects.requireNonNull(dtls, "dtls");
		DtlsServerStage stage = this.dtls;
		if (stage == null) {
			throw new IllegalStateException("The server " + this + " was not built with DTLS; it cannot take DTLS "
					+ "settings while running");
		}
		this.sessionConfig.engineMtu(DtlsPeer.fitted(dtls, this.sessionConfig).maxRecordOverhead());
		stage.updateSettings(dtls);
	}

	/** The DTLS settings new handshakes use, or {@code null} when the server does not use DTLS. */
	public @Nullable DtlsSettings dtlsSettings() {
		DtlsServerStage stage = this.dtls;
		return (stage != null) ? stage.settings() : null;
	}

	/**
	 * How many DTLS HelloVerifyRequests the stateless cookie exchange sent (each answering a hello without a valid
	 * cookie, never larger than it); 0 without DTLS.
	 */
	public long dtlsCookiesSent() {
		DtlsServerStage stage = this.dtls;
		return (stage != null) ? stage.cookiesSent() : 0;
	}

	/** How many DTLS handshakes completed; 0 without DTLS. */
	public long dtlsHandshakesCompleted() {
		DtlsServerStage stage = this.dtls;
		return (stage != null) ? stage.handshakesCompleted() : 0;
	}

	/** How many DTLS handshakes failed (certificate refused, timeout, budget exceeded); 0 without DTLS. */
	public long dtlsHandshakesFailed() {
		DtlsServerStage stage = this.dtls;
		return (stage != null) ? stage.handshakesFailed() : 0;
	}

	/** How many times the server asked its loop to coalesce reads (tests; on the loop). */
	long readCoalescingRequests() {
		return this.readCoalescingRequests;
	}

	/** DTLS peers the server holds state for, and handshakes the table counts (tests; on the loop). */
	int dtlsPeers() {
		return (this.dtls != null) ? this.dtls.peers() : 0;
	}

	int dtlsHandshakesCounted() {
		return this.table.handshakes();
	}

	/** How many datagrams were dropped for {@code reason}. */
	public long droppedDatagrams(DropReason reason) {
		return this.endpoint.dropped(reason);
	}

	/** How many datagrams were dropped for any reason. */
	public long droppedDatagrams() {
		return this.endpoint.dropped();
	}

	/** How many times a session handler callback threw (logged; the sessions went on). */
	public long handlerFailures() {
		return this.handlerFailures.sum();
	}

	/** How many sessions were evicted to make room ({@link CloseReason#EVICTED}). */
	public long evictedSessions() {
		return this.evictedSessions;
	}

	/** Whether {@link #shutdown} (or {@link #close}) has been called, or the socket failed. */
	public boolean isClosing() {
		return this.closing;
	}

	/**
	 * A future completed when the server has closed and released its socket; completed exceptionally, with a
	 * {@link KcpServerFailedException}, if an Error on its event loop stopped it or its event loop stopped responding
	 * during a shutdown (an owner such as a container watches it to stop, and to report the server down).
	 */
	public CompletableFuture<Void> closeFuture() {
		return this.closeFuture;
	}

	/**
	 * Stops receiving, the first step of a shutdown, for an application that wants to finish its own work (replies
	 * being computed) before {@link #shutdown}: from now on no new session opens ({@link DropReason#SHUTTING_DOWN}),
	 * and no session acknowledges or delivers new data — peers keep it and retry elsewhere — while acknowledgements
	 * of the sessions' own data are still processed, so that replies are delivered. Everything the server had
	 * acknowledged in order is still delivered to the handlers.
	 * @return a future completed once this is in effect (on the server's event loop)
	 */
	public CompletableFuture<Void> stopReceiving() {
		CompletableFuture<Void> done = new CompletableFuture<>();
		runOnLoop(() -> {
			this.table.stopReceiving();
			done.complete(null);
		});
		return done;
	}

	/**
	 * Shuts down gracefully within the sessions' {@link KcpConfig#closeTimeout() close timeout}; see
	 * {@link #shutdown(Duration)}. Blocks until closed unless called on the server's event loop (at most the close
	 * timeout and two seconds). Does not throw if the server failed: the {@link #closeFuture()} tells.
	 */
	@Override
	public void close() {
		CompletableFuture<Void> done = shutdown(this.sessionConfig.closeTimeout());
		if (!this.loop.inEventLoop()) {
			try {
				done.get();
			}
			catch (ExecutionException ex) {
				// Logged at ERROR when it happened; the close future carries it.
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Shuts down gracefully. From its start the server {@link #stopReceiving() receives nothing new}: no session
	 * opens, and data segments are neither acknowledged nor delivered (peers keep them for a retry elsewhere), while
	 * acknowledgements of the server's own data are still processed. Everything the server had acknowledged in order
	 * is still delivered to the handlers. Every session then delivers and gets acknowledged what it has sent, tells
	 * its peer and closes with {@link CloseReason#SERVER_SHUTDOWN}; sessions still open after {@code gracePeriod} are
	 * aborted (their peers are told). Then the socket is released.
	 * @return the {@link #closeFuture()}
	 */
	public CompletableFuture<Void> shutdown(Duration gracePeriod) {
		Objects.requireNonNull(gracePeriod, "gracePeriod");
		if (this.closing) {
			return this.closeFuture;
		}
		this.closing = true;
		watchShutdown(gracePeriod);
		runOnLoop(() -> {
			long now = MonotonicClock.nowMillis();
			this.table.shutdown(now, gracePeriod.toMillis());
			if (this.dtls != null) {
				this.dtls.dropPending();
			}
			serviceAll();
			if (this.table.isEmpty()) {
				release();
				return;
			}
			long deadline = this.table.pollTimeout();
			this.shutdownTimer = this.loop.schedule(this::onShutdownTimer, Math.max(0, deadline - now),
					TimeUnit.MILLISECONDS);
		});
		return this.closeFuture;
	}

	/**
	 * A shutdown must end even if the event loop never runs it (a handler blocks it forever, or it died): past the
	 * grace period and a margin, the close future fails (on the JDK's timer thread, not the loop).
	 */
	private void watchShutdown(Duration gracePeriod) {
		Duration limit = gracePeriod.plus(UNRESPONSIVE_LOOP_MARGIN);
		CompletableFuture.delayedExecutor(limit.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
			if (!this.closeFuture.isDone()) {
				logger.error("KCP server {} did not finish shutting down within {}: its event loop is not responding "
						+ "(blocked by a handler, or dead); giving up on it", this.endpoint, limit);
				this.closeFuture.completeExceptionally(new KcpServerFailedException("The KCP server " + this.endpoint
						+ " did not finish shutting down within " + limit + ": its event loop is not responding", null));
			}
		});
	}

	/**
	 * Stops the server because an Error was thrown on its loop: says so at ERROR level, closes every session with
	 * {@link CloseReason#ERROR}, releases the socket and fails the close future. On the loop.
	 */
	private void fail(Error error) {
		if (this.failed) {
			return;
		}
		this.failed = true;
		this.closing = true;
		KcpServerFailedException failure = new KcpServerFailedException(
				"The KCP server " + this.endpoint + " stopped: " + error + " on its event loop", error);
		try {
			logger.error("KCP server {} stops: {} on its event loop; its sessions close with ERROR", this.endpoint,
					error.toString(), error);
			for (EventLoopSession session : this.table.sessions()) {
				session.fail(error);
			}
		}
		catch (Throwable again) {
			// Out of memory again, or a handler throwing in onClose: the server stops all the same.
			failure.addSuppressed(again);
		}
		finally {
			this.released = true;
			if (this.dtls != null) {
				this.dtls.discardAll();
			}
			if (this.shutdownTimer != null) {
				this.shutdownTimer.cancel(false);
			}
			this.endpoint.close().whenComplete((ignored, ex) -> this.closeFuture.completeExceptionally(failure));
			// Should the socket's close never complete, the owner still hears of it.
			CompletableFuture.delayedExecutor(UNRESPONSIVE_LOOP_MARGIN.toMillis(), TimeUnit.MILLISECONDS)
				.execute(() -> this.closeFuture.completeExceptionally(failure));
		}
	}

	/** Counts a drop a session's connection made (memory budget, amplification limit) for the whole server. */
	private void countDrop(DropReason reason) {
		this.endpoint.count(reason);
	}

	/** Sessions the table evicted (closed already): their handlers hear of it. */
	private void drainEvicted() {
		EventLoopSession evicted;
		while ((evicted = this.table.pollEvicted()) != null) {
			this.evictedSessions++;
			evicted.service();
		}
	}

	private void onShutdownTimer() {
		this.shutdownTimer = null;
		this.table.handleTimeout(MonotonicClock.nowMillis());
		serviceAll();
		release();
	}

	private void serviceAll() {
		for (EventLoopSession session : this.table.sessions()) {
			session.service();
		}
	}

	private void release() {
		if (this.released) {
			return;
		}
		this.released = true;
		if (this.shutdownTimer != null) {
			this.shutdownTimer.cancel(false);
			this.shutdownTimer = null;
		}
		this.endpoint.close().whenComplete((ignored, ex) -> this.closeFuture.complete(null));
	}

	/** A session finished closing; on the loop, before its handler hears of it. */
	private void sessionClosed(EventLoopSession session) {
		this.table.remove(session.remoteAddress(), session.conv(), session, MonotonicClock.nowMillis());
		this.openSessions.remove(session);
		if (this.dtls != null) {
			this.dtls.sessionClosed(session);
		}
		if (this.table.isShuttingDown() && this.table.isEmpty()) {
			release();
		}
	}

	/** The server's socket (tests). */
	UdpEndpoint endpoint() {
		return this.endpoint;
	}

	/** Closes the socket as an I/O failure would (tests). */
	void closeSocketUnexpectedly() {
		this.endpoint.closeUnexpectedly();
	}

	private void runOnLoop(Runnable task) {
		Runnable guarded = () -> {
			try {
				task.run();
			}
			catch (Error error) {
				fail(error);
			}
		};
		if (this.loop.inEventLoop()) {
			guarded.run();
			return;
		}
		try {
			this.loop.execute(guarded);
		}
		catch (RejectedExecutionException ex) {
			this.closeFuture.completeExceptionally(new KcpServerFailedException("The event loop of the KCP server "
					+ this.endpoint + " was shut down under it", ex));
		}
	}

	@Override
	public String toString() {
		return "KcpServer{" + this.endpoint + ", sessions=" + this.openSessions.size() + "}";
	}

	/** What the DTLS stage needs of the server, on the loop. */
	private final class DtlsHost implements DtlsServerStage.Host {

		@Override
		public KcpConfig sessionConfig() {
			return KcpServer.this.sessionConfig;
		}

		@Override
		public EventLoopSession openSession(InetSocketAddress address, int conv, KcpConfig config,
				EventLoopSession.SessionStage stage) {
			EventLoopSession session = new EventLoopSession(KcpServer.this.endpoint, address, conv, config,
					KcpServer.this.handlerFactory.get(), KcpServer.this::sessionClosed, KcpServer.this.handlerFailures,
					KcpServer.this::fail, KcpServer.this.table.memoryBudget(), stage);
			KcpServer.this.table.addAfterHandshake(address, conv, session.connection(), session,
					MonotonicClock.nowMillis());
			KcpServer.this.openSessions.add(session);
			session.open();
			return session;
		}

		@Override
		public void touched(EventLoopSession session) {
			List<EventLoopSession> burst = KcpServer.this.touched;
			if (burst.isEmpty() || burst.get(burst.size() - 1) != session) {
				burst.add(session);
			}
		}

		@Override
		public void drainEvicted() {
			KcpServer.this.drainEvicted();
		}

		@Override
		public void dropped(DropReason reason, InetSocketAddress sender) {
			KcpServer.this.receiver.dropped(reason, sender);
		}

	}

	/** What the socket hands its datagrams to, on the loop. */
	private final class Receiver implements UdpEndpoint.Receiver {

		@Override
		public void datagram(InetSocketAddress sender, byte[] data, int offset, int length, int wireLength) {
			try {
				receive(sender, data, offset, length, wireLength);
			}
			catch (Error error) {
				fail(error);
			}
		}

		private void receive(InetSocketAddress sender, byte[] data, int offset, int length, int wireLength) {
			if (KcpServer.this.failed) {
				return;
			}
			DtlsServerStage stage = KcpServer.this.dtls;
			if (stage != null) {
				stage.datagram(sender, data, offset, length);
				return;
			}
			int conv = KcpCodec.readConv(data, offset);
			EventLoopSession session = KcpServer.this.table.get(sender, conv);
			if (session == null) {
				session = admit(sender, conv, data, offset, length);
				if (session == null) {
					return;
				}
			}
			if (session.input(data, offset, length, wireLength) != InputResult.OK) {
				KcpServer.this.endpoint.count(DropReason.ENGINE_REJECTED);
			}
			List<EventLoopSession> burst = KcpServer.this.touched;
			if (burst.isEmpty() || burst.get(burst.size() - 1) != session) {
				burst.add(session);
			}
		}

		private @Nullable EventLoopSession admit(InetSocketAddress sender, int conv, byte[] data, int offset,
				int length) {
			long now = MonotonicClock.nowMillis();
			Verdict verdict = KcpServer.this.table.admit(sender, conv, data, offset, length, now);
			drainEvicted();
			if (!verdict.admitted()) {
				KcpServer.this.endpoint.count(Objects.requireNonNull(verdict.dropReason()));
				if (verdict.answer() != 0) {
					answer(sender, conv, verdict.answer());
				}
				return null;
			}
			EventLoopSession session = new EventLoopSession(KcpServer.this.endpoint, sender, conv,
					KcpServer.this.sessionConfig, KcpServer.this.handlerFactory.get(), KcpServer.this::sessionClosed,
					KcpServer.this.handlerFailures, KcpServer.this::fail, KcpServer.this.table.memoryBudget());
			KcpServer.this.table.add(sender, conv, session.connection(), session, now);
			KcpServer.this.openSessions.add(session);
			session.open();
			return session;
		}

		/**
		 * Counts the different sessions that received datagrams in the current window; when they reach
		 * {@link #MANY_CLIENTS}, asks the loop to coalesce its reads (see {@link KcpSettings#READ_COALESCING}). A
		 * few clients, however busy, never do: the pause would add to each of their round trips.
		 */
		private void noteClients(List<EventLoopSession> burst) {
			long window = MonotonicClock.nowMillis() / MANY_CLIENTS_WINDOW_MILLIS;
			if (window != KcpServer.this.loadWindow) {
				KcpServer.this.loadWindow = window;
				KcpServer.this.sessionsInWindow = 0;
			}
			for (int i = 0; i < burst.size(); i++) {
				EventLoopSession session = burst.get(i);
				if (session.loadWindow != window) {
					session.loadWindow = window;
					if (++KcpServer.this.sessionsInWindow == MANY_CLIENTS) {
						ReadCoalescing coalescing = ReadCoalescing.ofCurrentLoop();
						if (coalescing != null) {
							coalescing.request(KcpServer.this.readCoalescingNanos);
							KcpServer.this.readCoalescingRequests++;
						}
					}
				}
			}
		}

		/** Answers a datagram of a conversation we do not have with a close signal, so the peer stops at once. */
		private void answer(InetSocketAddress recipient, int conv, int cmd) {
			byte[] signal = KcpServer.this.answer;
			KcpCodec.writeCloseSignal(signal, conv, cmd, 0, (int) MonotonicClock.nowMillis(), 0, 0);
			try {
				KcpServer.this.endpoint.write(recipient, signal, signal.length);
				KcpServer.this.endpoint.flush();
			}
			catch (RuntimeException ex) {
				// The cipher failed: counted and logged by the endpoint; nothing was sent.
			}
		}

		@Override
		public void readComplete() {
			List<EventLoopSession> burst = KcpServer.this.touched;
			// The sessions' datagrams leave with one flush (one sendmmsg) for the whole burst.
			KcpServer.this.endpoint.holdFlushes();
			try {
				if (KcpServer.this.readCoalescingNanos > 0) {
					noteClients(burst);
				}
				for (int i = 0; i < burst.size(); i++) {
					burst.get(i).service();
				}
				// Unproven sessions that took more memory than their share (in-order data is always taken) make room.
				if (KcpServer.this.table.relieveMemoryPressure(MonotonicClock.nowMillis()) > 0) {
					drainEvicted();
				}
			}
			catch (Error error) {
				fail(error);
			}
			finally {
				burst.clear();
				KcpServer.this.endpoint.releaseFlushes();
			}
		}

		@Override
		public void failed(Error error) {
			fail(error);
		}

		@Override
		public void dropped(DropReason reason, InetSocketAddress sender) {
			// Counted by the endpoint; a server has no session to charge it to. The listener learns the source.
			BiConsumer<DropReason, InetSocketAddress> listener = KcpServer.this.dropListener;
			if (listener == null) {
				return;
			}
			try {
				listener.accept(reason, sender);
			}
			catch (RuntimeException ex) {
				if (!KcpServer.this.dropListenerFailureLogged) {
					KcpServer.this.dropListenerFailureLogged = true;
					logger.warn("The drop listener of {} failed (logged once per server)", KcpServer.this, ex);
				}
			}
		}

		@Override
		public void channelLost(@Nullable Throwable cause) {
			if (KcpServer.this.closeFuture.isDone()) {
				return;
			}
			logger.warn("KCP server socket {} closed unexpectedly", KcpServer.this.endpoint);
			KcpServer.this.closing = true;
			KcpServer.this.released = true;
			// onClose promises a cause with ERROR: say what happened when the channel gave none.
			Throwable error = (cause != null) ? cause
					: new KcpException("The server's UDP socket " + KcpServer.this.endpoint + " closed unexpectedly");
			if (KcpServer.this.dtls != null) {
				KcpServer.this.dtls.discardAll();
			}
			for (EventLoopSession session : KcpServer.this.table.sessions()) {
				session.fail(error);
			}
			KcpServer.this.closeFuture.complete(null);
		}

	}

	/**
	 * Builds and binds a {@link KcpServer}.
	 */
	public static final class Builder {

		private KcpConfig config = KcpConfig.defaults();

		private @Nullable PacketCipher cipher;

		private @Nullable Supplier<? extends KcpSessionHandler> handlerFactory;

		private int maxSessions = KcpSettings.MAX_SESSIONS.defaultValue();

		private int newSessionsPerSecond = KcpSettings.NEW_SESSIONS_PER_SECOND.defaultValue();

		private Duration closedSessionMemory = KcpSettings.CLOSED_SESSION_MEMORY.defaultValue();

		private int maxSessionsPerAddress = KcpSettings.MAX_SESSIONS_PER_ADDRESS.defaultValue();

		private int newSessionsPerAddressPerSecond = KcpSettings.NEW_SESSIONS_PER_ADDRESS_PER_SECOND.defaultValue();

		private Duration unprovenIdleTimeout = KcpSettings.UNPROVEN_IDLE_TIMEOUT.defaultValue();

		private int unprovenReceiveBudget = KcpSettings.UNPROVEN_RECEIVE_BUDGET.defaultValue();

		private int amplificationFactor = KcpSettings.AMPLIFICATION_FACTOR.defaultValue();

		private long memoryBudget = KcpSettings.MEMORY_BUDGET.defaultValue();

		private Duration readCoalescing = KcpSettings.READ_COALESCING.defaultValue();

		private @Nullable AdmissionPolicy<InetSocketAddress> admissionPolicy;

		private @Nullable KcpEventLoopGroup eventLoops;

		private @Nullable BiConsumer<DropReason, InetSocketAddress> dropListener;

		private UdpOptions udpOptions = UdpOptions.defaults();

		private @Nullable DtlsSettings dtls;

		private Builder() {
		}

		/**
		 * Secures every session with DTLS (certificates) instead of a packet cipher: a client proves its address
		 * with the stateless cookie exchange, then completes the handshake before its first KCP segment. Excludes
		 * {@link #cipher(PacketCipher)}. Default none.
		 */
		public Builder dtls(@Nullable DtlsSettings dtls) {
			this.dtls = dtls;
			return this;
		}

		/** Session configuration. Default {@link KcpConfig#defaults()}. */
		public Builder config(KcpConfig config) {
			this.config = Objects.requireNonNull(config, "config");
			return this;
		}

		/**
		 * The packet cipher of the server's socket: every datagram is encrypted after the engine and decrypted before
		 * it; its overhead is taken off the mtu. Default none ({@code null} or {@link PacketCipher#NONE}).
		 */
		public Builder cipher(@Nullable PacketCipher cipher) {
			this.cipher = cipher;
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

		/** See {@link KcpSettings#MAX_SESSIONS}. Default 10,000. */
		public Builder maxSessions(int maxSessions) {
			this.maxSessions = KcpSettings.MAX_SESSIONS.validate(maxSessions);
			return this;
		}

		/** See {@link KcpSettings#NEW_SESSIONS_PER_SECOND}; 0 = no limit. Default 0. */
		public Builder newSessionsPerSecond(int newSessionsPerSecond) {
			this.newSessionsPerSecond = KcpSettings.NEW_SESSIONS_PER_SECOND.validate(newSessionsPerSecond);
			return this;
		}

		/** See {@link KcpSettings#CLOSED_SESSION_MEMORY}. Default 60 s. */
		public Builder closedSessionMemory(Duration closedSessionMemory) {
			this.closedSessionMemory = KcpSettings.CLOSED_SESSION_MEMORY.validate(closedSessionMemory);
			return this;
		}

		/**
		 * See {@link KcpSettings#MAX_SESSIONS_PER_ADDRESS}: most sessions of one source address (an IPv6 address
		 * by its /64 prefix); 0 = no limit. Default 256.
		 */
		public Builder maxSessionsPerAddress(int maxSessionsPerAddress) {
			this.maxSessionsPerAddress = KcpSettings.MAX_SESSIONS_PER_ADDRESS.validate(maxSessionsPerAddress);
			return this;
		}

		/** See {@link KcpSettings#NEW_SESSIONS_PER_ADDRESS_PER_SECOND}; 0 = no limit. Default 64. */
		public Builder newSessionsPerAddressPerSecond(int newSessionsPerAddressPerSecond) {
			this.newSessionsPerAddressPerSecond = KcpSettings.NEW_SESSIONS_PER_ADDRESS_PER_SECOND
				.validate(newSessionsPerAddressPerSecond);
			return this;
		}

		/**
		 * See {@link KcpSettings#UNPROVEN_IDLE_TIMEOUT}: the idle timeout of a session whose peer has not yet
		 * acknowledged data the server sent nor echoed its address challenge; zero applies the session idle timeout.
		 * Default 15 s.
		 */
		public Builder unprovenIdleTimeout(Duration unprovenIdleTimeout) {
			this.unprovenIdleTimeout = KcpSettings.UNPROVEN_IDLE_TIMEOUT.validate(unprovenIdleTimeout);
			return this;
		}

		/** See {@link KcpSettings#UNPROVEN_RECEIVE_BUDGET}, in bytes. Default 64 KiB. */
		public Builder unprovenReceiveBudget(int unprovenReceiveBudget) {
			this.unprovenReceiveBudget = KcpSettings.UNPROVEN_RECEIVE_BUDGET.validate(unprovenReceiveBudget);
			return this;
		}

		/** See {@link KcpSettings#AMPLIFICATION_FACTOR}; 0 = no limit. Default 3. */
		public Builder amplificationFactor(int amplificationFactor) {
			this.amplificationFactor = KcpSettings.AMPLIFICATION_FACTOR.validate(amplificationFactor);
			return this;
		}

		/**
		 * See {@link KcpSettings#MEMORY_BUDGET}: bytes all sessions may hold in receive and send buffers; 0 = a
		 * quarter of the JVM's maximum heap (the default).
		 */
		public Builder memoryBudget(long memoryBudget) {
			this.memoryBudget = KcpSettings.MEMORY_BUDGET.validate(memoryBudget);
			return this;
		}

		/**
		 * See {@link KcpSettings#READ_COALESCING}: while the server serves many clients at once, its event loop
		 * waits until this long has passed since its previous poll of the sockets before the next (fewer wake-ups,
		 * at most this much more latency); zero turns it off. Default 0.5 ms.
		 */
		public Builder readCoalescing(Duration readCoalescing) {
			this.readCoalescing = KcpSettings.READ_COALESCING.validate(readCoalescing);
			return this;
		}

		/**
		 * Replaces the admission policy (by default {@link SessionLimits} from {@link #maxSessions},
		 * {@link #newSessionsPerSecond}, {@link #maxSessionsPerAddress} and {@link #newSessionsPerAddressPerSecond},
		 * which are then not used): the seam for admission rules of your own. Called on the server's event loop.
		 */
		public Builder admissionPolicy(AdmissionPolicy<InetSocketAddress> admissionPolicy) {
			this.admissionPolicy = Objects.requireNonNull(admissionPolicy, "admissionPolicy");
			return this;
		}

		/**
		 * Told of each datagram the packet stage drops before it reaches a conversation, with its source address:
		 * {@link DropReason#DECRYPT_FAILED} (it did not decrypt or authenticate: often a peer with another key),
		 * {@link DropReason#REPLAYED} (a copy of a datagram the cipher already accepted) and
		 * {@link DropReason#MALFORMED} (shorter than a segment header). Every drop is counted
		 * ({@link KcpServer#droppedDatagrams(DropReason)}) with or without it; the listener adds the address, for
		 * diagnostics. Called on the server's event loop, once per datagram: it must be quick and must not block (a
		 * flood calls it as often as datagrams arrive). An exception it throws is logged once and otherwise ignored.
		 */
		public Builder dropListener(BiConsumer<DropReason, InetSocketAddress> dropListener) {
			this.dropListener = Objects.requireNonNull(dropListener, "dropListener");
			return this;
		}

		/** The event-loop threads to run on (not closed by the server). Default {@link KcpEventLoopGroup#shared()}. */
		public Builder eventLoops(KcpEventLoopGroup eventLoops) {
			this.eventLoops = Objects.requireNonNull(eventLoops, "eventLoops");
			return this;
		}

		/**
		 * How the socket batches and offloads its datagrams (native epoll only). Default {@link UdpOptions#defaults()}:
		 * everything the kernel has.
		 */
		public Builder udpOptions(UdpOptions udpOptions) {
			this.udpOptions = Objects.requireNonNull(udpOptions, "udpOptions");
			return this;
		}

		/** Binds to {@code host:port} (port 0 for any free port); see {@link #bind(InetSocketAddress)}. */
		public KcpServer bind(String host, int port) {
			return bind(new InetSocketAddress(host, port));
		}

		/**
		 * Binds and starts serving. Blocks until the socket is bound.
		 * @throws KcpException if the address cannot be bound
		 * @throws io.github.kcp.core.connection.InvalidKcpSettingException if the mtu leaves no room for the cipher's
		 * overhead
		 */
		public KcpServer bind(InetSocketAddress address) {
			if (this.handlerFactory == null) {
				throw new IllegalStateException("A handler or handler factory is required");
			}
			KcpServer server = new KcpServer(this, address);
			logger.debug("KCP server listening on {}", server.localAddress());
			return server;
		}

	}

}
