package io.github.kcp.spring.core;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.spring.support.KcpSessionListener;
import io.github.kcp.spring.support.KcpStreamFraming;
import io.github.kcp.spring.support.KcpStreamFramingException;
import io.github.kcp.spring.support.SerialExecutor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KcpTemplate}'s side of one KCP session: writes requests and records them with its
 * {@link ReplyCorrelation} in one step, hands the messages it receives to the owner (as replies or pushes), and
 * takes itself out of use when it closes or when the correlation can no longer be trusted.
 */
final class ClientSession implements KcpSessionHandler {

	private static final Logger logger = LoggerFactory.getLogger(ClientSession.class);

	/** What a session needs from its template. */
	interface Owner {

		/** Interprets a received message: completes a waiting request or delivers a push. On the event loop. */
		void received(ClientSession session, byte[] message);

		/** The session was opened; on the session's ordered callback executor. */
		void opened(ClientSession session);

		/** The session closed; on the session's ordered callback executor, after its pushes. */
		void closed(ClientSession session, CloseReason reason, @Nullable Throwable cause);

		/** The session is out of use: forget it. */
		void retired(ClientSession session);

	}

	final InetSocketAddress target;

	private final Owner owner;

	private final ReplyCorrelation correlation;

	private final KcpSessionListener listener;

	/** Runs pushes and session events of this session one at a time, in order, off the event loop. */
	final SerialExecutor inOrder;

	/** Set right after connecting, before this is published. */
	volatile KcpSession session;

	/** Held while a request is recorded and written, so the two happen in the same order for all callers. */
	private final Object writeLock = new Object();

	private volatile boolean retired;

	/** Frames what is written, or {@code null} to write messages as they are. */
	private final @Nullable KcpStreamFraming framing;

	/** Cuts what arrives into messages; used on the event loop only. */
	private final KcpStreamFraming.@Nullable Decoder decoder;

	/**
	 * @param listener hears of the session's opening, RTT samples and close
	 * @param framing frames the session's byte stream (stream mode), or {@code null} for none
	 */
	ClientSession(InetSocketAddress target, Owner owner, ReplyCorrelation correlation, Executor callbacks,
			KcpSessionListener listener, @Nullable KcpStreamFraming framing) {
		this.target = target;
		this.owner = owner;
		this.correlation = correlation;
		this.listener = listener;
		this.inOrder = new SerialExecutor(callbacks);
		this.framing = framing;
		this.decoder = (framing != null) ? framing.newDecoder() : null;
	}

	ReplyCorrelation correlation() {
		return this.correlation;
	}

	boolean isUsable() {
		return !this.retired && this.session.isOpen();
	}

	boolean isRetired() {
		return this.retired;
	}

	String describe() {
		return "session conv=" + Integer.toUnsignedString(this.session.conv()) + " to " + this.target;
	}

	/**
	 * Records the request (if any) and writes its bytes.
	 * @param encoder the bytes to write, given the correlation id the request was recorded with (0 without)
	 * @param waitForRoom how long to wait for room in the send buffer, or {@code null} to fail fast
	 * @return the future of the acknowledgement, or {@code null} if this session closed before anything was
	 * written (the caller retries on a fresh session)
	 */
	@Nullable CompletableFuture<Void> write(IntFunction<byte[]> encoder, @Nullable Duration waitForRoom,
			@Nullable PendingReply<?> request) {
		synchronized (this.writeLock) {
			if (this.retired) {
				return null;
			}
			int correlationId = 0;
			if (request != null) {
				correlationId = this.correlation.register(request);
				request.correlationId = correlationId;
			}
			CompletableFuture<Void> sent;
			try {
				byte[] bytes = encoder.apply(correlationId);
				if (this.framing != null) {
					bytes = this.framing.frame(bytes);
				}
				sent = (waitForRoom != null) ? this.session.sendWhenRoom(bytes, 0, bytes.length, waitForRoom)
						: this.session.send(bytes);
			}
			catch (TimeoutException ex) {
				sent = CompletableFuture.failedFuture(
						new KcpSendTimeoutException(this.target, waitForRoom, "given room in the send buffer"));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				sent = CompletableFuture.failedFuture(
						new KcpException("Interrupted while waiting for room to send to " + this.target, ex));
			}
			catch (RuntimeException ex) {
				sent = CompletableFuture.failedFuture(ex);
			}
			if (sent.isCompletedExceptionally()) {
				// Refused at once (buffer full, too large, closed, conversion): nothing left, so the order is intact.
				Throwable failure = failureOf(sent);
				if (request != null && request.settle()) {
					this.correlation.withdraw(request);
					request.fail(failure);
				}
				if (!this.session.isOpen() && failure instanceof KcpSessionClosedException) {
					return null;
				}
				return sent;
			}
			if (request != null) {
				sent.whenComplete((ignored, failure) -> {
					if (failure == null) {
						return;
					}
					if (this.correlation.isOrdered()) {
						// Not delivered after all: its reply will never come, so the order of this session is lost.
						boolean mine = request.settle();
						retire(mine ? failure : null, mine ? request : null,
								"a request on it could not be delivered");
					}
					else if (request.settle()) {
						this.correlation.withdraw(request);
						request.fail(failure);
					}
				});
			}
			return sent;
		}
	}

	/** A request's timer expired; on the template's timer thread. */
	void timedOut(PendingReply<?> request) {
		if (!request.settle()) {
			return;
		}
		boolean mustClose = this.correlation.timedOut(request);
		KcpReplyTimeoutException timeout = new KcpReplyTimeoutException(this.target, this.session.conv(),
				request.timeout, mustClose);
		if (mustClose) {
			// Retired before the caller learns of the timeout, so that its next call cannot land on this session.
			retire(timeout, request, "a request on it timed out");
		}
		else {
			request.fail(timeout);
		}
	}

	/**
	 * Takes this session out of use: fails its waiting requests ({@code culprit}, settled by the caller, with
	 * {@code cause}; the others with a {@link KcpSessionClosedException}), forgets it, and closes it gracefully.
	 */
	CompletableFuture<CloseReason> retire(@Nullable Throwable cause, @Nullable PendingReply<?> culprit, String why) {
		synchronized (this.writeLock) {
			if (this.retired) {
				if (culprit != null && cause != null) {
					culprit.fail(cause);
				}
				return this.session.closeFuture();
			}
			this.retired = true;
		}
		this.owner.retired(this);
		logger.debug("KCP template closes {}: {}", describe(), why);
		if (culprit != null && cause != null) {
			culprit.fail(cause);
		}
		failWaiting(new KcpSessionClosedException(
				"The " + describe() + " was closed before the reply arrived because " + why,
				CloseReason.CLOSED_LOCALLY));
		return this.session.close();
	}

	private void failWaiting(KcpSessionClosedException failure) {
		List<PendingReply<?>> abandoned = this.correlation.drain();
		for (PendingReply<?> request : abandoned) {
			if (request.settle()) {
				request.fail(failure);
			}
		}
	}

	@Override
	public void onOpen(KcpSession session) {
		// Called while connecting, possibly before the connecting thread has set the field.
		this.session = session;
		this.listener.sessionOpened(session);
		this.inOrder.execute(() -> this.owner.opened(this));
	}

	@Override
	public void onRttSample(KcpSession session, int rttMillis) {
		this.listener.rttSampled(session, rttMillis);
	}

	@Override
	public void onMessage(KcpSession session, byte[] message) {
		KcpStreamFraming.Decoder frames = this.decoder;
		if (frames == null) {
			receive(message);
			return;
		}
		try {
			frames.append(message);
			for (byte[] framed = frames.next(); framed != null; framed = frames.next()) {
				receive(framed);
			}
		}
		catch (IllegalStateException ex) {
			// The stream failed earlier and the session is being closed.
		}
		catch (KcpStreamFramingException ex) {
			logger.warn("KCP template closes {}: {}", describe(), ex.getMessage());
			retire(ex, null, "its stream could not be framed");
		}
	}

	private void receive(byte[] message) {
		if (this.retired) {
			// Most likely the late reply to a request that timed out: nobody may have it.
			logger.debug("Dropped a message of {} bytes from {} on a session being closed", message.length,
					this.target);
			return;
		}
		this.owner.received(this, message);
	}

	@Override
	public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
		if (this.session == null) {
			// Closed before the connecting thread set the field (the session opened and closed at once: the
			// connecting caller gave up meanwhile); a failed DTLS handshake makes no session and never gets here.
			this.session = session;
		}
		this.listener.sessionClosed(session, reason);
		KcpStreamFraming.Decoder frames = this.decoder;
		if (frames != null && !this.retired) {
			// The end of the stream may complete a last message (a codec that reads to the end).
			try {
				frames.endOfStream();
				for (byte[] framed = frames.next(); framed != null; framed = frames.next()) {
					receive(framed);
				}
			}
			catch (KcpStreamFramingException ex) {
				logger.debug("KCP template {}: {}", describe(), ex.getMessage());
			}
		}
		this.retired = true;
		this.owner.retired(this);
		logger.debug("KCP template {} closed: {}", describe(), reason);
		KcpSessionClosedException failure = new KcpSessionClosedException(
				"The " + describe() + " closed (" + reason + ") before the reply arrived", reason);
		if (cause != null) {
			failure.initCause(cause);
		}
		failWaiting(failure);
		this.inOrder.execute(() -> this.owner.closed(this, reason, cause));
	}

	private static @Nullable Throwable failureOf(CompletableFuture<?> completed) {
		return completed.handle((value, failure) -> failure).getNow(null);
	}

	@Override
	public String toString() {
		return "ClientSession [" + describe() + "]";
	}

}
