package io.github.kcp.core.socket;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpStream;
import io.github.kcp.core.transport.KcpStreams;

/**
 * A blocking KCP server socket, the counterpart of aiokcp's {@code KCPSocket.create_server(...)} and
 * {@code accept()}: each new conversation a peer opens waits in a backlog until {@link #accept()} returns it as a
 * {@link KcpSocket}.
 * <p>
 * The backlog is bounded: a new session arriving while {@link #getBacklog()} sessions wait to be accepted is
 * aborted at once (the peer is told with the close signal). Sessions wait in the backlog with their received data
 * buffered, up to {@link KcpConfig#readBufferSize()} each, then with their receive window closed.
 * <p>
 * All accepted sockets share this server's UDP socket. {@link #close()} stops accepting and refuses new sessions;
 * sockets already accepted stay open until they are closed, and the UDP socket is released after the last of them.
 * <p>
 * KCP has no handshake: a session is accepted once its first data arrives. A {@link KcpSocket} client in message
 * mode sends an empty message when it connects (as aiokcp's {@code create_connection} does), so it is accepted at
 * once; a client in stream mode, or any other KCP peer, is accepted when it first sends. A refused session (backlog full, server socket closed) is closed with the close signal, which its peer
 * sees as the end of the stream.
 *
 * <pre class="code">
 * // aiokcp: KCPSocket.create_server(("127.0.0.1", 18586)) and accept()
 * try (KcpServerSocket server = KcpServerSocket.bind("127.0.0.1", 18586, KcpConfig.defaults())) {
 *     try (KcpSocket client = server.accept()) {
 *         byte[] data = client.recv(100);
 *         client.send(data);
 *     }
 * }
 * </pre>
 */
public final class KcpServerSocket implements Closeable {

	/** The default backlog, as {@link java.net.ServerSocket}'s. */
	public static final int DEFAULT_BACKLOG = 50;

	private final KcpServer server;

	private final int backlog;

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition arrived = this.lock.newCondition();

	/** Sessions not accepted yet; guarded by lock. */
	private final ArrayDeque<KcpStream> waiting = new ArrayDeque<>();

	/** Accepted sessions still open; guarded by lock. */
	private final Set<KcpSession> accepted = new HashSet<>();

	/** Guarded by lock. */
	private boolean closed;

	private final AtomicLong refused = new AtomicLong();

	private volatile int soTimeout;

	private KcpServerSocket(KcpServer.Builder server, InetSocketAddress address, int backlog) {
		this.backlog = backlog;
		this.server = KcpStreams.startServer(server, address, this::onConnection);
	}

	/** Binds with the default backlog; see {@link #bind(InetSocketAddress, KcpConfig, int)}. */
	public static KcpServerSocket bind(String host, int port, KcpConfig config) throws IOException {
		return bind(new InetSocketAddress(host, port), config, DEFAULT_BACKLOG);
	}

	/** Binds with the default backlog; see {@link #bind(InetSocketAddress, KcpConfig, int)}. */
	public static KcpServerSocket bind(InetSocketAddress address, KcpConfig config) throws IOException {
		return bind(address, config, DEFAULT_BACKLOG);
	}

	/**
	 * Binds a UDP socket and starts admitting sessions.
	 * @param address where to bind (port 0 for any free port)
	 * @param config the configuration of every session
	 * @param backlog the most sessions waiting to be accepted (at least 1)
	 * @throws IOException if the address cannot be bound
	 */
	public static KcpServerSocket bind(InetSocketAddress address, KcpConfig config, int backlog) throws IOException {
		return bind(KcpServer.builder().config(config), address, backlog);
	}

	/**
	 * Binds a UDP socket with a server builder prepared for it (configuration, packet cipher, limits, event loops)
	 * and starts admitting sessions; the builder's handler is set here.
	 * @param server the prepared builder
	 * @param address where to bind (port 0 for any free port)
	 * @param backlog the most sessions waiting to be accepted (at least 1)
	 * @throws IOException if the address cannot be bound
	 */
	public static KcpServerSocket bind(KcpServer.Builder server, InetSocketAddress address, int backlog)
			throws IOException {
		if (backlog < 1) {
			throw new IllegalArgumentException("backlog must be positive but was " + backlog);
		}
		try {
			return new KcpServerSocket(server, address, backlog);
		}
		catch (Exception ex) {
			// Netty rethrows the JDK's checked BindException undeclared: catch everything, keep "address in use".
			throw KcpSocket.socketException("Cannot bind a KCP server socket to " + address, ex);
		}
	}

	/** On the session's event loop: queue the new session, or refuse it. */
	private void onConnection(KcpStream stream) {
		this.lock.lock();
		try {
			if (!this.closed && this.waiting.size() < this.backlog) {
				this.waiting.addLast(stream);
				this.arrived.signal();
				return;
			}
		}
		finally {
			this.lock.unlock();
		}
		this.refused.incrementAndGet();
		stream.abort();
	}

	/**
	 * Waits for the next new session and returns its socket.
	 * @throws SocketTimeoutException if none arrived within {@link #getSoTimeout()}
	 * @throws SocketException if this server socket is closed (also when closed while waiting)
	 */
	public KcpSocket accept() throws IOException {
		int timeoutMillis = this.soTimeout;
		long remaining = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
		KcpStream stream;
		this.lock.lock();
		try {
			while (true) {
				if (this.closed) {
					throw new SocketException("Server socket is closed");
				}
				stream = this.waiting.pollFirst();
				if (stream != null) {
					break;
				}
				if (timeoutMillis == 0) {
					this.arrived.await();
				}
				else {
					if (remaining <= 0) {
						throw new SocketTimeoutException("Accept timed out after " + timeoutMillis
								+ " ms (setSoTimeout); the server socket is still usable");
					}
					remaining = this.arrived.awaitNanos(remaining);
				}
			}
			this.accepted.add(stream.session());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while waiting to accept");
		}
		finally {
			this.lock.unlock();
		}
		KcpSession session = stream.session();
		session.closeFuture().whenComplete((reason, ex) -> acceptedClosed(session));
		return new KcpSocket(stream);
	}

	private void acceptedClosed(KcpSession session) {
		boolean release;
		this.lock.lock();
		try {
			this.accepted.remove(session);
			release = this.closed && this.accepted.isEmpty();
		}
		finally {
			this.lock.unlock();
		}
		if (release) {
			this.server.shutdown(this.server.config().closeTimeout());
		}
	}

	/** Sets the accept timeout in milliseconds (0, the default, waits forever). */
	public void setSoTimeout(int timeoutMillis) {
		if (timeoutMillis < 0) {
			throw new IllegalArgumentException("timeout must be 0 (none) or positive but was " + timeoutMillis);
		}
		this.soTimeout = timeoutMillis;
	}

	/** The accept timeout in milliseconds; 0 means none. */
	public int getSoTimeout() {
		return this.soTimeout;
	}

	/** The most sessions waiting to be accepted. */
	public int getBacklog() {
		return this.backlog;
	}

	/** How many new sessions were refused because the backlog was full or the server socket closed. */
	public long refusedSessions() {
		return this.refused.get();
	}

	/** The bound UDP port. */
	public int localPort() {
		return this.server.localPort();
	}

	/** The bound address. */
	public InetSocketAddress localAddress() {
		return this.server.localAddress();
	}

	/** The server underneath (sessions, drop counters, settings for future sessions). */
	public KcpServer server() {
		return this.server;
	}

	/** Whether {@link #close()} was called. */
	public boolean isClosed() {
		this.lock.lock();
		try {
			return this.closed;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Stops accepting: threads blocked in {@link #accept()} throw {@link SocketException}, sessions not yet accepted
	 * are aborted and new ones refused. Accepted sockets stay usable; if none is open, the UDP socket is released
	 * before this returns (within the close timeout), otherwise once the last of them closes.
	 */
	@Override
	public void close() {
		List<KcpStream> unaccepted;
		boolean release;
		this.lock.lock();
		try {
			if (this.closed) {
				return;
			}
			this.closed = true;
			unaccepted = List.copyOf(this.waiting);
			this.waiting.clear();
			release = this.accepted.isEmpty();
			this.arrived.signalAll();
		}
		finally {
			this.lock.unlock();
		}
		for (KcpStream stream : unaccepted) {
			stream.abort();
		}
		if (release) {
			CompletableFuture<Void> done = this.server.shutdown(this.server.config().closeTimeout());
			try {
				done.get(this.server.config().closeTimeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			catch (ExecutionException | TimeoutException ex) {
				// Released in the background; nothing else to do here.
			}
		}
	}

	@Override
	public String toString() {
		return "KcpServerSocket{" + this.server + ", backlog=" + this.backlog + "}";
	}

}
