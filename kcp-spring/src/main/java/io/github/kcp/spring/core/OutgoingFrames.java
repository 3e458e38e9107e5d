package io.github.kcp.spring.core;

import java.util.Objects;
import java.util.function.IntFunction;

import io.github.kcp.spring.envelope.KcpEnvelope;
import io.github.kcp.spring.envelope.KcpEnvelopeCodec;
import io.github.kcp.spring.envelope.KcpFrameType;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.jspecify.annotations.Nullable;

import org.springframework.messaging.converter.MessageConverter;

/**
 * The bytes a {@link KcpTemplate} writes for a message: the payload alone (raw KCP) or an envelope frame. The payload
 * is converted on the caller's thread, before the session's write lock; only the correlation id, which the session
 * assigns under that lock, is filled in there.
 */
final class OutgoingFrames {

	private OutgoingFrames() {
	}

	/**
	 * A one-way message.
	 * @return its bytes, whatever correlation id they are given (one-way messages carry none)
	 * @throws IllegalStateException for a route with raw messages
	 */
	static IntFunction<byte[]> oneWay(KcpMessageFormat format, MessageConverter converter, @Nullable String route,
			Object payload) {
		Objects.requireNonNull(payload, "payload");
		if (format == KcpMessageFormat.RAW) {
			byte[] bytes = raw(converter, route, payload);
			return (id) -> bytes;
		}
		byte[] frame = KcpEnvelopeCodec.encode(envelope(converter, KcpFrameType.ONE_WAY, route, payload));
		return (id) -> frame;
	}

	/**
	 * A request.
	 * @return its bytes given its correlation id (ignored for raw messages)
	 * @throws IllegalStateException for a route with raw messages
	 */
	static IntFunction<byte[]> request(KcpMessageFormat format, MessageConverter converter, @Nullable String route,
			Object payload) {
		Objects.requireNonNull(payload, "payload");
		if (format == KcpMessageFormat.RAW) {
			byte[] bytes = raw(converter, route, payload);
			return (id) -> bytes;
		}
		KcpEnvelope template = envelope(converter, KcpFrameType.ONE_WAY, route, payload);
		return (id) -> KcpEnvelopeCodec.encode(new KcpEnvelope(KcpFrameType.REQUEST, id, template.route(),
				template.contentType(), template.headers(), template.payload()));
	}

	private static byte[] raw(MessageConverter converter, @Nullable String route, Object payload) {
		if (route != null) {
			throw new IllegalStateException("Route '" + route + "' needs the messaging envelope, but this "
					+ "KcpTemplate sends raw KCP messages, which carry no route: set its message format to ENVELOPE "
					+ "(and the server's), or send without a route");
		}
		return KcpMessageConverters.toBytes(converter, payload);
	}

	private static KcpEnvelope envelope(MessageConverter converter, KcpFrameType type, @Nullable String route,
			Object payload) {
		KcpMessageConverters.Serialized serialized = KcpMessageConverters.serialize(converter, payload);
		KcpEnvelope envelope = new KcpEnvelope(type, 0, (route != null) ? route : "", serialized.contentType(),
				serialized.headers(), serialized.bytes());
		// Fails here, on the caller's thread, if a field does not fit.
		KcpEnvelopeCodec.encode(envelope);
		return envelope;
	}

}
