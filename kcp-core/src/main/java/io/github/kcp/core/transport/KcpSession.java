package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSessionStats;
import org.jspecify.annotations.Nullable;

/**
 * One KCP conversation with a peer: what a server accepts and a client connects. The counterpart of aiokcp's
 * transport plus its runtime setters.
 * <p>
 * Thread-safe: every method may be called from any thread. The engine itself runs on the session's event-loop
 * thread ({@link #executor()}), where the {@link KcpSessionHandler} callbacks and the completion of the returned
 * futures happen too — do not block in code chained to them.
 */
public interface KcpSession {

	/** The peer's address. */
	InetSocketAddress remoteAddress();

	/** The local address the session's datagrams leave from. */
	InetSocketAddress localAddress();

	/** The conversation id. */
	int conv();

	/**
	 * What a DTLS session negotiated and who the peer proved to be (set before the handler's
	 * {@code onOpen}), or {@code null} for a session without DTLS.
	 */
	default @Nullable KcpSecurityInfo securityInfo() {
		return null;
	}

	/**
	 * The subject of the peer's certificate in a DTLS session, or {@code null} without DTLS or when the peer sent
	 * no certificate.
	 */
	default @Nullable Principal peerPrincipal() {
		KcpSecurityInfo info = securityInfo();
		return (info != null) ? info.peerPrincipal() : null;
	}

	/** Whether the session is open and accepts sends (false once a close has begun). */
	boolean isOpen();

	/**
	 * Sends a message (in stream mode: bytes of the stream). The data is copied before this returns. Messages leave
	 * in the order of the calls, also when one call happens before the next on another thread (the event loop
	 * included).
	 * @return a future completed when the peer has acknowledged all of the data; failed with
	 * {@link KcpSendBufferFullException} at once when the send buffer ({@link KcpConfig#sendBufferSize()}) has no room,
	 * {@link io.github.kcp.core.protocol.KcpMessageTooLargeException} when a message is too large for message
	 * mode, or {@link KcpSessionClosedException} when the session closes first
	 */
	CompletableFuture<Void> send(byte[] data, int offset, int length);

	/** Sends the whole array; see {@link #send(byte[], int, int)}. */
	default CompletableFuture<Void> send(byte[] data) {
		return send(data, 0, data.length);
	}

	/** Sends the remaining bytes of the buffer (consuming them); see {@link #send(byte[], int, int)}. */
	CompletableFuture<Void> send(ByteBuffer data);

	/**
	 * Sends like {@link #send(byte[], int, int)}, but waits up to {@code timeout} for room in the send buffer instead
	 * of failing at once; returns as soon as the data is queued. Must not be called on the session's event-loop
	 * thread.
	 * @return the future of the acknowledgement, as {@link #send(byte[], int, int)}'s
	 * @throws TimeoutException if no room appeared within the timeout (nothing was sent)
	 * @throws InterruptedException if interrupted while waiting (nothing was sent)
	 */
	CompletableFuture<Void> sendWhenRoom(byte[] data, int offset, int length, Duration timeout)
			throws TimeoutException, InterruptedException;

	/**
	 * Sends and blocks until the peer has acknowledged the data: waits for room in the send buffer, then for the
	 * acknowledgement, both within {@code timeout}. The blocking counterpart of {@link #send(byte[], int, int)}'s
	 * future. Must not be called on the session's event-loop thread.
	 * @throws TimeoutException if there was no room, or no acknowledgement, within the timeout (in the second case
	 * the data was sent and may still be delivered)
	 * @throws InterruptedException if interrupted while waiting
	 * @throws KcpSessionClosedException if the session closed before the peer acknowledged the data
	 * @throws io.github.kcp.core.protocol.KcpMessageTooLargeException if the message is too large for message mode
	 */
	void sendBlocking(byte[] data, int offset, int length, Duration timeout)
			throws TimeoutException, InterruptedException;

	/**
	 * The largest message {@link #send} accepts in message mode: {@code min(255, receiveWindow - 1)} fragments of
	 * the engine's segment size (the mtu less the segment header and the packet cipher's overhead).
	 */
	int maxMessageSize();

	/**
	 * Closes gracefully: no more sends are accepted, data already sent is delivered and acknowledged (up to
	 * {@link KcpConfig#closeTimeout()}), then the peer is told with the close signal.
	 * @return the {@link #closeFuture()}
	 */
	CompletableFuture<CloseReason> close();

	/**
	 * Closes at once: unacknowledged data is dropped (its futures fail) and the peer is told with one close
	 * signal, without waiting.
	 */
	void abort();

	/** A future completed with the reason once the session has closed. */
	CompletableFuture<CloseReason> closeFuture();

	/** Why the session closed, or {@code null} while it is open or closing. */
	@Nullable CloseReason closeReason();

	/**
	 * Stops delivering received messages to the handler. Received data then waits in the engine's receive queue,
	 * whose window closes when it fills, so the peer stops sending rather than data piling up here.
	 */
	void pauseReading();

	/** Resumes delivery after {@link #pauseReading()}; the peer is told at once that the window reopened. */
	void resumeReading();

	/** Per-session attributes for the application's own use (thread-safe). */
	Map<String, Object> attributes();

	/**
	 * A snapshot of the session's counters and protocol state. Taken on the event loop; from another thread this
	 * waits briefly for it.
	 */
	KcpSessionStats stats();

	/** The session's current configuration (reflecting runtime changes). */
	KcpConfig config();

	/**
	 * Changes the latency knobs at run time, as aiokcp's {@code set_nodelay}.
	 * @param nodelay 0 off, 1 on, 2 on (see {@link io.github.kcp.core.connection.KcpSettings#NODELAY})
	 * @param interval update interval in milliseconds
	 * @param resend duplicate acknowledgements before a fast retransmission, 0 = off
	 * @param noCongestionControl whether to ignore the congestion window
	 */
	void setNoDelay(int nodelay, int interval, int resend, boolean noCongestionControl);

	/** Changes the window sizes at run time, as aiokcp's {@code set_wndsize}. */
	void setWindowSize(int sendWindow, int receiveWindow);

	/** Changes the mtu at run time (cipher overhead included), as aiokcp's {@code set_mtu}. */
	void setMtu(int mtu);

	/** Switches stream mode at run time, as aiokcp's {@code set_stream}. */
	void setStream(boolean stream);

	/** Executes tasks on the session's event-loop thread, where its handler runs. */
	Executor executor();

}
