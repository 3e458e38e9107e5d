package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.support.KcpStreamFraming;
import io.github.kcp.spring.support.KcpStreamFramingException;
import org.jspecify.annotations.Nullable;

/**
 * A server session whose stream is framed: every send writes one framed message, and the bytes received are cut
 * into messages by the session's decoder. What the container hands to listeners, handlers, the session registry and
 * events when it has a {@link KcpStreamFraming}, so that every writer (replies, pushes, a handler holding the
 * session) frames alike.
 */
final class FramedSession implements KcpSession {

	private final KcpSession session;

	private final KcpStreamFraming framing;

	/** Used on the handler executor only, one message at a time (the dispatcher's per-session order). */
	private final KcpStreamFraming.Decoder decoder;

	/** Received pieces handed to the dispatcher and not yet decoded. */
	private final AtomicInteger pendingChunks = new AtomicInteger();

	FramedSession(KcpSession session, KcpStreamFraming framing) {
		this.session = session;
		this.framing = framing;
		this.decoder = framing.newDecoder();
	}

	KcpStreamFraming.Decoder decoder() {
		return this.decoder;
	}

	/** A received piece was handed to the dispatcher; on the event loop. */
	void chunkArrived() {
		this.pendingChunks.incrementAndGet();
	}

	/**
	 * A received piece is being decoded.
	 * @return how many more are queued behind it
	 */
	int chunkTaken() {
		return this.pendingChunks.decrementAndGet();
	}

	private byte[] frame(byte[] data, int offset, int length) {
		return this.framing.frame((offset == 0 && length == data.length) ? data
				: Arrays.copyOfRange(data, offset, offset + length));
	}

	@Override
	public InetSocketAddress remoteAddress() {
		return this.session.remoteAddress();
	}

	@Override
	public InetSocketAddress localAddress() {
		return this.session.localAddress();
	}

	@Override
	public int conv() {
		return this.session.conv();
	}

	@Override
	public @Nullable KcpSecurityInfo securityInfo() {
		return this.session.securityInfo();
	}

	@Override
	public boolean isOpen() {
		return this.session.isOpen();
	}

	/**
	 * Sends one framed message.
	 * @return as {@link KcpSession#send(byte[], int, int)}; failed with {@link KcpStreamFramingException} if the
	 * codec refuses the message
	 */
	@Override
	public CompletableFuture<Void> send(byte[] data, int offset, int length) {
		byte[] framed;
		try {
			framed = frame(data, offset, length);
		}
		catch (KcpStreamFramingException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		return this.session.send(framed);
	}

	@Override
	public CompletableFuture<Void> send(ByteBuffer data) {
		byte[] bytes = new byte[data.remaining()];
		data.get(bytes);
		return send(bytes, 0, bytes.length);
	}

	@Override
	public CompletableFuture<Void> sendWhenRoom(byte[] data, int offset, int length, Duration timeout)
			throws TimeoutException, InterruptedException {
		byte[] framed = frame(data, offset, length);
		return this.session.sendWhenRoom(framed, 0, framed.length, timeout);
	}

	@Override
	public void sendBlocking(byte[] data, int offset, int length, Duration timeout)
			throws TimeoutException, InterruptedException {
		byte[] framed = frame(data, offset, length);
		this.session.sendBlocking(framed, 0, framed.length, timeout);
	}

	@Override
	public int maxMessageSize() {
		return this.session.maxMessageSize();
	}

	@Override
	public CompletableFuture<CloseReason> close() {
		return this.session.close();
	}

	@Override
	public void abort() {
		this.session.abort();
	}

	@Override
	public CompletableFuture<CloseReason> closeFuture() {
		return this.session.closeFuture();
	}

	@Override
	public @Nullable CloseReason closeReason() {
		return this.session.closeReason();
	}

	@Override
	public void pauseReading() {
		this.session.pauseReading();
	}

	@Override
	public void resumeReading() {
		this.session.resumeReading();
	}

	@Override
	public Map<String, Object> attributes() {
		return this.session.attributes();
	}

	@Override
	public KcpSessionStats stats() {
		return this.session.stats();
	}

	@Override
	public KcpConfig config() {
		return this.session.config();
	}

	@Override
	public void setNoDelay(int nodelay, int interval, int resend, boolean noCongestionControl) {
		this.session.setNoDelay(nodelay, interval, resend, noCongestionControl);
	}

	@Override
	public void setWindowSize(int sendWindow, int receiveWindow) {
		this.session.setWindowSize(sendWindow, receiveWindow);
	}

	@Override
	public void setMtu(int mtu) {
		this.session.setMtu(mtu);
	}

	@Override
	public void setStream(boolean stream) {
		this.session.setStream(stream);
	}

	@Override
	public Executor executor() {
		return this.session.executor();
	}

	@Override
	public String toString() {
		return this.session + " framed by " + this.framing;
	}

}
