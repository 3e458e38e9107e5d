package io.github.kcp.spring.core;

import java.nio.charset.StandardCharsets;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.spring.envelope.KcpEnvelope;
import io.github.kcp.spring.envelope.KcpEnvelopeCodec;
import io.github.kcp.spring.envelope.KcpEnvelopeFormatException;
import io.github.kcp.spring.envelope.KcpFrameType;
import io.github.kcp.spring.event.KcpSessionClosedEvent;
import io.github.kcp.spring.event.KcpSessionOpenedEvent;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpMessages;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConversionException;

/**
 * What a {@link KcpTemplate} does with what its sessions receive: a reply completes the request it answers (matched
 * in order for raw messages, by correlation id in the envelope), an error frame fails it with a
 * {@link KcpRemoteException}, and a push goes to the client-side {@code @KcpHandler} methods, else to the
 * {@link KcpPushHandler}s; plus the session events.
 */
final class TemplateSessionEvents implements ClientSession.Owner {

	private static final Logger logger = LoggerFactory.getLogger(TemplateSessionEvents.class);

	private final KcpTemplate template;

	private final KcpMessageFormat format;

	/**
	 * @param template the template
	 * @param format the format of the session (fixed when it opened)
	 */
	TemplateSessionEvents(KcpTemplate template, KcpMessageFormat format) {
		this.template = template;
		this.format = format;
	}

	@Override
	public void received(ClientSession session, byte[] bytes) {
		if (this.format == KcpMessageFormat.RAW) {
			receivedRaw(session, bytes);
		}
		else {
			receivedEnvelope(session, bytes);
		}
	}

	private void receivedRaw(ClientSession session, byte[] bytes) {
		Message<byte[]> message = KcpMessages.of(session.session, bytes);
		PendingReply<?> request = session.correlation().take(0);
		if (request != null && request.settle()) {
			request.completeWith(() -> complete(request, session, message));
		}
		else if (request == null) {
			session.inOrder.execute(() -> push(session, message));
		}
		// else: the reply of a request that just timed out; its session is being closed
	}

	private void receivedEnvelope(ClientSession session, byte[] bytes) {
		KcpEnvelope envelope;
		try {
			envelope = KcpEnvelopeCodec.decode(bytes);
		}
		catch (KcpEnvelopeFormatException ex) {
			this.template.countMalformed();
			logger.debug("Dropped a message of {} bytes from {}: {}", bytes.length, session.target, ex.getMessage());
			return;
		}
		switch (envelope.type()) {
			case REPLY, ERROR -> {
				PendingReply<?> request = session.correlation().take(envelope.correlationId());
				if (request == null || !request.settle()) {
					this.template.countLateReply();
					logger.debug("Dropped a {} with correlation id {} from {}: no request waits for it (timed out?)",
							envelope.type(), Integer.toUnsignedString(envelope.correlationId()), session.target);
					return;
				}
				if (envelope.type() == KcpFrameType.ERROR) {
					request.fail(remoteException(session, envelope));
				}
				else {
					Message<byte[]> reply = KcpMessages.of(session.session, envelope);
					request.completeWith(() -> complete(request, session, reply));
				}
			}
			case PUSH -> {
				Message<byte[]> push = KcpMessages.of(session.session, envelope);
				session.inOrder.execute(() -> push(session, push));
			}
			default -> {
				this.template.countMalformed();
				logger.debug("Dropped a {} frame from {}: a template takes replies, errors and pushes only",
						envelope.type(), session.target);
			}
		}
	}

	private static KcpRemoteException remoteException(ClientSession session, KcpEnvelope error) {
		String code = error.headers().getOrDefault(KcpEnvelope.ERROR_CODE_HEADER, "ERROR");
		return new KcpRemoteException(session.target, error.route(), code,
				error.headers().get(KcpEnvelope.ERROR_TYPE_HEADER), new String(error.payload(), StandardCharsets.UTF_8));
	}

	/** Converts the reply into the requested type; on the callback executor. */
	private <T> void complete(PendingReply<T> request, ClientSession session, Message<byte[]> reply) {
		try {
			if (reply.getPayload().length == 0 && reply.getHeaders().get(KcpHeaders.CONTENT_TYPE) == null
					&& reply.getHeaders().get(KcpHeaders.FRAME_TYPE) == KcpFrameType.REPLY) {
				// An envelope reply to a handler that returned nothing.
				request.future.complete(null);
				return;
			}
			request.future.complete(this.template.convert(reply, request.replyType));
		}
		catch (MessageConversionException ex) {
			request.future.completeExceptionally(new MessageConversionException(reply, "The reply of "
					+ reply.getPayload().length + " bytes from " + session.target + " could not be read as "
					+ request.replyType.getName() + ": " + ex.getMessage(), ex));
		}
		catch (RuntimeException ex) {
			request.future.completeExceptionally(ex);
		}
	}

	/** Hands a push to the client-side {@code @KcpHandler} that takes it, else to the push handlers. */
	private void push(ClientSession session, Message<byte[]> message) {
		PushHandlerMethods methods = this.template.pushHandlerMethods();
		if (methods == null || !methods.handle(session.session, message)) {
			this.template.pushToHandlers(session, message);
		}
	}

	@Override
	public void opened(ClientSession session) {
		this.template.publish(new KcpSessionOpenedEvent(this.template, session.session, false));
	}

	@Override
	public void closed(ClientSession session, CloseReason reason, @Nullable Throwable cause) {
		this.template.publish(new KcpSessionClosedEvent(this.template, session.session, false, reason, cause));
	}

	@Override
	public void retired(ClientSession session) {
		this.template.forget(session);
	}

}
