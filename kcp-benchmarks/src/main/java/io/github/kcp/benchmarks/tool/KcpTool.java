package io.github.kcp.benchmarks.tool;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.testsupport.relay.LinkImpairment;
import io.github.kcp.testsupport.relay.LossyUdpRelay;
import org.jspecify.annotations.Nullable;

/**
 * {@code kcp-tool}: a command-line KCP peer for interop checks and benchmarks, interchangeable with the kcp-go test
 * peer (same roles, flags, wire protocols and output lines). Run {@code java -jar kcp-tool.jar --help} for usage.
 * <p>
 * {@link #main} exits the JVM with the status; {@link #run} is the same without exiting, for use in-process: a
 * server role blocks until {@link #stop()} (or {@code --seconds}) and then returns 0.
 *
 * <pre class="code">
 * java -jar kcp-tool.jar echo-server --port 9000
 * java -jar kcp-tool.jar echo-client --port 9000 --count 1000 --size 1200
 * </pre>
 */
public final class KcpTool {

	/** Exit status: success. */
	public static final int EXIT_OK = 0;

	/** Exit status: a verification failed or a deadline passed. */
	public static final int EXIT_FAILED = 1;

	/** Exit status: the command line is wrong. */
	public static final int EXIT_USAGE = 2;

	private static final Duration WATCHDOG_GRACE = Duration.ofSeconds(5);

	private final Console console;

	private final PrintStream out;

	private final InputStream stdin;

	private final CountDownLatch stopRequested = new CountDownLatch(1);

	/**
	 * A tool that prints to the given streams and, with {@code --watch-stdin 1}, watches {@link System#in}.
	 * @param out where result lines go
	 * @param err where diagnostics go
	 */
	public KcpTool(PrintStream out, PrintStream err) {
		this(out, err, System.in);
	}

	/**
	 * A tool that prints to the given streams and, with {@code --watch-stdin 1}, stops when {@code stdin} ends.
	 * @param out where result lines go
	 * @param err where diagnostics go
	 * @param stdin the input to watch
	 */
	public KcpTool(PrintStream out, PrintStream err, InputStream stdin) {
		this.console = new Console(out, err);
		this.out = out;
		this.stdin = stdin;
	}

	/**
	 * Runs the command line and exits the JVM with its status.
	 * @param args the role, then flags
	 */
	public static void main(String[] args) {
		disableLeakDetectionUnlessAsked();
		int status = new KcpTool(System.out, System.err).run(args);
		System.out.flush();
		System.exit(status);
	}

	/**
	 * Turns Netty's buffer leak detector off unless a level was given ({@code -Dio.netty.leakDetection.level}): by
	 * default it samples one buffer in 128 with a stack trace, a cost a benchmark should not measure. kcp-core's tests
	 * run with the paranoid level instead, which tracks every buffer.
	 */
	private static void disableLeakDetectionUnlessAsked() {
		if (System.getProperty("io.netty.leakDetection.level") == null
				&& System.getProperty("io.netty.leakDetectionLevel") == null) {
			io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
		}
	}

	/**
	 * Runs one role to its end.
	 * @param args the role, then flags
	 * @return the exit status: {@link #EXIT_OK}, {@link #EXIT_FAILED} or {@link #EXIT_USAGE}
	 */
	public int run(String... args) {
		if (Arrays.stream(args).anyMatch((arg) -> Set.of("--help", "-help", "-h", "help").contains(arg))) {
			this.out.println(ToolOptions.usage());
			this.out.flush();
			return EXIT_OK;
		}
		try {
			ToolOptions options = ToolOptions.parse(args);
			if (options.watchStdin == 1) {
				watchStdin();
			}
			if (options.isRelay()) {
				return runRelay(options);
			}
			if (options.isSessionLoad()) {
				return runSessionLoad(options);
			}
			if (options.role.equals("tcp-sessions-server")) {
				return runTcpSessionsServer(options);
			}
			if (options.isServer()) {
				return options.isTcp() ? runTcpServer(options) : runKcpServer(options);
			}
			return options.isTcp() ? runTcpClient(options) : runKcpClient(options);
		}
		catch (ToolUsageException ex) {
			this.console.err("kcp-tool: %s", ex.getMessage());
			this.console.err("Run 'kcp-tool --help' for usage.");
			return EXIT_USAGE;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.console.err("kcp-tool: interrupted");
			return EXIT_FAILED;
		}
	}

	/** Asks a running server or relay role to stop; {@link #run} then returns {@link #EXIT_OK}. */
	public void stop() {
		this.stopRequested.countDown();
	}

	private void watchStdin() {
		Thread watcher = new Thread(() -> {
			try {
				this.stdin.transferTo(java.io.OutputStream.nullOutputStream());
			}
			catch (IOException ex) {
				// an unreadable stdin counts as ended
			}
			this.console.err("standard input closed, exiting");
			stop();
		}, "kcp-tool-stdin-watch");
		watcher.setDaemon(true);
		watcher.start();
	}

	/** Blocks until {@link #stop()} or until {@code --seconds} pass. */
	private void awaitStop(ToolOptions options) throws InterruptedException {
		if (options.seconds > 0) {
			if (!this.stopRequested.await(options.seconds, TimeUnit.SECONDS)) {
				this.console.err("%s: %d seconds elapsed, exiting", options.role, options.seconds);
			}
		}
		else {
			this.stopRequested.await();
		}
	}

	private void printListening(ToolOptions options, int port) {
		this.console.out("listening on %s", ToolOptions.joinHostPort(options.host, port));
	}

	// ------------------------------------------------------------------ KCP

	private int runKcpServer(ToolOptions options) throws ToolUsageException, InterruptedException {
		KcpConfig config = options.kcpConfig();
		Roles roles = new Roles(options, this.console);
		Supplier<KcpSessionHandler> handlers;
		if (options.baseRole().equals("echo-server")) {
			handlers = () -> new EchoHandler(this.console, options.stats > 0);
		}
		else if (options.baseRole().equals("bulk-server")) {
			handlers = () -> new BulkHandler(this.console, options.stats > 0);
		}
		else {
			handlers = () -> {
				KcpConn conn = new KcpConn(config, Long.MAX_VALUE);
				conn.opened().thenAccept((session) -> startDaemon("kcp-tool-session-" + session.conv(), () -> {
					this.console.err("%s: accepted %s", options.role, conn.describe());
					roles.serve(conn);
					if (options.stats > 0) {
						this.console.err("stats: %s: %s", conn.describe(), session.stats());
					}
					conn.close();
				}));
				return conn;
			};
		}
		KcpServer server;
		try {
			server = KcpServer.builder()
				.config(config)
				.cipher(options.packetCipher())
				.dtls(options.dtlsSettings())
				.maxSessionsPerAddress(options.maxSessionsPerAddress)
				.newSessionsPerAddressPerSecond(options.newSessionsPerAddress)
				.readCoalescing(Duration.ofNanos(options.readCoalescingMicros * 1000L))
				.udpOptions(options.udpOptions())
				.handlerFactory(handlers)
				.bind(options.host, options.port);
		}
		catch (KcpException ex) {
			this.console.err("listen on %s: %s", ToolOptions.joinHostPort(options.host, options.port),
					ex.getMessage());
			return EXIT_FAILED;
		}
		printListening(options, server.localPort());
		return serveUntilStopped(options, server);
	}

	/**
	 * Serves until stopped (or {@code --seconds}), printing the server's counters every {@code --stats} seconds and
	 * at the end; a server that fails (an Error on its event loop) ends it at once with {@link #EXIT_FAILED}.
	 */
	int serveUntilStopped(ToolOptions options, KcpServer server) throws InterruptedException {
		AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
		server.closeFuture().whenComplete((ignored, ex) -> {
			if (ex != null) {
				failure.set(ex);
				stop();
			}
		});
		ScheduledExecutorService reporter = null;
		if (options.stats > 0) {
			reporter = Executors.newSingleThreadScheduledExecutor((task) -> {
				Thread thread = new Thread(task, "kcp-tool-stats");
				thread.setDaemon(true);
				return thread;
			});
			reporter.scheduleAtFixedRate(() -> printServerStats(server), options.stats, options.stats,
					TimeUnit.SECONDS);
		}
		try {
			awaitStop(options);
		}
		finally {
			if (reporter != null) {
				reporter.shutdownNow();
			}
			try {
				server.shutdown(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
			}
			catch (ExecutionException | TimeoutException ex) {
				if (failure.get() == null) {
					this.console.err("%s: shutdown did not complete: %s", options.role, ex);
				}
			}
			if (options.stats > 0) {
				printServerStats(server);
			}
		}
		Throwable failed = failure.get();
		if (failed != null) {
			Throwable cause = (failed.getCause() != null) ? failed.getCause() : failed;
			this.console.err("%s: server failed: %s", options.role, cause);
			return EXIT_FAILED;
		}
		return EXIT_OK;
	}

	/** One line of the server's counters: sessions, evictions, and the datagrams dropped by reason. */
	private void printServerStats(KcpServer server) {
		StringBuilder drops = new StringBuilder();
		for (DropReason reason : DropReason.values()) {
			long count = server.droppedDatagrams(reason);
			if (count > 0) {
				drops.append((drops.length() == 0) ? "" : ", ").append(reason).append('=').append(count);
			}
		}
		this.console.err("server: sessions=%d evicted=%d handlerFailures=%d dropped={%s}", server.sessionCount(),
				server.evictedSessions(), server.handlerFailures(), drops);
		if (server.dtlsSettings() != null) {
			this.console.err("server: dtls cookiesSent=%d handshakesCompleted=%d handshakesFailed=%d",
					server.dtlsCookiesSent(), server.dtlsHandshakesCompleted(), server.dtlsHandshakesFailed());
		}
	}

	private int runKcpClient(ToolOptions options) throws ToolUsageException {
		KcpConfig config = options.kcpConfig();
		if (options.baseRole().equals("connect-client")) {
			try {
				return new ConnectProbe(options, this.console).run(config);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return EXIT_FAILED;
			}
		}
		if (options.baseRole().equals("rtt-client") && !config.stream()) {
			return runKcpRttClient(options, config);
		}
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.timeoutSeconds);
		KcpConn conn = new KcpConn(config, deadline);
		KcpSession session;
		try {
			session = KcpClient.builder()
				.config(config)
				.cipher(options.packetCipher())
				.dtls(options.dtlsSettings())
				.udpOptions(options.udpOptions())
				.handler(conn)
				.connect(options.host, options.port);
		}
		catch (KcpException ex) {
			return this.console.fail("dial %s: %s", ToolOptions.joinHostPort(options.host, options.port),
					ex.getMessage());
		}
		conn.attach(session);
		this.console.err("%s: dialed %s with conv %s", options.role, session.remoteAddress(),
				Integer.toUnsignedString(session.conv()));
		printSecurity(options, session);
		int status = runWithWatchdog(options, conn, new Roles(options, this.console));
		if (options.stats == 1) {
			this.console.err("stats: %s", session.stats());
		}
		if (status == EXIT_OK) {
			// delivers what is still unacknowledged (the sink-client's digest) before the close signal
			conn.close();
		}
		else {
			// the peer is gone or misbehaving: waiting out the close timeout would only delay the verdict
			conn.abort();
		}
		return status;
	}

	/** What a DTLS session negotiated and who the server is (never key material). */
	private void printSecurity(ToolOptions options, KcpSession session) {
		KcpSecurityInfo security = session.securityInfo();
		if (security != null) {
			this.console.err("%s: %s %s, server %s", options.role, security.protocol(), security.cipherSuite(),
					(security.peerPrincipal() != null) ? security.peerPrincipal().getName() : "anonymous");
		}
	}

	/** The longest the rtt-client's JIT warm-up runs (under heavy loss it gets through fewer messages). */
	static final long JIT_WARMUP_MAX_NANOS = TimeUnit.SECONDS.toNanos(10);

	/** The rtt-client in message mode, timed on the event loop ({@link RttProbe}). */
	private int runKcpRttClient(ToolOptions options, KcpConfig config) throws ToolUsageException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.timeoutSeconds);
		RttProbe probe = new RttProbe(options.size, options.intervalMs);
		KcpSession session;
		try {
			session = KcpClient.builder()
				.config(config)
				.cipher(options.packetCipher())
				.dtls(options.dtlsSettings())
				.udpOptions(options.udpOptions())
				.handler(probe)
				.connect(options.host, options.port);
		}
		catch (KcpException ex) {
			return this.console.fail("dial %s: %s", ToolOptions.joinHostPort(options.host, options.port),
					ex.getMessage());
		}
		this.console.err("%s: dialed %s with conv %s", options.role, session.remoteAddress(),
				Integer.toUnsignedString(session.conv()));
		printSecurity(options, session);
		try {
			if (options.jitWarmup > 0) {
				int warmed = probe.pingPong(session, options.jitWarmup, JIT_WARMUP_MAX_NANOS, deadline);
				if (warmed < 0) {
					this.console.out("%d ok, %d bad", 0, options.count);
					session.abort();
					return this.console.fail("rtt-client: JIT warm-up: the session closed or timed out");
				}
				this.console.err("rtt-client: JIT warm-up of %d messages done", warmed);
			}
			if (options.warmup > 0) {
				double[] warm = probe.round(session, options.warmup, deadline);
				if (warm == null || probe.ok() != options.warmup) {
					this.console.out("%d ok, %d bad", 0, options.count);
					session.abort();
					return this.console.fail("rtt-client: warm-up: only %d of %d messages came back intact",
							probe.ok(), options.warmup);
				}
				this.console.err("rtt-client: warm-up of %d messages done", options.warmup);
			}
			double[] sorted = probe.round(session, options.count, deadline);
			int ok = (sorted != null) ? sorted.length : probe.ok();
			this.console.out("%d ok, %d bad", ok, options.count - ok);
			if (sorted == null || ok == 0) {
				this.console.out("failed: %s", (sorted == null) ? "timeout" : "no round trip measured");
				session.abort();
				return EXIT_FAILED;
			}
			this.console.out("p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms", Roles.percentile(sorted, 50),
					Roles.percentile(sorted, 90), Roles.percentile(sorted, 99), sorted[sorted.length - 1]);
			if (options.stats == 1) {
				this.console.err("stats: %s", session.stats());
			}
			int status = (ok == options.count) ? EXIT_OK : EXIT_FAILED;
			try {
				session.close().get(config.closeTimeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
			}
			catch (ExecutionException | TimeoutException ex) {
				session.abort();
			}
			return status;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			session.abort();
			return EXIT_FAILED;
		}
	}

	/** Runs the client body; past the deadline plus a grace period the connection is aborted to unblock it. */
	private int runWithWatchdog(ToolOptions options, Conn conn, Roles roles) {
		ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "kcp-tool-watchdog");
			thread.setDaemon(true);
			return thread;
		});
		try {
			watchdog.schedule(() -> {
				this.console.err("%s: watchdog: still running %s after the deadline, aborting", options.role,
						WATCHDOG_GRACE);
				conn.abort();
			}, options.timeoutSeconds * 1000L + WATCHDOG_GRACE.toMillis(), TimeUnit.MILLISECONDS);
			return roles.runClient(conn);
		}
		finally {
			watchdog.shutdownNow();
		}
	}

	// ------------------------------------------------------------------ TCP

	private int runTcpServer(ToolOptions options) throws InterruptedException {
		Roles roles = new Roles(options, this.console);
		Set<Socket> open = ConcurrentHashMap.newKeySet();
		ServerSocket listener;
		try {
			listener = new ServerSocket();
			listener.setReuseAddress(true);
			listener.bind(new InetSocketAddress(options.host, options.port));
		}
		catch (IOException ex) {
			this.console.err("listen on %s: %s", ToolOptions.joinHostPort(options.host, options.port),
					ex.getMessage());
			return EXIT_FAILED;
		}
		printListening(options, listener.getLocalPort());
		startDaemon("kcp-tool-tcp-accept", () -> {
			while (!listener.isClosed()) {
				Socket socket;
				try {
					socket = listener.accept();
				}
				catch (IOException ex) {
					return;
				}
				open.add(socket);
				startDaemon("kcp-tool-tcp-session", () -> {
					try {
						TcpConn conn = new TcpConn(socket, Long.MAX_VALUE, options.idleSeconds * 1000);
						this.console.err("%s: accepted %s", options.role, conn.describe());
						roles.serve(conn);
						conn.close();
					}
					catch (IOException ex) {
						this.console.err("%s: %s", options.role, ex.getMessage());
					}
					finally {
						open.remove(socket);
					}
				});
			}
		});
		try {
			awaitStop(options);
		}
		finally {
			closeQuietly(listener);
			open.forEach(KcpTool::closeQuietly);
		}
		return EXIT_OK;
	}

	private int runTcpClient(ToolOptions options) {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.timeoutSeconds);
		Socket socket = new Socket();
		TcpConn conn;
		try {
			socket.connect(new InetSocketAddress(options.host, options.port), options.timeoutSeconds * 1000);
			conn = new TcpConn(socket, deadline, 0);
		}
		catch (IOException ex) {
			closeQuietly(socket);
			return this.console.fail("dial %s: %s", ToolOptions.joinHostPort(options.host, options.port),
					ex.getMessage());
		}
		this.console.err("%s: connected to %s", options.role, socket.getRemoteSocketAddress());
		int status = runWithWatchdog(options, conn, new Roles(options, this.console));
		conn.close();
		return status;
	}

	// ------------------------------------------------------------------ relay

	private int runRelay(ToolOptions options) throws ToolUsageException, InterruptedException {
		LinkImpairment impairment = LinkImpairment.builder()
			.loss(options.loss)
			.delay(Duration.ofMillis(options.delayMs))
			.jitter(Duration.ofMillis(options.jitterMs))
			.build();
		LossyUdpRelay relay;
		try {
			relay = LossyUdpRelay.start(new InetSocketAddress(options.host, options.listen), options.relayTarget(),
					impairment);
		}
		catch (IOException | IllegalArgumentException ex) {
			this.console.err("relay on %s: %s", ToolOptions.joinHostPort(options.host, options.listen),
					ex.getMessage());
			return EXIT_FAILED;
		}
		printListening(options, relay.localAddress().getPort());
		try {
			awaitStop(options);
		}
		finally {
			relay.close();
			this.console.err("relay: %s", relay.stats());
		}
		return EXIT_OK;
	}

	// ------------------------------------------------------------------ many sessions

	private int runSessionLoad(ToolOptions options) throws ToolUsageException {
		LoadTransport transport;
		try {
			transport = options.isTcp() ? new TcpLoadTransport(options.host, options.port, options.sessions)
					: new KcpEngineLoadTransport(options.kcpConfig(), options.host, options.port, options.sessions);
		}
		catch (IOException ex) {
			return this.console.fail("%s: %s", options.role, ex.getMessage());
		}
		return new SessionLoad(options, this.console, transport).run();
	}

	private int runTcpSessionsServer(ToolOptions options) throws InterruptedException {
		TcpSelectorEchoServer server;
		try {
			server = TcpSelectorEchoServer.start(this.console, options.host, options.port);
		}
		catch (IOException ex) {
			this.console.err("listen on %s: %s", ToolOptions.joinHostPort(options.host, options.port),
					ex.getMessage());
			return EXIT_FAILED;
		}
		printListening(options, server.port());
		try {
			awaitStop(options);
		}
		finally {
			server.close();
		}
		return EXIT_OK;
	}

	// ------------------------------------------------------------------ support

	private static void startDaemon(String name, Runnable body) {
		Thread thread = new Thread(body, name);
		thread.setDaemon(true);
		thread.start();
	}

	private static void closeQuietly(AutoCloseable closeable) {
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// closing anyway
		}
	}

}
