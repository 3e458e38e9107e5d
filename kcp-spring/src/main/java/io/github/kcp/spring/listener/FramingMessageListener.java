package io.github.kcp.spring.listener;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpStreamFraming;
import io.github.kcp.spring.support.KcpStreamFramingException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts the received pieces of each {@link FramedSession}'s stream into messages and hands each message to the
 * listener behind it. Runs where the dispatcher runs listeners: on the handler executor, one piece of a session at a
 * time, in order. A session whose bytes cannot be framed is logged and closed.
 */
final class FramingMessageListener implements KcpMessageListener {

	private static final Logger logger = LoggerFactory.getLogger(FramingMessageListener.class);

	/** Dispatched (by identity) when a framed session closed, after its last piece. */
	static final byte[] END_OF_STREAM = new byte[0];

	private final KcpMessageListener listener;

	FramingMessageListener(KcpMessageListener listener) {
		this.listener = listener;
	}

	@Override
	public @Nullable CompletionStage<?> onMessage(KcpSession session, byte[] chunk) {
		FramedSession framed = (FramedSession) session;
		KcpStreamFraming.Decoder decoder = framed.decoder();
		if (chunk == END_OF_STREAM) {
			decoder.endOfStream();
		}
		else {
			int queuedBehind = framed.chunkTaken();
			try {
				decoder.append(chunk);
			}
			catch (IllegalStateException ex) {
				// The stream failed earlier and the session is closing: nothing after the bad bytes is a message.
				return null;
			}
			if (queuedBehind > 0) {
				// Decode once, with the pieces that are already waiting: a long message is not re-read per piece.
				return null;
			}
		}
		List<CompletionStage<?>> pending = new ArrayList<>(1);
		try {
			for (byte[] message = decoder.next(); message != null; message = decoder.next()) {
				CompletionStage<?> done = handle(session, message);
				if (done != null) {
					pending.add(done);
				}
			}
		}
		catch (KcpStreamFramingException ex) {
			logger.warn("Closing KCP session {}: {}", KcpHeaders.sessionId(session), ex.getMessage());
			session.close();
		}
		if (pending.isEmpty()) {
			return null;
		}
		return (pending.size() == 1) ? pending.get(0)
				: CompletableFuture.allOf(pending.stream()
					.map(CompletionStage::toCompletableFuture)
					.toArray(CompletableFuture[]::new));
	}

	private @Nullable CompletionStage<?> handle(KcpSession session, byte[] message) {
		try {
			return this.listener.onMessage(session, message);
		}
		catch (RuntimeException ex) {
			logger.error("KCP message listener {} failed on a message of {} bytes from session {}", this.listener,
					message.length, KcpHeaders.sessionId(session), ex);
			return null;
		}
	}

	@Override
	public String toString() {
		return "framed " + this.listener;
	}

}
