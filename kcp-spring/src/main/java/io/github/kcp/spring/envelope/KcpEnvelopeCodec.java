package io.github.kcp.spring.envelope;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes and reads {@link KcpEnvelope}s, version {@value #VERSION} of the wire format (all integers big-endian,
 * all text UTF-8):
 *
 * <pre>
 * offset  size  field
 * 0       1     version: 1
 * 1       1     frame type: 1 request, 2 reply, 3 error, 4 one-way, 5 push
 * 2       4     correlation id (unsigned; non-zero for request, reply and error; 0 for one-way and push)
 * 6       1     route length R (0..255)
 * 7       R     route
 * .       1     content type length C (0..255; 0 = none)
 * .       C     content type (a MIME type)
 * .       1     header count H (0..255), then H times:
 *                 1 name length N (1..255), N name, 2 value length V (0..65535), V value
 * .       rest  payload
 * </pre>
 *
 * Decoding is strict: an unknown version or frame type, a length beyond the end, an empty header name, text that is
 * not UTF-8, or a correlation id that does not fit the frame type is a {@link KcpEnvelopeFormatException}.
 */
public final class KcpEnvelopeCodec {

	/** The version of the wire format this codec writes and reads. */
	public static final int VERSION = 1;

	/** Bytes of a frame without route, content type, headers and payload. */
	public static final int MIN_FRAME_SIZE = 9;

	private static final int MAX_SHORT_TEXT = 255;

	private static final int MAX_HEADER_VALUE = 65_535;

	private KcpEnvelopeCodec() {
	}

	/**
	 * Writes a frame.
	 * @param envelope the frame
	 * @return its bytes
	 * @throws KcpEnvelopeFormatException if a field does not fit (a route longer than 255 bytes, a wrong correlation
	 * id for the type ...)
	 */
	public static byte[] encode(KcpEnvelope envelope) {
		checkCorrelation(envelope.type(), envelope.correlationId());
		byte[] route = utf8("route", envelope.route(), MAX_SHORT_TEXT);
		byte[] contentType = utf8("content type",
				(envelope.contentType() != null) ? envelope.contentType() : "", MAX_SHORT_TEXT);
		Map<String, String> headers = envelope.headers();
		if (headers.size() > 255) {
			throw new KcpEnvelopeFormatException("An envelope holds at most 255 headers but has " + headers.size());
		}
		byte[][] names = new byte[headers.size()][];
		byte[][] values = new byte[headers.size()][];
		int size = MIN_FRAME_SIZE + route.length + contentType.length + envelope.payload().length;
		int i = 0;
		for (Map.Entry<String, String> header : headers.entrySet()) {
			names[i] = utf8("header name", header.getKey(), MAX_SHORT_TEXT);
			if (names[i].length == 0) {
				throw new KcpEnvelopeFormatException("An envelope header name must not be empty");
			}
			values[i] = utf8("header '" + header.getKey() + "'", header.getValue(), MAX_HEADER_VALUE);
			size += 1 + names[i].length + 2 + values[i].length;
			i++;
		}
		byte[] frame = new byte[size];
		int position = 0;
		frame[position++] = VERSION;
		frame[position++] = (byte) envelope.type().code();
		writeInt(frame, position, envelope.correlationId());
		position += 4;
		position = writeShortText(frame, position, route);
		position = writeShortText(frame, position, contentType);
		frame[position++] = (byte) names.length;
		for (int h = 0; h < names.length; h++) {
			position = writeShortText(frame, position, names[h]);
			frame[position++] = (byte) (values[h].length >>> 8);
			frame[position++] = (byte) values[h].length;
			System.arraycopy(values[h], 0, frame, position, values[h].length);
			position += values[h].length;
		}
		System.arraycopy(envelope.payload(), 0, frame, position, envelope.payload().length);
		return frame;
	}

	/**
	 * Reads a frame.
	 * @param frame the bytes of one KCP message
	 * @return the envelope (its payload a copy)
	 * @throws KcpEnvelopeFormatException if the bytes are not a valid frame of this version
	 */
	public static KcpEnvelope decode(byte[] frame) {
		if (frame.length < MIN_FRAME_SIZE) {
			throw new KcpEnvelopeFormatException("Not a KCP envelope: " + frame.length + " bytes, fewer than the "
					+ MIN_FRAME_SIZE + " of an empty frame" + rawHint(frame));
		}
		int version = frame[0] & 0xff;
		if (version != VERSION) {
			throw new KcpEnvelopeFormatException(
					"Not a KCP envelope of version " + VERSION + ": the first byte is " + version + rawHint(frame));
		}
		int code = frame[1] & 0xff;
		KcpFrameType type = KcpFrameType.ofCode(code);
		if (type == null) {
			throw new KcpEnvelopeFormatException("Unknown KCP envelope frame type " + code);
		}
		int correlationId = readInt(frame, 2);
		checkCorrelation(type, correlationId);
		Reader reader = new Reader(frame, 6);
		String route = reader.shortText("route");
		String contentType = reader.shortText("content type");
		int headerCount = reader.unsignedByte("header count");
		Map<String, String> headers = new LinkedHashMap<>();
		for (int h = 0; h < headerCount; h++) {
			String name = reader.shortText("header name");
			if (name.isEmpty()) {
				throw new KcpEnvelopeFormatException("KCP envelope header " + (h + 1) + " has an empty name");
			}
			int length = reader.unsignedShort("header '" + name + "'");
			headers.put(name, reader.text("header '" + name + "'", length));
		}
		byte[] payload = Arrays.copyOfRange(frame, reader.position, frame.length);
		return new KcpEnvelope(type, correlationId, route, contentType.isEmpty() ? null : contentType, headers,
				payload);
	}

	private static void checkCorrelation(KcpFrameType type, int correlationId) {
		if (type.isCorrelated() && correlationId == 0) {
			throw new KcpEnvelopeFormatException("A KCP envelope " + type + " needs a non-zero correlation id");
		}
		if (!type.isCorrelated() && correlationId != 0) {
			throw new KcpEnvelopeFormatException("A KCP envelope " + type + " carries correlation id 0, not "
					+ Integer.toUnsignedString(correlationId));
		}
	}

	/** A hint for the most likely mistake: a raw KCP message sent to an endpoint that expects the envelope. */
	private static String rawHint(byte[] frame) {
		return (frame.length > 0 && (frame[0] & 0xff) >= 0x20)
				? " (a raw KCP message? the peer may not use the messaging envelope)" : "";
	}

	private static byte[] utf8(String field, String text, int maxBytes) {
		byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
		if (bytes.length > maxBytes) {
			throw new KcpEnvelopeFormatException("The KCP envelope " + field + " is " + bytes.length
					+ " bytes of UTF-8; at most " + maxBytes + " fit");
		}
		return bytes;
	}

	private static int writeShortText(byte[] frame, int position, byte[] text) {
		frame[position] = (byte) text.length;
		System.arraycopy(text, 0, frame, position + 1, text.length);
		return position + 1 + text.length;
	}

	private static void writeInt(byte[] frame, int position, int value) {
		frame[position] = (byte) (value >>> 24);
		frame[position + 1] = (byte) (value >>> 16);
		frame[position + 2] = (byte) (value >>> 8);
		frame[position + 3] = (byte) value;
	}

	private static int readInt(byte[] frame, int position) {
		return (frame[position] & 0xff) << 24 | (frame[position + 1] & 0xff) << 16 | (frame[position + 2] & 0xff) << 8
				| (frame[position + 3] & 0xff);
	}

	/** Reads the variable part of a frame, checking every length against the end. */
	private static final class Reader {

		private final byte[] frame;

		int position;

		Reader(byte[] frame, int position) {
			this.frame = frame;
			this.position = position;
		}

		int unsignedByte(String field) {
			need(1, field);
			return this.frame[this.position++] & 0xff;
		}

		int unsignedShort(String field) {
			need(2, field);
			int value = (this.frame[this.position] & 0xff) << 8 | (this.frame[this.position + 1] & 0xff);
			this.position += 2;
			return value;
		}

		String shortText(String field) {
			return text(field, unsignedByte(field + " length"));
		}

		String text(String field, int length) {
			need(length, field);
			String text = decodeUtf8(field, this.frame, this.position, length);
			this.position += length;
			return text;
		}

		private void need(int bytes, String field) {
			if (this.frame.length - this.position < bytes) {
				throw new KcpEnvelopeFormatException("Truncated KCP envelope: the " + field + " needs " + bytes
						+ " bytes at offset " + this.position + " but the frame has " + this.frame.length);
			}
		}

		private static String decodeUtf8(String field, byte[] bytes, int offset, int length) {
			try {
				return StandardCharsets.UTF_8.newDecoder()
					.onMalformedInput(CodingErrorAction.REPORT)
					.onUnmappableCharacter(CodingErrorAction.REPORT)
					.decode(java.nio.ByteBuffer.wrap(bytes, offset, length))
					.toString();
			}
			catch (CharacterCodingException ex) {
				throw new KcpEnvelopeFormatException("The KCP envelope " + field + " is not UTF-8");
			}
		}

	}

}
