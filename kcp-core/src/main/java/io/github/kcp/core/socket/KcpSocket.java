package io.github.kcp.core.socket;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.core.transport.KcpStream;
import io.github.kcp.core.transport.KcpStreams;
import org.jspecify.annotations.Nullable;

/**
 * A blocking KCP connection, the counterpart of aiokcp's {@code sync.KCPSocket}: {@link #send} and {@link #recv}
 * in the manner of {@link java.net.Socket} and Python's {@code socket}, plus {@link #getInputStream()} and
 * {@link #getOutputStream()}.
 * <p>
 * <b>Receiving.</b> {@link #recv(int)} blocks until data is there and returns an empty array <em>only</em> at the
 * end of the stream, that is once the peer closed the session and everything it sent was read ({@link #recv(byte[],
 * int, int)} and the input stream return -1 then). In message mode each receive returns bytes of one message: a
 * message longer than the requested size is returned over several receives, its first bytes first; empty messages
 * are skipped. In stream mode a receive returns whatever is there, up to the requested size. A receive that outlasts
 * {@link #setSoTimeout(int)} throws {@link SocketTimeoutException} and loses nothing: the socket stays usable and
 * later data still arrives. When the session ended for another reason than the peer's close (idle timeout, dead
 * link, server shutdown, error), receives return the data still buffered, then throw
 * {@link KcpConnectionClosedException} naming the reason: a broken connection never reads as a complete one.
 * <p>
 * <b>Sending.</b> {@link #send} returns as soon as the data is queued; it blocks only while the send buffer
 * ({@link KcpConfig#sendBufferSize()}, and as many bytes waiting in the stream) is full, up to {@link #setSendTimeout(Duration) the send timeout}.
 * {@link #flush()} / {@link #drain(Duration)} wait until everything sent was acknowledged by the peer.
 * <p>
 * Receives are serialized (one thread at a time reads); sends may come from several threads, each send staying
 * whole. Must not be used on a session's event-loop thread (where non-blocking handlers run).
 *
 * <pre class="code">
 * // aiokcp: sock1, sock2 = KCPSocket.socket_pair()
 * try (KcpSocket.SocketPair pair = KcpSocket.pair(KcpConfig.defaults())) {
 *     pair.first().send("123".getBytes(UTF_8));
 *     byte[] received = pair.second().recv(100);
 * }
 *
 * // aiokcp: KCPSocket.create_connection(("127.0.0.1", 18586))
 * try (KcpSocket socket = KcpSocket.connect("127.0.0.1", 18586, KcpConfig.defaults())) {
 *     socket.setSoTimeout(5000);
 *     socket.send("234".getBytes(UTF_8));
 *     byte[] reply = socket.recv(100);   // SocketTimeoutException after 5 s; empty once the peer closed
 * }
 * </pre>
 */
public final class KcpSocket implements Closeable {

	private static final byte[] EMPTY = new byte[0];

	/** Largest piece a stream-mode send hands to the session at once, so a huge send never overfills it. */
	private static final int STREAM_SEND_CHUNK = 64 * 1024;

	private final KcpStream stream;

	private final KcpSession session;

	private final ReentrantLock readLock = new ReentrantLock();

	private final AtomicBoolean closed = new AtomicBoolean();

	private volatile int soTimeout;

	private volatile Duration sendTimeout = Duration.ofSeconds(30);

	private @Nullable InputStream inputStream;

	private @Nullable OutputStream outputStream;

	KcpSocket(KcpStream stream) {
		this.stream = stream;
		this.session = stream.session();
	}

	/** Connects with the default configuration; see {@link #connect(InetSocketAddress, KcpConfig)}. */
	public static KcpSocket connect(String host, int port) throws IOException {
		return connect(host, port, KcpConfig.defaults());
	}

	/** Connects to {@code host:port}; see {@link #connect(InetSocketAddress, KcpConfig)}. */
	public static KcpSocket connect(String host, int port, KcpConfig config) throws IOException {
		return connect(new InetSocketAddress(host, port), config);
	}

	/**
	 * Opens a client session to {@code remoteAddress}, as aiokcp's {@code create_connection}. KCP has no handshake:
	 * this returns once the local UDP socket is bound. In message mode it also sends an empty message, as aiokcp
	 * does, so that the server learns of the session at once and its {@link KcpServerSocket#accept()} returns before
	 * this side sends anything; {@link #recv} skips empty messages. In stream mode an empty write carries nothing,
	 * so there the server learns of the session from the first send.
	 * @throws IOException if the address is unresolved or no local socket can be bound
	 */
	public static KcpSocket connect(InetSocketAddress remoteAddress, KcpConfig config) throws IOException {
		return connect(KcpClient.builder().config(config), remoteAddress);
	}

	/**
	 * Opens a client session with a builder prepared for it (configuration, packet cipher, event loops, conversation
	 * id, local address); see {@link #connect(InetSocketAddress, KcpConfig)}. The builder's handler is set to the
	 * socket's.
	 * @throws IOException if the address is unresolved or no local socket can be bound
	 */
	public static KcpSocket connect(KcpClient.Builder client, InetSocketAddress remoteAddress) throws IOException {
		KcpSocket socket;
		try {
			socket = new KcpSocket(KcpStreams.connect(client, remoteAddress));
		}
		catch (Exception ex) {
			// Netty rethrows the JDK's checked socket exceptions undeclared: catch everything.
			throw socketException("Cannot open a KCP session to " + remoteAddress, ex);
		}
		if (!socket.session.config().stream()) {
			// Its acknowledgement is not waited for: if the server is not there, later receives and flushes say so.
			socket.stream.write(EMPTY);
		}
		return socket;
	}

	/** Two connected sockets with the default configuration; see {@link #pair(KcpConfig)}. */
	public static SocketPair pair() throws IOException {
		return pair(KcpConfig.defaults());
	}

	/**
	 * Two plaintext sockets connected to each other over loopback UDP, as aiokcp's {@code KCPSocket.socket_pair()}.
	 * @throws IOException if the loopback sockets cannot be bound
	 */
	public static SocketPair pair(KcpConfig config) throws IOException {
		return pair(config, null);
	}

	/**
	 * Two sockets connected to each other over loopback UDP, their datagrams protected by {@code cipher}
	 * ({@code null} for none).
	 * @throws IOException if the loopback sockets cannot be bound
	 */
	public static SocketPair pair(KcpConfig config, @Nullable PacketCipher cipher) throws IOException {
		try {
			KcpStreams.StreamPair streams = KcpStreams.pair(config, cipher);
			return new SocketPair(new KcpSocket(streams.first()), new KcpSocket(streams.second()));
		}
		catch (Exception ex) {
			throw socketException("Cannot open a KCP socket pair", ex);
		}
	}

	// ---------------------------------------------------------------- sending

	/** Sends the whole array; see {@link #send(byte[], int, int)}. */
	public void send(byte[] data) throws IOException {
		send(data, 0, data.length);
	}

	/**
	 * Queues a message (message mode) or bytes of the stream (stream mode) for sending and returns; blocks only while
	 * the send buffer is full. The bytes are copied before this returns.
	 * @throws SocketTimeoutException if the send buffer stayed full for the send timeout (in stream mode, a prefix
	 * of the bytes may have been queued)
	 * @throws KcpConnectionClosedException if the session has closed, including when it closed while this send was
	 * being queued (the data will not be delivered)
	 * @throws SocketException if this socket was closed
	 * @throws io.github.kcp.core.protocol.KcpMessageTooLargeException if the message is too large for message mode
	 */
	public void send(byte[] data, int offset, int length) throws IOException {
		Objects.checkFromIndexSize(offset, length, data.length);
		ensureOpen();
		long deadline = System.nanoTime() + this.sendTimeout.toNanos();
		if (!this.session.config().stream()) {
			sendPiece(data, offset, length, deadline);
			return;
		}
		int end = offset + length;
		int position = offset;
		do {
			int piece = Math.min(STREAM_SEND_CHUNK, end - position);
			sendPiece(data, position, piece, deadline);
			position += piece;
		}
		while (position < end);
	}

	private void sendPiece(byte[] data, int offset, int length, long deadline) throws IOException {
		CompletableFuture<Void> acknowledged;
		try {
			acknowledged = this.stream.writeWhenRoom(data, offset, length,
					Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
		}
		catch (TimeoutException ex) {
			throw new SocketTimeoutException("Send timed out after " + this.sendTimeout + ": the send buffer ("
					+ this.session.config().sendBufferSize() + " bytes, and as many waiting) stayed full because the "
					+ "peer does not acknowledge fast enough; retry, or raise the send timeout or sendBufferSize");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while waiting for room in the send buffer");
		}
		Throwable refused = immediateFailure(acknowledged);
		if (refused != null) {
			throw sendFailed(refused);
		}
	}

	/**
	 * Waits until everything sent so far was acknowledged by the peer, up to the send timeout; see
	 * {@link #drain(Duration)}.
	 */
	public void flush() throws IOException {
		drain(this.sendTimeout);
	}

	/**
	 * Waits until everything sent so far was acknowledged by the peer (the stream's {@link KcpStream#drain()}).
	 * @throws SocketTimeoutException if data is still unacknowledged after {@code timeout}
	 * @throws KcpConnectionClosedException if the session closed before all of it was acknowledged
	 */
	public void drain(Duration timeout) throws IOException {
		CompletableFuture<Void> drained = this.stream.drain();
		try {
			drained.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			throw new SocketTimeoutException("Sent data still not acknowledged after " + timeout + " ("
					+ this.session.stats().sendBufferedBytes() + " bytes outstanding)");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while waiting for acknowledgements");
		}
		catch (ExecutionException ex) {
			throw sendFailed(unwrap(ex.getCause()));
		}
	}

	private IOException sendFailed(Throwable cause) {
		if (cause instanceof KcpSessionClosedException closedEx) {
			return connectionClosed(closedEx);
		}
		if (cause instanceof RuntimeException runtime) {
			throw runtime;
		}
		return new SocketException("Send failed: " + cause.getMessage());
	}

	// ---------------------------------------------------------------- receiving

	/**
	 * Receives up to {@code maxBytes} bytes, as Python's {@code socket.recv}: blocks until at least one byte is
	 * there (see the class documentation for message and stream mode).
	 * @param maxBytes the most bytes to return; 0 returns an empty array at once
	 * @return the bytes, or an empty array at the end of the stream (the peer closed and everything was read)
	 * @throws SocketTimeoutException if nothing arrived within {@link #getSoTimeout()} (nothing is lost)
	 * @throws KcpConnectionClosedException if the session ended for another reason than the peer's close and no
	 * data is left
	 * @throws SocketException if this socket was closed
	 */
	public byte[] recv(int maxBytes) throws IOException {
		if (maxBytes < 0) {
			throw new IllegalArgumentException("maxBytes must not be negative but was " + maxBytes);
		}
		ensureOpen();
		if (maxBytes == 0) {
			return EMPTY;
		}
		byte[] data = receive(maxBytes);
		return (data != null) ? data : EMPTY;
	}

	/**
	 * Receives up to {@code length} bytes into {@code buffer}; as {@link #recv(int)}, but returns -1 at the end of
	 * the stream.
	 * @return the number of bytes received (at least 1 if {@code length} is positive), or -1 at the end of the
	 * stream
	 */
	public int recv(byte[] buffer, int offset, int length) throws IOException {
		Objects.checkFromIndexSize(offset, length, buffer.length);
		ensureOpen();
		if (length == 0) {
			return 0;
		}
		byte[] data = receive(length);
		if (data == null) {
			return -1;
		}
		System.arraycopy(data, 0, buffer, offset, data.length);
		return data.length;
	}

	private byte @Nullable [] receive(int maxBytes) throws IOException {
		int timeoutMillis = this.soTimeout;
		long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
		try {
			if (timeoutMillis == 0) {
				this.readLock.lockInterruptibly();
			}
			else if (!this.readLock.tryLock(timeoutMillis, TimeUnit.MILLISECONDS)) {
				throw receiveTimedOut(timeoutMillis);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while waiting to receive");
		}
		try {
			byte[] data = awaitRead(this.stream.read(maxBytes), timeoutMillis, deadline);
			if (data == null && this.closed.get()) {
				throw new SocketException("Socket is closed");
			}
			return data;
		}
		finally {
			this.readLock.unlock();
		}
	}

	private byte @Nullable [] awaitRead(CompletableFuture<byte @Nullable []> read, int timeoutMillis, long deadline)
			throws IOException {
		try {
			return (timeoutMillis == 0) ? read.get()
					: read.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			// Cancelling gives the bytes back to the stream if they arrive meanwhile; if they won, return them.
			if (read.cancel(false)) {
				throw receiveTimedOut(timeoutMillis);
			}
			return completedRead(read);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			if (read.cancel(false)) {
				throw new InterruptedIOException("Interrupted while receiving");
			}
			return completedRead(read);
		}
		catch (ExecutionException ex) {
			throw receiveFailed(ex.getCause());
		}
	}

	private byte @Nullable [] completedRead(CompletableFuture<byte @Nullable []> read) throws IOException {
		try {
			return read.join();
		}
		catch (CompletionException | CancellationException ex) {
			throw receiveFailed(unwrap(ex));
		}
	}

	private IOException receiveFailed(@Nullable Throwable cause) {
		if (cause instanceof KcpSessionClosedException closedEx) {
			return connectionClosed(closedEx);
		}
		return new SocketException("Receive failed: " + ((cause != null) ? cause.getMessage() : "unknown error"));
	}

	private static SocketTimeoutException receiveTimedOut(int timeoutMillis) {
		return new SocketTimeoutException("Receive timed out after " + timeoutMillis
				+ " ms (setSoTimeout); the socket is still usable");
	}

	// ---------------------------------------------------------------- streams

	/**
	 * An input stream over {@link #recv(byte[], int, int)}: {@code read} returns -1 only after the peer closed and
	 * everything was read, and throws {@link SocketTimeoutException} on {@link #setSoTimeout(int) timeout}. Closing
	 * it closes the socket.
	 */
	public synchronized InputStream getInputStream() {
		if (this.inputStream == null) {
			this.inputStream = new SocketInputStream();
		}
		return this.inputStream;
	}

	/**
	 * An output stream over {@link #send(byte[], int, int)}: {@code write} queues the bytes (in message mode each
	 * write becomes one message, split into several if longer than {@link KcpSession#maxMessageSize()});
	 * {@code flush} waits until everything was acknowledged. Closing it closes the socket.
	 */
	public synchronized OutputStream getOutputStream() {
		if (this.outputStream == null) {
			this.outputStream = new SocketOutputStream();
		}
		return this.outputStream;
	}

	// ---------------------------------------------------------------- settings

	/**
	 * Sets the receive timeout in milliseconds (0, the default, waits forever), as {@link java.net.Socket}'s.
	 */
	public void setSoTimeout(int timeoutMillis) {
		if (timeoutMillis < 0) {
			throw new IllegalArgumentException("timeout must be 0 (none) or positive but was " + timeoutMillis);
		}
		this.soTimeout = timeoutMillis;
	}

	/** The receive timeout in milliseconds; 0 means none. */
	public int getSoTimeout() {
		return this.soTimeout;
	}

	/** Sets how long a send may wait for room in a full send buffer. Default 30 s. */
	public void setSendTimeout(Duration timeout) {
		Objects.requireNonNull(timeout, "timeout");
		if (timeout.isNegative()) {
			throw new IllegalArgumentException("The send timeout must not be negative but was " + timeout);
		}
		this.sendTimeout = timeout;
	}

	/** How long a send may wait for room in a full send buffer. */
	public Duration getSendTimeout() {
		return this.sendTimeout;
	}

	/** Changes the latency knobs at run time, as aiokcp's {@code set_nodelay}; see {@link KcpSession#setNoDelay}. */
	public void setNoDelay(int nodelay, int interval, int resend, boolean noCongestionControl) {
		this.session.setNoDelay(nodelay, interval, resend, noCongestionControl);
	}

	/** Changes the window sizes at run time, as aiokcp's {@code set_wndsize}. */
	public void setWindowSize(int sendWindow, int receiveWindow) {
		this.session.setWindowSize(sendWindow, receiveWindow);
	}

	/** Changes the mtu at run time, as aiokcp's {@code set_mtu}. */
	public void setMtu(int mtu) {
		this.session.setMtu(mtu);
	}

	/** Switches stream mode at run time, as aiokcp's {@code set_stream}. */
	public void setStream(boolean stream) {
		this.session.setStream(stream);
	}

	// ---------------------------------------------------------------- state

	/** The session under this socket (stats, configuration, attributes). */
	public KcpSession session() {
		return this.session;
	}

	/** The peer's address. */
	public InetSocketAddress getRemoteSocketAddress() {
		return this.session.remoteAddress();
	}

	/** The local address the session's datagrams leave from (for an accepted socket: the server's). */
	public InetSocketAddress getLocalSocketAddress() {
		return this.session.localAddress();
	}

	/** Whether {@link #close()} was called or the session has ended (this socket can no longer send). */
	public boolean isClosed() {
		return this.closed.get() || this.session.closeFuture().isDone();
	}

	/**
	 * Closes gracefully: what was sent is delivered and acknowledged and the peer is told, waiting up to the
	 * session's {@link KcpConfig#closeTimeout()} (then the session is aborted). Data received and not read is
	 * discarded. Idempotent. A receive blocked in another thread throws {@link SocketException}.
	 */
	@Override
	public void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		CompletableFuture<CloseReason> done = this.stream.close();
		try {
			done.get(this.session.config().closeTimeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException | ExecutionException ex) {
			this.session.abort();
		}
		catch (InterruptedException ex) {
			this.session.abort();
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Closes at once, as a TCP reset would: data not yet acknowledged is dropped and the peer is told with one
	 * close signal, without waiting. Receives blocked in other threads throw {@link SocketException}. Idempotent; a
	 * later {@link #close()} does nothing.
	 */
	public void abort() {
		this.closed.set(true);
		this.stream.abort();
	}

	/** Starts a graceful close without waiting; for servers closing many sockets at once. */
	CompletableFuture<CloseReason> closeAsync() {
		this.closed.set(true);
		return this.stream.close();
	}

	/**
	 * A socket exception saying what failed and why; a {@link BindException} when the cause is one (the address is
	 * in use), so callers can tell that case apart as with {@link java.net.ServerSocket}.
	 */
	static SocketException socketException(String what, Throwable cause) {
		Throwable root = cause;
		while (!(root instanceof BindException) && root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		String message = what + ": " + ((root.getMessage() != null) ? root.getMessage() : root.toString());
		SocketException wrapped = (root instanceof BindException) ? new BindException(message)
				: new SocketException(message);
		wrapped.initCause(cause);
		return wrapped;
	}

	private void ensureOpen() throws SocketException {
		if (this.closed.get()) {
			throw new SocketException("Socket is closed");
		}
	}

	private KcpConnectionClosedException connectionClosed(KcpSessionClosedException ex) {
		return new KcpConnectionClosedException(ex.getMessage(), ex.getReason(), ex);
	}

	private static @Nullable Throwable immediateFailure(CompletableFuture<Void> future) {
		if (!future.isCompletedExceptionally()) {
			return null;
		}
		try {
			future.join();
			return null;
		}
		catch (CompletionException | CancellationException ex) {
			return unwrap(ex);
		}
	}

	private static Throwable unwrap(Throwable ex) {
		return (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
	}

	@Override
	public String toString() {
		return "KcpSocket{" + this.session + (this.closed.get() ? ", closed" : "") + "}";
	}

	/**
	 * Two connected sockets; see {@link KcpSocket#pair(KcpConfig)}.
	 * @param first the first socket
	 * @param second the second socket
	 */
	public record SocketPair(KcpSocket first, KcpSocket second) implements Closeable {

		/** Closes both sockets. */
		@Override
		public void close() {
			try {
				this.first.close();
			}
			finally {
				this.second.close();
			}
		}

	}

	private final class SocketInputStream extends InputStream {

		@Override
		public int read() throws IOException {
			byte[] one = new byte[1];
			int n = recv(one, 0, 1);
			return (n < 0) ? -1 : (one[0] & 0xff);
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			return recv(buffer, offset, length);
		}

		@Override
		public int available() {
			return (int) Math.min(Integer.MAX_VALUE, KcpSocket.this.stream.bufferedBytes());
		}

		@Override
		public void close() {
			KcpSocket.this.close();
		}

	}

	private final class SocketOutputStream extends OutputStream {

		@Override
		public void write(int b) throws IOException {
			send(new byte[] { (byte) b }, 0, 1);
		}

		@Override
		public void write(byte[] buffer, int offset, int length) throws IOException {
			Objects.checkFromIndexSize(offset, length, buffer.length);
			KcpConfig config = KcpSocket.this.session.config();
			if (config.stream()) {
				send(buffer, offset, length);
				return;
			}
			int max = KcpSocket.this.session.maxMessageSize();
			int end = offset + length;
			for (int position = offset; position < end; position += max) {
				send(buffer, position, Math.min(max, end - position));
			}
		}

		@Override
		public void flush() throws IOException {
			KcpSocket.this.flush();
		}

		@Override
		public void close() {
			KcpSocket.this.close();
		}

	}

}
