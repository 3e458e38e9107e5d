package io.github.kcp.spring.support;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import org.springframework.integration.ip.tcp.serializer.ByteArrayLengthHeaderSerializer;
import org.springframework.integration.ip.tcp.serializer.ByteArrayRawSerializer;
import org.springframework.integration.ip.tcp.serializer.TcpCodecs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tests for {@link KcpStreamFraming} with spring-integration-ip's own codecs: whatever pieces the stream arrives in,
 * the decoder hands back exactly the messages that were framed; bad bytes fail at once; a message that depends on
 * the end of the stream waits for it.
 */
class KcpStreamFramingTests {

	private static final List<String> MESSAGES = List.of("alpha", "", "a somewhat longer message, with commas",
			"x", "the last one");

	@Test
	void everyCodecYieldsTheFramedMessagesWhateverThePieces() {
		List<KcpStreamFraming> framings = List.of(KcpStreamFraming.of(TcpCodecs.lengthHeader1()),
				KcpStreamFraming.of(TcpCodecs.lengthHeader2()), KcpStreamFraming.of(TcpCodecs.lengthHeader4()),
				KcpStreamFraming.of(TcpCodecs.crlf()), KcpStreamFraming.of(TcpCodecs.lf()),
				KcpStreamFraming.of(TcpCodecs.stxetx()), KcpStreamFraming.of(TcpCodecs.singleTerminator((byte) 0)));
		Random random = new Random(42);
		for (KcpStreamFraming framing : framings) {
			List<String> sent = MESSAGES.stream()
				.filter((message) -> !message.isEmpty() || acceptsEmpty(framing))
				.toList();
			byte[] stream = stream(framing, sent);
			for (int round = 0; round < 50; round++) {
				List<String> received = decodeInRandomPieces(framing, stream, random);
				assertThat(received).as("%s, round %d", framing, round).isEqualTo(sent);
			}
			// and byte by byte, the worst case for a codec that reads ahead
			assertThat(decodeInPiecesOf(framing, stream, 1)).as(framing.toString()).isEqualTo(sent);
		}
	}

	@Test
	void rawYieldsItsOneMessageAtTheEndOfTheStream() {
		KcpStreamFraming framing = KcpStreamFraming.of(TcpCodecs.raw());
		KcpStreamFraming.Decoder decoder = framing.newDecoder();
		decoder.append(framing.frame(bytes("part one, ")));
		decoder.append(framing.frame(bytes("part two")));
		assertThat(decoder.next()).as("before the end of the stream").isNull();
		decoder.endOfStream();
		assertThat(decoder.next()).asString(StandardCharsets.UTF_8).isEqualTo("part one, part two");
		assertThat(decoder.next()).isNull();
	}

	@Test
	void aMessageCutInTheMiddleWaitsForItsRest() {
		KcpStreamFraming framing = KcpStreamFraming.of(TcpCodecs.lengthHeader4());
		byte[] framed = framing.frame(bytes("twelve bytes"));
		KcpStreamFraming.Decoder decoder = framing.newDecoder();
		decoder.append(Arrays.copyOf(framed, 7));
		assertThat(decoder.next()).isNull();
		assertThat(decoder.buffered()).isEqualTo(7);
		decoder.append(Arrays.copyOfRange(framed, 7, framed.length));
		assertThat(decoder.next()).asString(StandardCharsets.UTF_8).isEqualTo("twelve bytes");
		assertThat(decoder.buffered()).isZero();
	}

	@Test
	void bytesThatCannotBeAMessageFailAtOnce() {
		KcpStreamFraming.Decoder stxEtx = KcpStreamFraming.of(TcpCodecs.stxetx()).newDecoder();
		stxEtx.append(bytes("no STX here"));
		assertThatThrownBy(stxEtx::next).isInstanceOf(KcpStreamFramingException.class)
			.hasMessageContaining("not a message");

		// a length header beyond the codec's maximum fails before the body arrives
		KcpStreamFraming.Decoder tooLong = KcpStreamFraming.of(TcpCodecs.lengthHeader4(100)).newDecoder();
		tooLong.append(new byte[] { 0, 0, 1, 0 });
		assertThatThrownBy(tooLong::next).isInstanceOf(KcpStreamFramingException.class)
			.hasMessageContaining("exceeds max message length");

		// a CRLF codec gives up once its maximum is reached without a line end, not before
		KcpStreamFraming.Decoder noLineEnd = KcpStreamFraming.of(TcpCodecs.crlf(16)).newDecoder();
		noLineEnd.append(bytes("0123456789"));
		assertThat(noLineEnd.next()).isNull();
		noLineEnd.append(bytes("0123456789"));
		assertThatThrownBy(noLineEnd::next).isInstanceOf(KcpStreamFramingException.class)
			.hasMessageContaining("CRLF not found");
	}

	@Test
	void aMessageTrickledByteByByteRunsTheCodecLogarithmicallyOftenNotOncePerByte() {
		int size = 64 * 1024;
		byte[] body = new byte[size];
		Arrays.fill(body, (byte) 'a');
		List<KcpStreamFraming> framings = List.of(KcpStreamFraming.of(TcpCodecs.lengthHeader4(2 * size)),
				KcpStreamFraming.of(TcpCodecs.crlf(2 * size)), KcpStreamFraming.of(TcpCodecs.lf(2 * size)),
				KcpStreamFraming.of(TcpCodecs.stxetx(2 * size)),
				KcpStreamFraming.of(TcpCodecs.singleTerminator((byte) 0, 2 * size)));
		for (KcpStreamFraming framing : framings) {
			byte[] framed = framing.frame(body);
			KcpStreamFraming.Decoder decoder = framing.newDecoder();
			List<byte[]> received = new ArrayList<>();
			for (byte b : framed) {
				decoder.append(new byte[] { b });
				received.addAll(decoder.drain());
			}
			assertThat(received).as(framing.toString()).hasSize(1);
			assertThat(received.get(0)).isEqualTo(body);
			// Once per byte would be 65,5xx runs, each reading everything buffered: about 2 GB read.
			assertThat(decoder.attempts()).as(framing.toString()).isLessThanOrEqualTo(20);
		}
		ByteArrayRawSerializer rawCodec = new ByteArrayRawSerializer();
		rawCodec.setMaxMessageSize(2 * size);
		KcpStreamFraming raw = KcpStreamFraming.of(rawCodec);
		KcpStreamFraming.Decoder decoder = raw.newDecoder();
		for (int i = 0; i < size; i++) {
			decoder.append(new byte[] { 'a' });
			assertThat(decoder.next()).isNull();
		}
		decoder.endOfStream();
		assertThat(decoder.next()).isEqualTo(body);
		assertThat(decoder.attempts()).isLessThanOrEqualTo(20);
	}

	@Test
	void bytesThatNeverCompleteAMessageStillFailAtTheMaximumWithAtMostTwiceItBuffered() {
		// A peer trickling line feeds without carriage returns: each could end a CRLF message, none does.
		KcpStreamFraming.Decoder decoder = KcpStreamFraming.of(TcpCodecs.crlf(1000)).newDecoder();
		int appended = 0;
		KcpStreamFramingException failure = null;
		while (failure == null && appended < 10_000) {
			decoder.append(new byte[] { '\n' });
			appended++;
			try {
				assertThat(decoder.next()).isNull();
			}
			catch (KcpStreamFramingException ex) {
				failure = ex;
			}
		}
		assertThat(failure).isNotNull().hasMessageContaining("CRLF not found");
		assertThat(appended).isBetween(1000, 2000);
		assertThat(decoder.attempts()).isLessThanOrEqualTo(12);
	}

	@Test
	void aCodecItDoesNotKnowRunsWheneverBytesArrive() {
		ByteArrayLengthHeaderSerializer known = TcpCodecs.lengthHeader2();
		KcpStreamFraming framing = new KcpStreamFraming(known, (in) -> known.deserialize(in));
		byte[] framed = framing.frame(bytes("twelve bytes"));
		KcpStreamFraming.Decoder decoder = framing.newDecoder();
		for (byte b : framed) {
			decoder.append(new byte[] { b });
			decoder.next();
		}
		assertThat(decoder.attempts()).isEqualTo(framed.length);
	}

	@Test
	void aStreamEndingInsideAMessageFails() {
		KcpStreamFraming framing = KcpStreamFraming.of(TcpCodecs.crlf());
		KcpStreamFraming.Decoder decoder = framing.newDecoder();
		decoder.append(bytes("whole\r\nhalf"));
		assertThat(decoder.next()).asString(StandardCharsets.UTF_8).isEqualTo("whole");
		assertThat(decoder.next()).isNull();
		decoder.endOfStream();
		assertThatThrownBy(decoder::next).isInstanceOf(KcpStreamFramingException.class)
			.hasMessageContaining("ended inside a message (4 bytes left)");
	}

	@Test
	void aMessageTheCodecCannotWriteFailsClearly() {
		KcpStreamFraming framing = KcpStreamFraming.of(TcpCodecs.lengthHeader1());
		assertThatThrownBy(() -> framing.frame(new byte[300])).isInstanceOf(KcpStreamFramingException.class)
			.hasMessageContaining("300 bytes")
			.hasMessageContaining("ByteArrayLengthHeaderSerializer");
	}

	@Test
	void separateHalvesFrameAndDecode() {
		ByteArrayLengthHeaderSerializer writer = new ByteArrayLengthHeaderSerializer(2);
		ByteArrayLengthHeaderSerializer reader = new ByteArrayLengthHeaderSerializer(2);
		KcpStreamFraming framing = new KcpStreamFraming(writer, reader);
		KcpStreamFraming.Decoder decoder = framing.newDecoder();
		decoder.append(framing.frame(bytes("one")));
		decoder.append(framing.frame(bytes("two")));
		assertThat(decoder.drain()).extracting((message) -> new String(message, StandardCharsets.UTF_8))
			.containsExactly("one", "two");
	}

	private static boolean acceptsEmpty(KcpStreamFraming framing) {
		// Terminator codecs read an empty message as the end of the stream between messages.
		return framing.getDeserializer() instanceof ByteArrayLengthHeaderSerializer;
	}

	private static byte[] stream(KcpStreamFraming framing, List<String> messages) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		messages.forEach((message) -> out.writeBytes(framing.frame(bytes(message))));
		return out.toByteArray();
	}

	private static List<String> decodeInRandomPieces(KcpStreamFraming framing, byte[] stream, Random random) {
		KcpStreamFraming.Decoder decoder = framing.newDecoder();
		List<String> received = new ArrayList<>();
		for (int offset = 0; offset < stream.length;) {
			int length = Math.min(stream.length - offset, 1 + random.nextInt(20));
			decoder.append(Arrays.copyOfRange(stream, offset, offset + length));
			offset += length;
			decoder.drain().forEach((message) -> received.add(new String(message, StandardCharsets.UTF_8)));
		}
		decoder.endOfStream();
		decoder.drain().forEach((message) -> received.add(new String(message, StandardCharsets.UTF_8)));
		return received;
	}

	private static List<String> decodeInPiecesOf(KcpStreamFraming framing, byte[] stream, int size) {
		KcpStreamFraming.Decoder decoder = framing.newDecoder();
		List<String> received = new ArrayList<>();
		for (int offset = 0; offset < stream.length; offset += size) {
			decoder.append(Arrays.copyOfRange(stream, offset, Math.min(stream.length, offset + size)));
			decoder.drain().forEach((message) -> received.add(new String(message, StandardCharsets.UTF_8)));
		}
		return received;
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
