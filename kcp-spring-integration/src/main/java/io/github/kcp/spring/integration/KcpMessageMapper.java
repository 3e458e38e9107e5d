package io.github.kcp.spring.integration;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Set;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.envelope.KcpEnvelope;
import io.github.kcp.spring.envelope.KcpEnvelopeCodec;
import io.github.kcp.spring.envelope.KcpEnvelopeFormatException;
import io.github.kcp.spring.envelope.KcpFrameType;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpMessages;
import org.jspecify.annotations.Nullable;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.support.MessageBuilder;

/**
 * Turns what a KCP session receives into Spring Integration messages and messages into what a session sends, for
 * one message format. Inbound messages carry the payload as {@code byte[]} (as spring-integration-ip's TCP
 * endpoints do) and the {@link KcpIntegrationHeaders}; with the messaging envelope also the route, frame type,
 * correlation id, content type and the frame's own headers. Outbound payloads that are not bytes go through the
 * message converter (text in UTF-8, other objects as JSON); with the envelope the message's text headers travel
 * too, except the {@code kcp_} ones, {@code id}, {@code timestamp} and {@code contentType}.
 * <p>
 * Thread-safe.
 */
public final class KcpMessageMapper {

	/** The frames a server side takes: requests and one-way messages. */
	public static final Set<KcpFrameType> SERVER_SIDE_FRAMES = Set.of(KcpFrameType.REQUEST, KcpFrameType.ONE_WAY);

	private final KcpMessageFormat format;

	private final MessageConverter converter;

	/**
	 * @param format what the messages carry
	 * @param converter converts payloads that are not bytes
	 */
	public KcpMessageMapper(KcpMessageFormat format, MessageConverter converter) {
		this.format = Objects.requireNonNull(format, "format");
		this.converter = Objects.requireNonNull(converter, "converter");
	}

	/** What the messages carry. */
	public KcpMessageFormat getFormat() {
		return this.format;
	}

	/**
	 * The message of bytes a session received.
	 * @param session the session
	 * @param bytes the bytes of one KCP message (one frame with the envelope)
	 * @param acceptedFrames with the envelope, the frame types to take
	 * @return the message, or {@code null} for a frame of another type
	 * @throws KcpEnvelopeFormatException if the bytes are not a valid frame (with the envelope)
	 */
	public @Nullable Message<byte[]> toMessage(KcpSession session, byte[] bytes, Set<KcpFrameType> acceptedFrames) {
		if (this.format == KcpMessageFormat.RAW) {
			return withIntegrationHeaders(KcpMessages.of(session, bytes));
		}
		KcpEnvelope envelope = KcpEnvelopeCodec.decode(bytes);
		if (!acceptedFrames.contains(envelope.type())) {
			return null;
		}
		return withIntegrationHeaders(KcpMessages.of(session, envelope));
	}

	/**
	 * A message built by kcp-spring (for example a reply a {@code KcpTemplate} received) with the headers of this
	 * module: the peer's host and port and the local port added, the {@code KcpSession} object removed.
	 * @param message the message
	 * @return a message with the same payload and those headers
	 */
	public static Message<byte[]> withIntegrationHeaders(Message<byte[]> message) {
		MessageBuilder<byte[]> builder = MessageBuilder.fromMessage(message).removeHeader(KcpHeaders.SESSION);
		if (message.getHeaders().get(KcpHeaders.REMOTE_ADDRESS) instanceof InetSocketAddress remote) {
			builder.setHeader(KcpIntegrationHeaders.REMOTE_HOST,
					(remote.getAddress() != null) ? remote.getAddress().getHostAddress() : remote.getHostString());
			builder.setHeader(KcpIntegrationHeaders.REMOTE_PORT, remote.getPort());
		}
		if (message.getHeaders().get(KcpHeaders.LOCAL_ADDRESS) instanceof InetSocketAddress local) {
			builder.setHeader(KcpIntegrationHeaders.LOCAL_PORT, local.getPort());
		}
		return builder.build();
	}

	/**
	 * The bytes of a raw KCP message: the payload, converted if it is not bytes.
	 * @param message the message
	 * @return the bytes to send
	 */
	public byte[] toRawBytes(Message<?> message) {
		return KcpMessageConverters.toBytes(this.converter, message.getPayload());
	}

	/**
	 * The bytes to send for a message: the payload (raw), or a frame of {@code type} (envelope).
	 * @param message the message
	 * @param type the frame type (envelope)
	 * @param correlationId the correlation id of a reply (envelope), else 0
	 * @param route the route (envelope), {@code null} for none
	 * @return the bytes to send
	 * @throws IllegalStateException if a route is given for raw messages
	 */
	public byte[] toBytes(Message<?> message, KcpFrameType type, int correlationId, @Nullable String route) {
		if (this.format == KcpMessageFormat.RAW) {
			if (route != null && !route.isEmpty()) {
				throw new IllegalStateException("Route '" + route + "' needs the messaging envelope, but this KCP "
						+ "endpoint sends raw messages, which carry no route");
			}
			return toRawBytes(message);
		}
		KcpMessageConverters.Serialized serialized = KcpMessageConverters.serialize(this.converter, message);
		return KcpEnvelopeCodec.encode(new KcpEnvelope(type, type.isCorrelated() ? correlationId : 0,
				(route != null) ? route : "", serialized.contentType(), serialized.headers(), serialized.bytes()));
	}

	/**
	 * The error frame answering a request (envelope only).
	 * @param correlationId the request's correlation id
	 * @param route the request's route
	 * @param failure what went wrong
	 * @return the bytes to send
	 */
	public static byte[] errorFrame(int correlationId, String route, Throwable failure) {
		Throwable cause = rootCause(failure);
		return KcpEnvelopeCodec.encode(KcpEnvelope.error(correlationId, route, KcpEnvelope.ErrorCode.HANDLER_FAILED,
				cause.getClass().getName(), String.valueOf(cause.getMessage())));
	}

	/**
	 * The error frame telling a requester that no reply came (envelope only).
	 * @param correlationId the request's correlation id
	 * @param route the request's route
	 * @param why what happened
	 * @return the bytes to send
	 */
	public static byte[] noReplyFrame(int correlationId, String route, String why) {
		return KcpEnvelopeCodec.encode(
				KcpEnvelope.error(correlationId, route, KcpEnvelope.ErrorCode.HANDLER_FAILED, null, why));
	}

	private static Throwable rootCause(Throwable failure) {
		Throwable current = failure;
		while (current.getCause() != null && current.getCause() != current
				&& current instanceof org.springframework.messaging.MessagingException) {
			current = current.getCause();
		}
		return current;
	}

	/**
	 * The route of a received message.
	 * @param message the message
	 * @return its {@link KcpIntegrationHeaders#ROUTE}, empty if none
	 */
	public static String routeOf(Message<?> message) {
		Object route = message.getHeaders().get(KcpHeaders.ROUTE);
		return (route instanceof String text) ? text : "";
	}

	/**
	 * Whether a received message is an envelope request, whose sender waits for a reply with its correlation id.
	 * @param message the message
	 * @return whether its frame type is {@link KcpFrameType#REQUEST} and it has a correlation id
	 */
	public static boolean isRequest(Message<?> message) {
		return message.getHeaders().get(KcpHeaders.FRAME_TYPE) == KcpFrameType.REQUEST
				&& message.getHeaders().get(KcpHeaders.CORRELATION_ID) instanceof Integer;
	}

	/**
	 * The correlation id of a received request.
	 * @param message the message
	 * @return its {@link KcpIntegrationHeaders#CORRELATION_ID}, 0 if none
	 */
	public static int correlationIdOf(Message<?> message) {
		Object id = message.getHeaders().get(KcpHeaders.CORRELATION_ID);
		return (id instanceof Integer value) ? value : 0;
	}

	@Override
	public String toString() {
		return "KcpMessageMapper [" + this.format + "]";
	}

}
