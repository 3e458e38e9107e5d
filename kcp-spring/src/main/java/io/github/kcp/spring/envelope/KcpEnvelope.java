package io.github.kcp.spring.envelope;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * One frame of the KCP messaging envelope: the unit that Spring applications exchange inside one KCP message when
 * the envelope is enabled, so that requests are routed and replies correlated. The wire format is specified in the
 * README ("The messaging envelope") and implemented by {@link KcpEnvelopeCodec}.
 *
 * @param type what the frame is
 * @param correlationId the id that pairs a reply or error with its request: non-zero for {@link KcpFrameType#REQUEST},
 * {@link KcpFrameType#REPLY} and {@link KcpFrameType#ERROR}, zero for the others; an unsigned 32-bit value
 * @param route where the frame goes, for example {@code quote.get}; empty for none (at most 255 UTF-8 bytes)
 * @param contentType the MIME type of the payload, for example {@code application/json}, or {@code null}
 * @param headers further headers (names and values are text; room for trace context such as {@code traceparent})
 * @param payload the message itself
 */
public record KcpEnvelope(KcpFrameType type, int correlationId, String route, @Nullable String contentType,
		Map<String, String> headers, byte[] payload) {

	/** The header of an {@link KcpFrameType#ERROR} frame that says what failed; see {@link ErrorCode}. */
	public static final String ERROR_CODE_HEADER = "error-code";

	/** The header of an {@link KcpFrameType#ERROR} frame with the type of the exception the handler threw. */
	public static final String ERROR_TYPE_HEADER = "error-type";

	/**
	 * What an {@link KcpFrameType#ERROR} frame reports, in its {@value #ERROR_CODE_HEADER} header.
	 */
	public enum ErrorCode {

		/** No handler takes the request's route. */
		NO_ROUTE,

		/** The handler could not read the payload (conversion or argument resolution failed). */
		BAD_PAYLOAD,

		/** The handler threw, or its future failed. */
		HANDLER_FAILED

	}

	/** The content type of error messages. */
	public static final String TEXT_PLAIN_UTF8 = "text/plain;charset=UTF-8";

	/**
	 * A frame; the headers are copied.
	 */
	public KcpEnvelope {
		Objects.requireNonNull(type, "type");
		Objects.requireNonNull(route, "route");
		Objects.requireNonNull(payload, "payload");
		headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
	}

	/**
	 * The {@link KcpFrameType#ERROR} answer to a request.
	 * @param correlationId the request's correlation id
	 * @param route the request's route
	 * @param code what failed
	 * @param errorType the type of the exception, or {@code null}
	 * @param message the error message
	 * @return the frame
	 */
	public static KcpEnvelope error(int correlationId, String route, ErrorCode code, @Nullable String errorType,
			String message) {
		Map<String, String> headers = new LinkedHashMap<>();
		headers.put(ERROR_CODE_HEADER, code.name());
		if (errorType != null) {
			headers.put(ERROR_TYPE_HEADER, errorType);
		}
		return new KcpEnvelope(KcpFrameType.ERROR, correlationId, route, TEXT_PLAIN_UTF8, headers,
				message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
	}

	/** Whether the frame carries a route. */
	public boolean hasRoute() {
		return !this.route.isEmpty();
	}

	@Override
	public boolean equals(@Nullable Object other) {
		return other instanceof KcpEnvelope that && this.type == that.type
				&& this.correlationId == that.correlationId && this.route.equals(that.route)
				&& Objects.equals(this.contentType, that.contentType) && this.headers.equals(that.headers)
				&& java.util.Arrays.equals(this.payload, that.payload);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.type, this.correlationId, this.route, this.contentType, this.headers,
				java.util.Arrays.hashCode(this.payload));
	}

	@Override
	public String toString() {
		return "KcpEnvelope[" + this.type + ", id=" + Integer.toUnsignedString(this.correlationId) + ", route='"
				+ this.route + "', contentType=" + this.contentType + ", headers=" + this.headers + ", payload="
				+ this.payload.length + " bytes]";
	}

}
