package io.github.kcp.core.socket;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpServer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A blocking KCP server that runs a {@link KcpRequestHandler} for each session on its own thread: the counterpart
 * of aiokcp's {@code KCPThreadingServer} (socketserver's {@code ThreadingMixIn}). Handlers run on virtual threads
 * when the JVM has them (Java 21 and later), on platform threads otherwise.
 *
 * <pre class="code">
 * try (KcpThreadingServer server = new KcpThreadingServer(new InetSocketAddress("127.0.0.1", 9000), config,
 *         (socket) -&gt; {
 *             byte[] data;
 *             while ((data = socket.recv(1024)).length &gt; 0) {
 *                 socket.send(data);
 *             }
 *         })) {
 *     server.serveForever();
 * }
 * </pre>
 * The socket is closed when its handler returns. A handler that throws is logged and its socket closed; the server
 * goes on. {@link #close()} stops accepting, closes the open sockets (handlers blocked in a receive then get a
 * {@link SocketException}) and waits for the handlers up to {@link #setShutdownTimeout(Duration) the shutdown
 * timeout}, then interrupts those still running.
 */
public final class KcpThreadingServer implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(KcpThreadingServer.class);

	/** Extra time, beyond the shutdown timeout, for the UDP socket to be released once every session is gone. */
	private static final long SOCKET_RELEASE_NANOS = TimeUnit.SECONDS.toNanos(2);

	private final KcpServerSocket serverSocket;

	private final KcpRequestHandler handler;

	private final ExecutorService executor;

	private final Set<KcpSocket> active = ConcurrentHashMap.newKeySet();

	private final AtomicBoolean serving = new AtomicBoolean();

	private final AtomicBoolean closed = new AtomicBoolean();

	private final AtomicInteger handled = new AtomicInteger();

	private final AtomicInteger failed = new AtomicInteger();

	private volatile Duration shutdownTimeout = Duration.ofSeconds(10);

	private volatile @Nullable Thread acceptThread;

	private final boolean virtualThreads;

	/** Binds {@code host:port}; see {@link #KcpThreadingServer(InetSocketAddress, KcpConfig, KcpRequestHandler)}. */
	public KcpThreadingServer(String host, int port, KcpConfig config, KcpRequestHandler handler) throws IOException {
		this(new InetSocketAddress(host, port), config, handler);
	}

	/**
	 * Binds the server socket (as socketserver does in its constructor); sessions that arrive before
	 * {@link #serveForever()} or {@link #start()} wait in the backlog.
	 * @param address where to bind (port 0 for any free port)
	 * @param config the configuration of every session
	 * @param handler serves each session on its own thread
	 * @throws IOException if the address cannot be bound
	 */
	public KcpThreadingServer(InetSocketAddress address, KcpConfig config, KcpRequestHandler handler)
			throws IOException {
		this(KcpServer.builder().config(config), address, handler);
	}

	/**
	 * Binds the server socket with a server builder prepared for it (configuration, packet cipher, limits, event
	 * loops); see {@link #KcpThreadingServer(InetSocketAddress, KcpConfig, KcpRequestHandler)}.
	 * @param server the prepared builder (its handler is set by the server socket)
	 * @param address where to bind (port 0 for any free port)
	 * @param handler serves each session on its own thread
	 * @throws IOException if the address cannot be bound
	 */
	public KcpThreadingServer(KcpServer.Builder server, InetSocketAddress address, KcpRequestHandler handler)
			throws IOException {
		this.handler = Objects.requireNonNull(handler, "handler");
		this.serverSocket = KcpServerSocket.bind(server, address, KcpServerSocket.DEFAULT_BACKLOG);
		String threadNamePrefix = "kcp-handler-" + this.serverSocket.localPort() + "-";
		ExecutorService onVirtualThreads = virtualThreadExecutor(threadNamePrefix);
		this.virtualThreads = onVirtualThreads != null;
		this.executor = (onVirtualThreads != null) ? onVirtualThreads : platformThreadExecutor(threadNamePrefix);
	}

	/**
	 * A virtual thread per handler when the running JVM has them (Java 21 and later), else {@code null}. Looked up
	 * reflectively: this library is compiled for Java 17, where {@code Thread.ofVirtual()} does not exist.
	 */
	private static @Nullable ExecutorService virtualThreadExecutor(String threadNamePrefix) {
		ThreadFactory virtualThreads = virtualThreadFactory(threadNamePrefix);
		if (virtualThreads == null) {
			return null;
		}
		try {
			Method perTask = Executors.class.getMethod("newThreadPerTaskExecutor", ThreadFactory.class);
			return (ExecutorService) perTask.invoke(null, virtualThreads);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			logger.debug("Virtual threads are not usable here; KCP handlers run on platform threads", ex);
			return null;
		}
	}

	/** A cached pool of daemon platform threads, for JVMs without virtual threads. */
	private static ExecutorService platformThreadExecutor(String threadNamePrefix) {
		AtomicInteger count = new AtomicInteger();
		ThreadFactory platformThreads = (task) -> {
			Thread thread = new Thread(task, threadNamePrefix + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
		return Executors.newCachedThreadPool(platformThreads);
	}

	/** {@code Thread.ofVirtual().name(prefix, 1).factory()} on Java 21+, {@code null} before. */
	private static @Nullable ThreadFactory virtualThreadFactory(String threadNamePrefix) {
		try {
			Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
			Class<?> builderType = Class.forName("java.lang.Thread$Builder");
			builder = builderType.getMethod("name", String.class, long.class).invoke(builder, threadNamePrefix, 1L);
			return (ThreadFactory) builderType.getMethod("factory").invoke(builder);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return null;
		}
	}

	/** Whether handlers run on virtual threads (true on Java 21 and later). */
	public boolean usesVirtualThreads() {
		return this.virtualThreads;
	}

	/**
	 * Accepts sessions and starts a handler for each, on the calling thread, until {@link #close()}, as
	 * socketserver's {@code serve_forever}.
	 * @throws IllegalStateException if the server is already serving
	 * @throws IOException if accepting failed for another reason than the close
	 */
	public void serveForever() throws IOException {
		if (!this.serving.compareAndSet(false, true)) {
			throw new IllegalStateException("The server is already serving; call serveForever() or start() once");
		}
		acceptUntilClosed();
	}

	/**
	 * Runs the accept loop of {@link #serveForever()} on a new daemon thread and returns.
	 * @return this server
	 * @throws IllegalStateException if the server is already serving
	 */
	public KcpThreadingServer start() {
		if (!this.serving.compareAndSet(false, true)) {
			throw new IllegalStateException("The server is already serving; call serveForever() or start() once");
		}
		Thread thread = new Thread(() -> {
			try {
				acceptUntilClosed();
			}
			catch (IOException | RuntimeException ex) {
				logger.error("KCP threading server on port {} stopped accepting", localPort(), ex);
			}
		}, "kcp-accept-" + localPort());
		thread.setDaemon(true);
		this.acceptThread = thread;
		thread.start();
		return this;
	}

	private void acceptUntilClosed() throws IOException {
		while (!this.closed.get()) {
			KcpSocket socket;
			try {
				socket = this.serverSocket.accept();
			}
			catch (SocketException ex) {
				if (this.closed.get()) {
					return;
				}
				throw ex;
			}
			dispatch(socket);
		}
	}

	private void dispatch(KcpSocket socket) {
		this.active.add(socket);
		if (this.closed.get()) {
			// Accepted while close() was closing the active sockets: close this one too.
			socket.closeAsync();
		}
		try {
			this.executor.execute(() -> run(socket));
		}
		catch (RejectedExecutionException ex) {
			// Closed meanwhile.
			this.active.remove(socket);
			socket.close();
		}
	}

	private void run(KcpSocket socket) {
		try {
			this.handler.handle(socket);
		}
		catch (Exception | Error ex) {
			this.failed.incrementAndGet();
			if (this.closed.get()) {
				logger.debug("KCP request handler for {} ended by the shutdown", socket.getRemoteSocketAddress(), ex);
			}
			else {
				logger.warn("KCP request handler for {} failed; its socket is closed, the server goes on",
						socket.getRemoteSocketAddress(), ex);
			}
			if (ex instanceof Error error && !(ex instanceof AssertionError)) {
				throw error;
			}
		}
		finally {
			this.handled.incrementAndGet();
			try {
				socket.close();
			}
			finally {
				this.active.remove(socket);
			}
		}
	}

	/** Sets how long {@link #close()} waits for running handlers before interrupting them. Default 10 s. */
	public void setShutdownTimeout(Duration shutdownTimeout) {
		Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
		if (shutdownTimeout.isNegative()) {
			throw new IllegalArgumentException("The shutdown timeout must not be negative but was " + shutdownTimeout);
		}
		this.shutdownTimeout = shutdownTimeout;
	}

	/** The bound UDP port. */
	public int localPort() {
		return this.serverSocket.localPort();
	}

	/** The bound address. */
	public InetSocketAddress localAddress() {
		return this.serverSocket.localAddress();
	}

	/** The server socket underneath (backlog, refused sessions, the {@link io.github.kcp.core.transport.KcpServer}). */
	public KcpServerSocket serverSocket() {
		return this.serverSocket;
	}

	/** How many handlers are running now. */
	public int activeHandlers() {
		return this.active.size();
	}

	/** How many handlers have finished (normally or not). */
	public int handledSessions() {
		return this.handled.get();
	}

	/** How many handlers ended with an exception. */
	public int failedHandlers() {
		return this.failed.get();
	}

	/**
	 * Shuts down: stops accepting, closes every open socket gracefully, waits up to the shutdown timeout for the
	 * handlers to return, interrupts those still running, aborts sessions whose peers did not confirm the close in
	 * time, and releases the UDP socket before returning. Idempotent.
	 */
	@Override
	public void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		long deadline = System.nanoTime() + this.shutdownTimeout.toNanos();
		this.serverSocket.close();
		List<CompletableFuture<?>> closing = new ArrayList<>();
		for (KcpSocket socket : this.active) {
			closing.add(socket.closeAsync());
		}
		this.executor.shutdown();
		try {
			if (!this.executor.awaitTermination(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
				logger.warn("KCP threading server on port {}: {} handlers still running after {}; interrupting them",
						localPort(), this.active.size(), this.shutdownTimeout);
				this.executor.shutdownNow();
			}
			try {
				CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
					.get(remainingNanos(deadline), TimeUnit.NANOSECONDS);
			}
			catch (TimeoutException | ExecutionException ex) {
				// Peers that do not confirm the close in time: drop their sessions so the UDP socket is released.
				logger.debug("KCP threading server on port {}: not every session closed gracefully in time; "
						+ "aborting the rest", localPort());
				for (KcpSocket socket : this.active) {
					socket.session().abort();
				}
			}
			Thread thread = this.acceptThread;
			if (thread != null && thread != Thread.currentThread()) {
				thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos(deadline))));
			}
			// Bounded: the last session to close releases the UDP socket (aborted ones at once).
			this.serverSocket.server().closeFuture().get(remainingNanos(deadline) + SOCKET_RELEASE_NANOS,
					TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			this.executor.shutdownNow();
			Thread.currentThread().interrupt();
		}
		catch (TimeoutException | ExecutionException ex) {
			logger.warn("KCP threading server on port {}: the UDP socket was not released within the shutdown timeout",
					localPort());
		}
	}

	private static long remainingNanos(long deadline) {
		return Math.max(0, deadline - System.nanoTime());
	}

	@Override
	public String toString() {
		return "KcpThreadingServer{port=" + localPort() + ", active=" + this.active.size() + "}";
	}

}
