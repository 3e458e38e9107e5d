package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static io.github.kcp.core.protocol.KcpCodec.CMD_ACK;
import static io.github.kcp.core.protocol.KcpCodec.CMD_PUSH;
import static io.github.kcp.core.protocol.KcpCodec.OVERHEAD;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Datagrams no well-behaved peer sends, handled the way C ikcp handles them: never an exception, and no data lost
 * that ikcp would deliver.
 */
class KcpHostileInputTest {

	private static final int CONV = 7;

	/** Captures every datagram an engine emits. */
	private static final class Wire implements KcpOutput {

		final List<byte[]> datagrams = new ArrayList<>();

		@Override
		public void output(byte[] buffer, int length) {
			this.datagrams.add(Arrays.copyOf(buffer, length));
		}

	}

	static byte[] push(int sn, int frg, byte[] payload) {
		byte[] segment = new byte[OVERHEAD + payload.length];
		KcpCodec.writeHeader(segment, 0, CONV, CMD_PUSH, frg, 128, 1000, sn, 0, payload.length);
		System.arraycopy(payload, 0, segment, OVERHEAD, payload.length);
		return segment;
	}

	static byte[] concat(byte[]... parts) {
		int length = 0;
		for (byte[] part : parts) {
			length += part.length;
		}
		byte[] all = new byte[length];
		int position = 0;
		for (byte[] part : parts) {
			System.arraycopy(part, 0, all, position, part.length);
			position += part.length;
		}
		return all;
	}

	private static byte[] bytes(int from, int count) {
		byte[] data = new byte[count];
		for (int i = 0; i < count; i++) {
			data[i] = (byte) (from + i);
		}
		return data;
	}

	@Test
	void fragmentCountsThatDisagreeDeliverTheQueuedBytesAsOneMessageAsIkcp() {
		Wire wire = new Wire();
		Kcp receiver = new Kcp(CONV, wire);
		// ikcp acknowledges both; the tuned mode would send only the latest, as una covers both.
		receiver.setMode(EngineMode.IKCP);
		byte[] first = bytes(0, 10);
		byte[] second = bytes(10, 10);
		// sn 0 says one fragment follows; sn 1 says five more follow, and they never come.
		byte[] datagram = concat(push(0, 1, first), push(1, 5, second));

		assertThat(receiver.input(datagram, 0, datagram.length, 1000)).isEqualTo(InputResult.OK);

		// ikcp_peeksize: two segments queued, at least frg+1 = 2 of the first, so 20 bytes; ikcp_recv then takes
		// segments until frg 0 or the end of the queue.
		assertThat(receiver.peekSize()).isEqualTo(20);
		assertThat(receiver.receive()).isEqualTo(concat(first, second));
		assertThat(receiver.receive()).isNull();
		assertThat(receiver.receiveQueueSize()).isZero();

		// Both segments are acknowledged, and the next message is received normally.
		receiver.flushAcks(1001);
		assertThat(wire.datagrams).hasSize(1);
		List<SimulatedLink.WireSegment> acks = SimulatedLink.segments(wire.datagrams.get(0), wire.datagrams.get(0).length);
		assertThat(acks).extracting(SimulatedLink.WireSegment::cmd).containsOnly(CMD_ACK);
		assertThat(acks).extracting(SimulatedLink.WireSegment::sn).containsExactly(0, 1);
		assertThat(acks).extracting(SimulatedLink.WireSegment::una).containsOnly(2);
		byte[] next = push(2, 0, bytes(50, 3));
		assertThat(receiver.input(next, 0, next.length, 1002)).isEqualTo(InputResult.OK);
		assertThat(receiver.receive()).isEqualTo(bytes(50, 3));
	}

	@Test
	void aMessageStillIncompleteIsNotDeliveredEarly() {
		Kcp receiver = new Kcp(CONV, new Wire());
		// sn 0 announces two more fragments; only one has come.
		byte[] datagram = concat(push(0, 2, bytes(0, 4)), push(1, 1, bytes(4, 4)));
		assertThat(receiver.input(datagram, 0, datagram.length, 1000)).isEqualTo(InputResult.OK);
		assertThat(receiver.peekSize()).isEqualTo(-1);
		assertThat(receiver.receive()).isNull();
		byte[] last = push(2, 0, bytes(8, 4));
		receiver.input(last, 0, last.length, 1001);
		assertThat(receiver.receive()).isEqualTo(bytes(0, 12));
	}

}
