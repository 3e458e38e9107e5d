package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.github.kcp.core.protocol.SimulatedLink.Receiver;
import io.github.kcp.core.protocol.SimulatedLink.Sender;
import io.github.kcp.core.protocol.SimulatedLink.WireSegment;

import static io.github.kcp.core.protocol.KcpCodec.CMD_ACK;
import static io.github.kcp.core.protocol.KcpHostileInputTest.concat;
import static io.github.kcp.core.protocol.KcpHostileInputTest.push;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's hooks for admission and graceful stop: a receive budget for parked out-of-order data, refusing
 * data while still processing acknowledgements, and the signals that the peer is proven.
 */
class KcpAdmissionHooksTest {

	private static final int CONV = 7;

	/** Captures every datagram an engine emits. */
	private static final class Wire implements KcpOutput {

		final List<byte[]> datagrams = new ArrayList<>();

		@Override
		public void output(byte[] buffer, int length) {
			this.datagrams.add(Arrays.copyOf(buffer, length));
		}

		List<WireSegment> segments() {
			List<WireSegment> all = new ArrayList<>();
			for (byte[] datagram : this.datagrams) {
				all.addAll(SimulatedLink.segments(datagram, datagram.length));
			}
			this.datagrams.clear();
			return all;
		}

	}

	/** A budget of {@code limit} bytes that records its high-water mark. */
	static final class CountingBudget implements ReceiveBudget {

		final long limit;

		long used;

		long peak;

		CountingBudget(long limit) {
			this.limit = limit;
		}

		@Override
		public boolean tryReserve(int bytes) {
			if (this.used + bytes > this.limit) {
				return false;
			}
			reserve(bytes);
			return true;
		}

		@Override
		public void reserve(int bytes) {
			this.used += bytes;
			this.peak = Math.max(this.peak, this.used);
		}

		@Override
		public long available() {
			return this.limit - this.used;
		}

		@Override
		public void release(int bytes) {
			this.used -= bytes;
			assertThat(this.used).isNotNegative();
		}

	}

	private static byte[] bytes(int value, int count) {
		byte[] data = new byte[count];
		Arrays.fill(data, (byte) value);
		return data;
	}

	private static void input(Kcp kcp, byte[] datagram, int now) {
		assertThat(kcp.input(datagram, 0, datagram.length, now)).isEqualTo(InputResult.OK);
	}

	@Test
	void outOfOrderDataBeyondTheBudgetIsDroppedUnacknowledgedWhileInOrderDataFlows() {
		Wire wire = new Wire();
		Kcp receiver = new Kcp(CONV, wire);
		// A parked segment costs what it holds: a buffer of one mss (segments are pooled at that size) and a header,
		// however few bytes it carries; so ten-byte segments cannot pack a budget fifty times over.
		int parked = receiver.mss() + KcpCodec.OVERHEAD;
		CountingBudget budget = new CountingBudget(2 * parked);
		receiver.setReceiveBudget(budget);

		// sn 1 and 2 fit the budget, sn 3 does not; sn 0 is in order and needs none.
		input(receiver, concat(push(1, 0, bytes(1, 10)), push(2, 0, bytes(2, 10)), push(3, 0, bytes(3, 10))), 1000);
		receiver.flushAcks(1000);
		assertThat(wire.segments()).extracting(WireSegment::sn).containsExactly(1, 2);
		assertThat(receiver.budgetRefusedSegments()).isEqualTo(1);
		assertThat(receiver.receiveBufferSize()).isEqualTo(2);
		assertThat(budget.used).isEqualTo(receiver.parkedBytes()).isEqualTo(2 * parked);

		input(receiver, push(0, 0, bytes(0, 10)), 1001);
		// In order: delivered, and the parked ones follow, giving their budget back.
		for (int sn = 0; sn <= 2; sn++) {
			assertThat(receiver.receive()).isEqualTo(bytes(sn, 10));
		}
		assertThat(budget.used).isZero();
		assertThat(receiver.parkedBytes()).isZero();
		// The refused segment comes again and is now in order.
		input(receiver, push(3, 0, bytes(3, 10)), 1002);
		assertThat(receiver.receive()).isEqualTo(bytes(3, 10));
		receiver.flushAcks(1003);
		// Both are below rcv_nxt now: the tuned engine sends only the latest, una says the rest.
		assertThat(wire.segments()).extracting(WireSegment::sn, WireSegment::una).containsExactly(
				org.assertj.core.groups.Tuple.tuple(3, 4));
	}

	@Test
	void aTransferCompletesUnderATinyBudgetOverAReorderingLossyLink() {
		SimulatedLink link = new SimulatedLink(5, 0);
		link.impairBoth((settings) -> settings.loss(0.05).delay(10, 5).reorder(0.2, 30));
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			// Congestion control on: the sender starts small and learns the announced window before it can overrun
			// it. (Without it, a first burst of a whole window is mostly refused, and each refused segment waits for
			// its own backed-off timeout.)
			kcp.setNoDelay(1, 10, 2, false);
			kcp.setWindowSize(128, 128);
		}
		// Four segments of a window of 128: the announced window shrinks to what the budget can park.
		CountingBudget budget = new CountingBudget(4 * (KcpCodec.OVERHEAD + sending.mss()));
		receiving.setReceiveBudget(budget);
		long total = 1024 * 1024;
		Sender sender = new Sender(sending, 3, total, 4000, 256);
		Receiver receiver = new Receiver(receiving, 3, total, 4000, true);

		link.runUntil("1 MB delivered", 600_000, 2_000_000, () -> receiver.complete() && sending.waitSnd() == 0,
				(now) -> {
					sender.pump();
					receiver.drain();
				});

		// The budget was used to the full and never exceeded; the announced window kept refusals rare.
		assertThat(budget.peak).isPositive().isLessThanOrEqualTo(budget.limit);
		assertThat(receiving.budgetRefusedSegments()).isLessThan(receiving.inDataSegments() / 10);
		assertThat(budget.used).isZero();
	}

	@Test
	void movingToAnotherBudgetCarriesTheParkedBytesAndDiscardingGivesThemBack() {
		Kcp receiver = new Kcp(CONV, new Wire());
		CountingBudget unproven = new CountingBudget(4000);
		receiver.setReceiveBudget(unproven);
		input(receiver, concat(push(2, 0, bytes(2, 10)), push(5, 0, bytes(5, 20))), 1000);
		long parked = receiver.parkedBytes();
		assertThat(parked).isEqualTo(2 * (KcpCodec.OVERHEAD + receiver.mss())).isEqualTo(unproven.used);

		CountingBudget proven = new CountingBudget(10);
		receiver.setReceiveBudget(proven);
		assertThat(unproven.used).isZero();
		// Acknowledged data is kept even beyond the new budget's room.
		assertThat(proven.used).isEqualTo(parked);

		receiver.discardReceiveBuffer();
		assertThat(proven.used).isZero();
		assertThat(receiver.receiveBufferSize()).isZero();
		assertThat(receiver.parkedBytes()).isZero();
	}

	@Test
	void notAcceptingDataRefusesPushesButStillProcessesAcknowledgements() {
		Wire senderWire = new Wire();
		Kcp local = new Kcp(CONV, senderWire);
		local.setNoDelay(1, 10, 2, true);
		local.send(bytes(9, 100));
		local.flush(1000);
		List<WireSegment> sent = senderWire.segments();
		assertThat(sent).hasSize(1);

		local.setAcceptingData(false);
		assertThat(local.isAcceptingData()).isFalse();
		// The peer acknowledges our segment and sends data of its own in the same datagram.
		byte[] ack = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeHeader(ack, 0, CONV, CMD_ACK, 0, 128, 1000, 0, 1, 0);
		input(local, concat(ack, push(0, 0, bytes(4, 30))), 1020);

		assertThat(local.waitSnd()).as("our data is acknowledged").isZero();
		assertThat(local.receiveQueueSize()).isZero();
		assertThat(local.receiveNext()).isZero();
		assertThat(local.refusedDataSegments()).isEqualTo(1);
		local.flushAcks(1021);
		assertThat(senderWire.segments()).as("no acknowledgement of refused data").isEmpty();

		local.setAcceptingData(true);
		input(local, push(0, 0, bytes(4, 30)), 1030);
		assertThat(local.receive()).isEqualTo(bytes(4, 30));
	}

	@Test
	void aPeerIsProvenByAnExactEchoOfOurSendTimeOrByACompleteMessage() {
		Wire wire = new Wire();
		Kcp local = new Kcp(CONV, wire);
		local.setNoDelay(1, 10, 2, true);
		local.send(bytes(1, 10));
		local.flush(5000);
		assertThat(local.isPeerProven()).isFalse();

		// A blind acknowledgement guessing sn 0 but not our clock proves nothing (and still acknowledges: as ikcp).
		byte[] blind = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeHeader(blind, 0, CONV, CMD_ACK, 0, 128, 4999, 0, 0, 0);
		input(local, blind, 5010);
		assertThat(local.peerAcknowledgedData()).isFalse();

		local.send(bytes(2, 10));
		local.flush(6000);
		byte[] echo = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeHeader(echo, 0, CONV, CMD_ACK, 0, 128, 6000, 1, 2, 0);
		input(local, echo, 6020);
		assertThat(local.peerAcknowledgedData()).isTrue();
		assertThat(local.isPeerProven()).isTrue();

		Kcp other = new Kcp(CONV, new Wire());
		input(other, concat(push(0, 1, bytes(0, 5)), push(2, 0, bytes(2, 5))), 1000);
		assertThat(other.messageCompletedInOrder()).as("sn 0 is the first fragment of two, sn 2 out of order")
			.isFalse();
		input(other, push(1, 0, bytes(1, 5)), 1001);
		assertThat(other.messageCompletedInOrder()).isTrue();
		Kcp third = new Kcp(CONV, new Wire());
		input(third, push(0, 0, bytes(0, 5)), 1000);
		assertThat(third.messageCompletedInOrder()).isTrue();
		assertThat(third.isPeerProven()).isTrue();
	}


	@Test
	void aLimitedFirstSegmentSplitsTheFirstMessageAndThePeerReassemblesIt() {
		Wire wire = new Wire();
		Kcp server = new Kcp(CONV, wire);
		server.setNoDelay(1, 10, 2, true);
		server.setFirstSegmentLimit(24);
		byte[] reply = new byte[3000];
		new java.util.Random(3).nextBytes(reply);
		server.send(reply);
		server.send(bytes(7, 100));
		server.flush(1000);
		List<byte[]> datagrams = new ArrayList<>(wire.datagrams);
		List<WireSegment> sent = wire.segments();
		// 24 bytes first, then full segments: the fragment numbers count down over the split message as usual.
		assertThat(sent).extracting(WireSegment::len).containsExactly(24, server.mss(), server.mss(),
				3000 - 24 - 2 * server.mss(), 100);
		assertThat(sent).extracting(WireSegment::frg).containsExactly(3, 2, 1, 0, 0);

		Kcp client = new Kcp(CONV, new Wire());
		for (byte[] datagram : datagrams) {
			input(client, datagram, 1010);
		}
		assertThat(client.receive()).isEqualTo(reply);
		assertThat(client.receive()).isEqualTo(bytes(7, 100));

		// Only the conversation's first segment: later messages are cut at the mss as always.
		server.send(new byte[2000]);
		server.flush(1020);
		assertThat(wire.segments()).extracting(WireSegment::len).containsExactly(server.mss(), 2000 - server.mss());
		server.setFirstSegmentLimit(24);
		server.send(new byte[100]);
		server.flush(1030);
		assertThat(wire.segments()).extracting(WireSegment::len).as("set too late: nothing changes").contains(100);
	}

	@Test
	void aLimitedFirstSegmentIsNotToppedUpInStreamModeNorSplitWhenTheMessageIsAsLargeAsAllowed() {
		Wire wire = new Wire();
		Kcp stream = new Kcp(CONV, wire);
		stream.setNoDelay(1, 10, 2, true);
		stream.setStream(true);
		stream.setFirstSegmentLimit(24);
		stream.send(bytes(1, 10));
		stream.send(bytes(2, 2000));
		stream.flush(1000);
		assertThat(wire.segments()).extracting(WireSegment::len).containsExactly(24, stream.mss(),
				2010 - 24 - stream.mss());

		// The largest message a peer reassembles (127 fragments at a receive window of 128) keeps its fragments.
		Kcp messages = new Kcp(CONV, wire);
		messages.setNoDelay(1, 10, 2, true);
		messages.setWindowSize(1024, 128);
		messages.setFirstSegmentLimit(24);
		messages.send(new byte[messages.maxMessageSize()]);
		messages.flush(1000);
		List<WireSegment> fragments = wire.segments();
		assertThat(fragments).hasSize(127).allSatisfy((segment) -> assertThat(segment.len()).isEqualTo(messages.mss()));
	}

}
