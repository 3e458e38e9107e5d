package io.github.kcp.spring.envelope;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Golden bytes of the envelope wire format as the README specifies it, written out by hand field by field, so that
 * a change of the format (or of the codec) cannot go unnoticed; plus the strictness of decoding.
 */
class KcpEnvelopeCodecTests {

	private static final HexFormat HEX = HexFormat.of();

	/** A request: every field present. */
	private static final String REQUEST_HEX = String.join("",
			"01", // version 1
			"01", // frame type: request
			"01020304", // correlation id 16909060, big-endian
			"09", HEX.formatHex(ascii("quote.get")), // route
			"10", HEX.formatHex(ascii("application/json")), // content type, 16 bytes
			"02", // two headers
			"0b", HEX.formatHex(ascii("traceparent")), "0037",
			HEX.formatHex(ascii("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")),
			"01", HEX.formatHex(ascii("k")), "0000", // an empty value
			HEX.formatHex(ascii("{\"symbol\":\"KCP\"}"))); // payload

	@Test
	void requestWithEveryFieldHasItsGoldenBytes() {
		Map<String, String> headers = new LinkedHashMap<>();
		headers.put("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
		headers.put("k", "");
		KcpEnvelope request = new KcpEnvelope(KcpFrameType.REQUEST, 0x01020304, "quote.get", "application/json",
				headers, ascii("{\"symbol\":\"KCP\"}"));

		assertThat(HEX.formatHex(KcpEnvelopeCodec.encode(request))).isEqualTo(REQUEST_HEX);
		assertThat(KcpEnvelopeCodec.decode(HEX.parseHex(REQUEST_HEX))).isEqualTo(request);
	}

	@Test
	void emptyOneWayIsNineBytes() {
		KcpEnvelope oneWay = new KcpEnvelope(KcpFrameType.ONE_WAY, 0, "", null, Map.of(), new byte[0]);

		assertThat(HEX.formatHex(KcpEnvelopeCodec.encode(oneWay))).isEqualTo("010400000000000000");
		assertThat(KcpEnvelopeCodec.decode(HEX.parseHex("010400000000000000"))).isEqualTo(oneWay);
	}

	@Test
	void errorFrameCarriesCodeTypeAndMessage() {
		KcpEnvelope error = KcpEnvelope.error(0xfffffffe, "a.b", KcpEnvelope.ErrorCode.NO_ROUTE, null, "none");
		String expected = String.join("", "01", "03", "fffffffe", "03", HEX.formatHex(ascii("a.b")), "18",
				HEX.formatHex(ascii("text/plain;charset=UTF-8")), "01", "0a", HEX.formatHex(ascii("error-code")),
				"0008", HEX.formatHex(ascii("NO_ROUTE")), HEX.formatHex(ascii("none")));

		assertThat(HEX.formatHex(KcpEnvelopeCodec.encode(error))).isEqualTo(expected);
		KcpEnvelope decoded = KcpEnvelopeCodec.decode(HEX.parseHex(expected));
		assertThat(decoded.correlationId()).isEqualTo(0xfffffffe);
		assertThat(Integer.toUnsignedString(decoded.correlationId())).isEqualTo("4294967294");
		assertThat(decoded.headers()).containsEntry(KcpEnvelope.ERROR_CODE_HEADER, "NO_ROUTE");
	}

	@Test
	void pushAndReplyRoundTripWithUtf8Text() {
		KcpEnvelope push = new KcpEnvelope(KcpFrameType.PUSH, 0, "prix.€", "text/plain;charset=UTF-8",
				Map.of("clé", "valeur ✓"), "héllo".getBytes(StandardCharsets.UTF_8));
		KcpEnvelope reply = new KcpEnvelope(KcpFrameType.REPLY, 7, "quote.get", null, Map.of(), new byte[] { 0, -1 });

		assertThat(KcpEnvelopeCodec.decode(KcpEnvelopeCodec.encode(push))).isEqualTo(push);
		assertThat(KcpEnvelopeCodec.decode(KcpEnvelopeCodec.encode(reply))).isEqualTo(reply);
	}

	@Test
	void rawMessagesAreRefusedWithAHint() {
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(ascii("{\"symbol\":\"KCP\"}")))
			.withMessageContaining("first byte is 123")
			.withMessageContaining("raw KCP message");
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(ascii("PING")))
			.withMessageContaining("fewer than the 9");
	}

	@Test
	void malformedFramesAreRefusedNamingTheField() {
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(HEX.parseHex("020400000000000000")))
			.withMessageContaining("first byte is 2");
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(HEX.parseHex("010900000000000000")))
			.withMessageContaining("frame type 9");
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(HEX.parseHex("010100000000000000")))
			.withMessageContaining("non-zero correlation id");
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(HEX.parseHex("010500000001000000")))
			.withMessageContaining("correlation id 0, not 1");
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(HEX.parseHex("0104000000000541420000")))
			.withMessageContaining("route needs 5 bytes");
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(HEX.parseHex("01040000000000000100")))
			.withMessageContaining("empty name");
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec.decode(HEX.parseHex("0104000000000200ff0000")))
			.withMessageContaining("route is not UTF-8");
	}

	@Test
	void fieldsThatDoNotFitAreRefusedWhenWriting() {
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec
				.encode(new KcpEnvelope(KcpFrameType.ONE_WAY, 0, "r".repeat(256), null, Map.of(), new byte[0])))
			.withMessageContaining("route is 256 bytes");
		assertThatExceptionOfType(KcpEnvelopeFormatException.class)
			.isThrownBy(() -> KcpEnvelopeCodec
				.encode(new KcpEnvelope(KcpFrameType.REQUEST, 0, "r", null, Map.of(), new byte[0])))
			.withMessageContaining("non-zero correlation id");
	}

	private static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

}
