package io.github.kcp.core.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The wire format, checked against bytes written out by hand from the segment layout
 * {@code conv u32, cmd u8, frg u8, wnd u16, ts u32, sn u32, una u32, len u32} (all little-endian).
 */
class KcpCodecTest {

	private static final HexFormat HEX = HexFormat.of();

	private static final int CONV = 0x01020304;

	/** Captures every datagram an engine emits. */
	private static final class Wire implements KcpOutput {

		final List<byte[]> datagrams = new ArrayList<>();

		@Override
		public void output(byte[] buffer, int length) {
			this.datagrams.add(java.util.Arrays.copyOf(buffer, length));
		}

		byte[] single() {
			assertThat(this.datagrams).hasSize(1);
			return this.datagrams.get(0);
		}

	}

	private static Kcp fastEngine(Wire wire) {
		Kcp kcp = new Kcp(CONV, wire);
		// nc on: ikcp starts with a congestion window of 0, which would hold data back for one flush.
		kcp.setNoDelay(1, 10, 2, true);
		return kcp;
	}

	@Test
	void anExtensionMarkRepeatsTheFirstSegmentsWindowAndUnaAndIsFoundAmongWellFormedSegmentsOnly() {
		byte[] datagram = new byte[200];
		int length = KcpCodec.writeHeader(datagram, 0, 0x01020304, KcpCodec.CMD_PUSH, 0, 777, 5, 9, 41, 10) + 10;
		int marked = KcpCodec.appendMark(datagram, length, 200, KcpCodec.ADDRESS_CHALLENGE_SN, 0xCAFEBABE);
		assertThat(marked).isEqualTo(length + KcpCodec.OVERHEAD);
		int mark = KcpCodec.findMark(datagram, 0, marked, KcpCodec.ADDRESS_CHALLENGE_SN);
		assertThat(mark).isEqualTo(length);
		assertThat(KcpCodec.readInt(datagram, mark)).as("conv").isEqualTo(0x01020304);
		assertThat(datagram[mark + 4] & 0xff).isEqualTo(KcpCodec.CMD_WINS);
		assertThat(datagram[mark + 5] & 0xff).isEqualTo(KcpCodec.CLOSE_OFFER_FRG);
		assertThat(KcpCodec.readShort(datagram, mark + 6)).as("wnd").isEqualTo(777);
		assertThat(KcpCodec.readInt(datagram, mark + 8)).as("ts").isEqualTo(0xCAFEBABE);
		assertThat(KcpCodec.readInt(datagram, mark + 16)).as("una").isEqualTo(41);
		assertThat(KcpCodec.readInt(datagram, mark + 20)).as("len").isZero();
		assertThat(KcpCodec.findMark(datagram, 0, marked, KcpCodec.ADDRESS_ECHO_SN)).isEqualTo(-1);
		// No room within the mtu: nothing appended.
		assertThat(KcpCodec.appendMark(datagram, length, length + KcpCodec.OVERHEAD - 1, KcpCodec.ADDRESS_ECHO_SN, 1))
			.isEqualTo(length);
		// A first segment whose length runs past the datagram ends the walk before the mark.
		byte[] lying = datagram.clone();
		KcpCodec.writeHeader(lying, 0, 0x01020304, KcpCodec.CMD_PUSH, 0, 777, 5, 9, 41, 1000);
		assertThat(KcpCodec.findMark(lying, 0, marked, KcpCodec.ADDRESS_CHALLENGE_SN)).isEqualTo(-1);
	}

	@Test
	void pushSegmentMatchesHandWrittenBytes() {
		Wire wire = new Wire();
		Kcp sender = fastEngine(wire);
		sender.send("hello".getBytes(StandardCharsets.US_ASCII));
		sender.flush(1000);
		// conv 04030201, cmd 51, frg 00, wnd 8000 (128), ts e8030000 (1000), sn 0, una 0, len 05000000, "hello"
		assertThat(HEX.formatHex(wire.single()))
			.isEqualTo("04030201" + "51" + "00" + "8000" + "e8030000" + "00000000" + "00000000" + "05000000"
					+ "68656c6c6f");
	}

	@Test
	void ackSegmentMatchesHandWrittenBytes() {
		Wire senderWire = new Wire();
		Kcp sender = fastEngine(senderWire);
		sender.send("hello".getBytes(StandardCharsets.US_ASCII));
		sender.flush(1000);
		Wire receiverWire = new Wire();
		Kcp receiver = fastEngine(receiverWire);
		byte[] push = senderWire.single();
		assertThat(receiver.input(push, 0, push.length, 1003)).isEqualTo(InputResult.OK);
		receiver.flushAcks(1005);
		// ACK echoes sn 0 and ts 1000; wnd 127 (one message waits in the queue); una 1.
		assertThat(HEX.formatHex(receiverWire.single()))
			.isEqualTo("04030201" + "52" + "00" + "7f00" + "e8030000" + "00000000" + "01000000" + "00000000");
		byte[] ack = receiverWire.single();
		assertThat(sender.input(ack, 0, ack.length, 1040)).isEqualTo(InputResult.OK);
		assertThat(sender.waitSnd()).isZero();
		assertThat(sender.srtt()).isEqualTo(40);
	}

	@Test
	void windowProbeAndAnswerMatchHandWrittenBytes() {
		Wire wire = new Wire();
		Kcp engine = fastEngine(wire);
		engine.update(0);
		// The peer announces a zero window (a WINS with wnd 0).
		byte[] zeroWindow = HEX.parseHex("04030201" + "54" + "00" + "0000" + "00000000" + "00000000" + "00000000"
				+ "00000000");
		assertThat(engine.input(zeroWindow, 0, zeroWindow.length, 10)).isEqualTo(InputResult.OK);
		assertThat(engine.remoteWindow()).isZero();
		engine.flush(20);
		assertThat(wire.datagrams).isEmpty();
		// ikcp waits 7 s before the first probe.
		engine.flush(7020);
		assertThat(HEX.formatHex(wire.single()))
			.isEqualTo("04030201" + "53" + "00" + "8000" + "00000000" + "00000000" + "00000000" + "00000000");

		Wire answerWire = new Wire();
		Kcp peer = fastEngine(answerWire);
		byte[] probe = wire.single();
		assertThat(peer.input(probe, 0, probe.length, 7030)).isEqualTo(InputResult.OK);
		peer.flushAcks(7030);
		assertThat(HEX.formatHex(answerWire.single()))
			.isEqualTo("04030201" + "54" + "00" + "8000" + "00000000" + "00000000" + "00000000" + "00000000");
	}

	@Test
	void windowAnswerAfterAnAcknowledgementCarriesItsTsAndSnAsIkcp() {
		// A datagram with an out-of-order PUSH (sn 5, ts 1000, "x") and a window probe.
		byte[] datagram = HEX.parseHex("04030201" + "51" + "00" + "8000" + "e8030000" + "05000000" + "00000000"
				+ "01000000" + "78" + "04030201" + "53" + "00" + "8000" + "00000000" + "00000000" + "00000000"
				+ "00000000");
		Wire wire = new Wire();
		Kcp receiver = fastEngine(wire);
		assertThat(receiver.input(datagram, 0, datagram.length, 1003)).isEqualTo(InputResult.OK);
		receiver.flushAcks(1005);
		// ikcp writes its probes from the header it last used for an acknowledgement, so a WINS after an ACK repeats
		// that ACK's ts and sn; receivers ignore both, but the bytes are ikcp's.
		assertThat(HEX.formatHex(wire.single())).isEqualTo(
				"04030201" + "52" + "00" + "8000" + "e8030000" + "05000000" + "00000000" + "00000000"
						+ "04030201" + "54" + "00" + "8000" + "e8030000" + "05000000" + "00000000" + "00000000");
	}

	@Test
	void severalSegmentsShareOneDatagramWithAcksFirst() {
		Wire wireA = new Wire();
		Kcp a = fastEngine(wireA);
		a.send(new byte[] { 1 });
		a.flush(0);
		byte[] first = wireA.single();

		Wire wireB = new Wire();
		Kcp b = fastEngine(wireB);
		b.input(first, 0, first.length, 5);
		b.send(new byte[] { 2, 3 });
		b.send(new byte[] { 4 });
		b.flush(7);
		byte[] datagram = wireB.single();
		assertThat(HEX.formatHex(datagram)).isEqualTo(
				// ACK of a's sn 0 (ts 0), window 127, una 1
				"04030201" + "52" + "00" + "7f00" + "00000000" + "00000000" + "01000000" + "00000000"
				// PUSH sn 0, ts 7, len 2
						+ "04030201" + "51" + "00" + "7f00" + "07000000" + "00000000" + "01000000" + "02000000" + "0203"
						// PUSH sn 1, ts 7, len 1
						+ "04030201" + "51" + "00" + "7f00" + "07000000" + "01000000" + "01000000" + "01000000" + "04");
		assertThat(KcpCodec.validate(datagram, 0, datagram.length)).isEqualTo(InputResult.OK);
	}

	@Test
	void fragmentsCountDownAndDatagramsNeverExceedMtu() {
		Wire wire = new Wire();
		Kcp sender = fastEngine(wire);
		sender.setMtu(100);
		byte[] message = new byte[76 * 3 + 10];
		sender.send(message);
		for (int i = 0; i < 20; i++) {
			sender.send(new byte[30]);
		}
		sender.flush(0);
		assertThat(wire.datagrams).allSatisfy((d) -> assertThat(d.length).isLessThanOrEqualTo(100));
		byte[] firstDatagram = wire.datagrams.get(0);
		// The first message needs four fragments: frg 3, 2, 1, 0 in successive segments.
		assertThat(firstDatagram[5]).isEqualTo((byte) 3);
		int total = 0;
		List<Integer> fragments = new ArrayList<>();
		for (byte[] datagram : wire.datagrams) {
			int position = 0;
			while (position < datagram.length) {
				fragments.add(datagram[position + 5] & 0xff);
				position += KcpCodec.OVERHEAD + KcpCodec.readInt(datagram, position + 20);
				total++;
			}
		}
		assertThat(fragments.subList(0, 4)).containsExactly(3, 2, 1, 0);
		assertThat(total).isEqualTo(24);
	}

	@Test
	void truncatedHeaderStopsParsingAndIsCounted() {
		Kcp engine = fastEngine(new Wire());
		byte[] shortDatagram = new byte[23];
		KcpCodec.writeInt(shortDatagram, 0, CONV);
		assertThat(engine.input(shortDatagram, 0, shortDatagram.length, 0)).isEqualTo(InputResult.TRUNCATED);
		assertThat(engine.inputErrors(InputResult.TRUNCATED)).isEqualTo(1);
		assertThat(KcpCodec.validate(shortDatagram, 0, 23)).isEqualTo(InputResult.TRUNCATED);
	}

	@Test
	void earlierSegmentsStayAppliedWhenALaterOneIsMalformed() {
		Wire wire = new Wire();
		Kcp sender = fastEngine(wire);
		sender.send("ok".getBytes(StandardCharsets.US_ASCII));
		sender.flush(0);
		byte[] push = wire.single();

		for (InputResult expected : List.of(InputResult.BAD_LENGTH, InputResult.UNKNOWN_COMMAND,
				InputResult.TRUNCATED, InputResult.CONV_MISMATCH)) {
			byte[] tail = new byte[24];
			KcpCodec.writeHeader(tail, 0, CONV, KcpCodec.CMD_PUSH, 0, 128, 0, 1, 0, 0);
			switch (expected) {
				case BAD_LENGTH -> KcpCodec.writeInt(tail, 20, 100);
				case UNKNOWN_COMMAND -> tail[4] = 85;
				case TRUNCATED -> tail = java.util.Arrays.copyOf(tail, 10);
				case CONV_MISMATCH -> KcpCodec.writeInt(tail, 0, CONV + 1);
				default -> throw new IllegalStateException();
			}
			byte[] datagram = new byte[push.length + tail.length];
			System.arraycopy(push, 0, datagram, 0, push.length);
			System.arraycopy(tail, 0, datagram, push.length, tail.length);

			Kcp receiver = fastEngine(new Wire());
			assertThat(receiver.input(datagram, 0, datagram.length, 1)).isEqualTo(expected);
			assertThat(receiver.inputErrors(expected)).isEqualTo(1);
			assertThat(receiver.receive()).asString(StandardCharsets.US_ASCII).isEqualTo("ok");
			assertThat(KcpCodec.validate(datagram, 0, datagram.length)).isEqualTo(expected);
		}
	}

	@Test
	void lengthAboveTwoGigabytesIsABadLengthNotANegativeSize() {
		byte[] datagram = new byte[24];
		KcpCodec.writeHeader(datagram, 0, CONV, KcpCodec.CMD_PUSH, 0, 128, 0, 0, 0, 0xFFFFFFF0);
		Kcp receiver = fastEngine(new Wire());
		assertThat(receiver.input(datagram, 0, datagram.length, 0)).isEqualTo(InputResult.BAD_LENGTH);
		assertThat(KcpCodec.validate(datagram, 0, datagram.length)).isEqualTo(InputResult.BAD_LENGTH);
	}

	@Test
	void oversizedMessageIsRefusedWithTheLimit() {
		Kcp engine = fastEngine(new Wire());
		// Receive window 128: at most 127 fragments of 1376 bytes.
		assertThat(engine.maxMessageSize()).isEqualTo(127 * 1376);
		engine.send(new byte[127 * 1376]);
		assertThatExceptionOfType(KcpMessageTooLargeException.class)
			.isThrownBy(() -> engine.send(new byte[127 * 1376 + 1]))
			.withMessageContaining("174753 bytes")
			.satisfies((ex) -> assertThat(ex.getMaxMessageSize()).isEqualTo(127 * 1376));
		assertThat(engine.waitSnd()).isEqualTo(127);

		engine.setWindowSize(1024, 1024);
		assertThat(engine.maxMessageSize()).isEqualTo(255 * 1376);

		engine.setStream(true);
		engine.send(new byte[1_000_000]);
	}

	@Test
	void settersApplyIkcpClamps() {
		Kcp engine = new Kcp(CONV, (b, l) -> {
		});
		engine.setNoDelay(1, 1, 2, true);
		assertThat(engine.interval()).isEqualTo(10);
		assertThat(engine.minRto()).isEqualTo(Kcp.RTO_NODELAY_MIN);
		engine.setNoDelay(0, 100_000, 0, false);
		assertThat(engine.interval()).isEqualTo(5000);
		assertThat(engine.minRto()).isEqualTo(Kcp.RTO_MIN);
		engine.setWindowSize(16, 16);
		assertThat(engine.receiveWindow()).isEqualTo(128);
		assertThat(engine.sendWindow()).isEqualTo(16);
		assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> engine.setMtu(49))
			.withMessageContaining("mtu");
		assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> engine.setWindowSize(0, 128))
			.withMessageContaining("send window");
		assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> engine.setNoDelay(3, 10, 0, false))
			.withMessageContaining("nodelay");
		engine.setMtu(576);
		assertThat(engine.mss()).isEqualTo(552);
	}

}
