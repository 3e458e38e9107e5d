package io.github.kcp.core.connection;

import java.time.Duration;
import java.util.List;

import io.github.kcp.core.connection.KcpConnectionCloseTest.Pair;
import io.github.kcp.core.connection.VirtualNetwork.Endpoint;
import io.github.kcp.core.connection.VirtualNetwork.Raw;
import io.github.kcp.core.connection.VirtualNetwork.Sent;
import io.github.kcp.core.protocol.KcpCodec;
import org.junit.jupiter.api.Test;

import static io.github.kcp.core.connection.KcpConnectionCloseTest.CONV;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.FAST;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.message;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.pair;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flush pacing, in virtual time ({@link FlushPacing}): with eager flushing, data leaves in the millisecond it is
 * sent — a second full flush in one millisecond waits a millisecond only while much is in flight; acknowledgements of
 * data received in order leave at most once per ack delay, those of data out of order at once; without eager
 * flushing, data waits for the interval tick; a receive window that reopens is announced at once.
 */
class KcpConnectionPacingTest {

	/** Ticks far apart, so that no interval tick flushes in the window a test looks at. */
	private static final KcpConfig SLOW_TICKS = FAST.toBuilder().interval(100).ackDelay(Duration.ofMillis(5)).build();

	@Test
	void eagerFlushSendsDataAndAcknowledgementsInTheMillisecondTheyAreReady() {
		VirtualNetwork net = new VirtualNetwork(21);
		Pair pair = pair(net, FAST);
		net.advance(5);
		long sentAt = net.now();
		pair.a().session.send(message(1, 100));

		net.runUntil("acknowledged", 1000, () -> pair.a().session.acknowledged == 1);

		List<Sent> pushes = net.sent("a", KcpCodec.CMD_PUSH);
		assertThat(pushes).hasSize(1);
		assertThat(pushes.get(0).at()).isEqualTo(sentAt);
		List<Sent> acks = net.sent("b", KcpCodec.CMD_ACK);
		assertThat(acks).hasSize(1);
		assertThat(acks.get(0).at()).as("acknowledged on arrival, not at the next tick").isEqualTo(sentAt + 20);
		assertThat(net.now()).isEqualTo(sentAt + 40);
	}

	@Test
	void aSendInTheMillisecondOfAnotherFlushLeavesAtOnceWhileLittleIsInFlight() {
		VirtualNetwork net = new VirtualNetwork(22);
		Pair pair = pair(net, FAST);
		pair.a().session.send(message(0, 100));
		net.runUntil("warmed up", 1000, () -> pair.a().session.acknowledged == 1);
		net.advance(1);
		net.runUntil("between ticks", 100, () -> pair.a().session.connection.pollTimeout() - net.now() >= 3);
		long t = net.now();
		pair.a().session.send(message(1, 100));
		pair.a().session.send(message(2, 100));

		net.runUntil("both acknowledged", 1000, () -> pair.a().session.acknowledged == 3);

		List<Sent> pushes = net.sent("a", KcpCodec.CMD_PUSH);
		pushes = pushes.subList(1, pushes.size());
		assertThat(pushes).extracting(Sent::at).containsExactly(t, t);
		assertThat(pushes).allSatisfy((push) -> assertThat(push.count(KcpCodec.CMD_PUSH)).isEqualTo(1));
	}

	@Test
	void aBusySendersSecondFullFlushInOneMillisecondWaitsForTheNext() {
		VirtualNetwork net = new VirtualNetwork(22);
		Pair pair = pair(net, FAST);
		pair.a().session.send(message(0, 100));
		net.runUntil("warmed up", 1000, () -> pair.a().session.acknowledged == 1);
		net.advance(1);
		net.runUntil("between ticks", 100, () -> pair.a().session.connection.pollTimeout() - net.now() >= 3);
		long t = net.now();
		int cheap = FlushPacing.CHEAP_FLUSH_SEGMENTS;
		int sends = cheap + 8;
		for (int i = 1; i <= sends; i++) {
			pair.a().session.send(message(i, 100));
		}

		net.runUntil("all acknowledged", 1000, () -> pair.a().session.acknowledged == sends + 1);

		List<Sent> pushes = net.sent("a", KcpCodec.CMD_PUSH);
		pushes = pushes.subList(1, pushes.size());
		// While at most CHEAP_FLUSH_SEGMENTS are in flight, each send flushes at once (one segment per datagram);
		// then the rest waits for one full flush a millisecond later.
		assertThat(pushes).hasSize(cheap + 2);
		assertThat(pushes.subList(0, cheap + 1)).allSatisfy((push) -> {
			assertThat(push.at()).isEqualTo(t);
			assertThat(push.count(KcpCodec.CMD_PUSH)).isEqualTo(1);
		});
		Sent last = pushes.get(cheap + 1);
		assertThat(last.at()).isEqualTo(t + 1);
		assertThat(last.count(KcpCodec.CMD_PUSH)).isEqualTo(sends - cheap - 1);
	}

	@Test
	void acknowledgementsOfDataInOrderLeaveAtMostOncePerAckDelay() {
		VirtualNetwork net = new VirtualNetwork(23);
		Endpoint b = net.endpoint("b", "raw", CONV, SLOW_TICKS);
		Raw raw = net.raw("raw");
		raw.send("b", push(0, "zero"));
		net.advance(10);
		net.runUntil("between ticks", 1000, () -> b.session.connection.pollTimeout() - net.now() >= 10);
		long t = net.now();
		for (int sn = 1; sn <= 4; sn++) {
			raw.send("b", push(sn, "data " + sn));
		}

		net.advance(8);

		assertThat(b.session.messages).hasSize(5);
		List<Sent> acks = net.sent("b", KcpCodec.CMD_ACK);
		acks = acks.subList(1, acks.size());
		// The first after a quiet spell at once; the other three together once the ack delay has run.
		assertThat(acks).extracting(Sent::at).containsExactly(t, t + 5);
		assertThat(ackedSequences(acks.get(0))).containsExactly(1);
		// Tuned mode trims acknowledgements below rcv_nxt but the latest: una = 5 says the rest.
		assertThat(ackedSequences(acks.get(1))).containsExactly(4);
		assertThat(KcpCodec.readInt(acks.get(1).data(), 16)).as("una").isEqualTo(5);
		assertThat(b.session.connection.stats().trimmedAcks()).isEqualTo(2);
		assertThat(b.session.zeroDelayTimers).isZero();
	}

	@Test
	void acknowledgementsOfDataOutOfOrderLeaveAtOnce() {
		VirtualNetwork net = new VirtualNetwork(23);
		Endpoint b = net.endpoint("b", "raw", CONV, SLOW_TICKS);
		Raw raw = net.raw("raw");
		raw.send("b", push(0, "zero"));
		net.advance(10);
		net.runUntil("between ticks", 1000, () -> b.session.connection.pollTimeout() - net.now() >= 10);
		long t = net.now();
		raw.send("b", push(1, "one"));
		raw.send("b", push(2, "two"));
		raw.send("b", push(4, "four, after a gap"));

		net.advance(1);

		List<Sent> acks = net.sent("b", KcpCodec.CMD_ACK);
		acks = acks.subList(1, acks.size());
		// sn 1 at once (first after a quiet spell), sn 2 held back, sn 4 (a gap) at once; sn 2's acknowledgement is
		// trimmed from it, since its una (3) says as much.
		assertThat(acks).extracting(Sent::at).containsExactly(t, t);
		assertThat(ackedSequences(acks.get(0))).containsExactly(1);
		assertThat(ackedSequences(acks.get(1))).containsExactly(4);
		assertThat(KcpCodec.readInt(acks.get(1).data(), 16)).as("una").isEqualTo(3);
	}

	@Test
	void withAZeroAckDelayEveryBurstIsAcknowledgedAtOnce() {
		VirtualNetwork net = new VirtualNetwork(23);
		Endpoint b = net.endpoint("b", "raw", CONV, SLOW_TICKS.toBuilder().ackDelay(Duration.ZERO).build());
		Raw raw = net.raw("raw");
		raw.send("b", push(0, "zero"));
		net.advance(10);
		net.runUntil("between ticks", 1000, () -> b.session.connection.pollTimeout() - net.now() >= 10);
		long t = net.now();
		for (int sn = 1; sn <= 3; sn++) {
			raw.send("b", push(sn, "data " + sn));
		}

		net.advance(1);

		List<Sent> acks = net.sent("b", KcpCodec.CMD_ACK);
		acks = acks.subList(1, acks.size());
		assertThat(acks).extracting(Sent::at).containsExactly(t, t, t);
	}

	@Test
	void withoutEagerFlushDataWaitsForTheIntervalTick() {
		VirtualNetwork net = new VirtualNetwork(24);
		Pair pair = pair(net, FAST.toBuilder().eagerFlush(false).interval(100).build());
		// The engine's first update flushes at once and starts its ticks.
		pair.a().session.send(message(1, 10));
		long firstTick = net.now();
		net.runUntil("acknowledged", 1000, () -> pair.a().session.acknowledged == 1);
		net.advance(30 - (net.now() - firstTick));

		pair.a().session.send(message(2, 10));
		net.runUntil("sent", 1000, () -> net.sent("a", KcpCodec.CMD_PUSH).size() == 2);

		assertThat(net.sent("a", KcpCodec.CMD_PUSH).get(1).at() - firstTick).as("the next tick")
			.isEqualTo(100);
	}

	@Test
	void aReceiveWindowThatReopensIsAnnouncedAtOnce() {
		VirtualNetwork net = new VirtualNetwork(25);
		Pair pair = pair(net, FAST.toBuilder().windowSize(128, 128).build());
		pair.b().session.pause();
		for (int i = 0; i < 200; i++) {
			pair.a().session.send(message(i, 100));
		}
		// The reader does not read: its receive queue fills and its window closes, the sender waits.
		net.runUntil("window closed", 10_000, () -> pair.a().session.connection.stats().remoteWindow() == 0);
		net.advance(500);
		assertThat(pair.b().session.messages).isEmpty();
		assertThat(pair.a().session.acknowledged).isLessThan(200);
		int fromReader = net.sent().stream().filter((s) -> s.from().equals("b")).toList().size();

		long resumed = net.now();
		pair.b().session.resume();

		List<Sent> announced = net.sent().stream().filter((s) -> s.from().equals("b")).toList();
		assertThat(announced).hasSizeGreaterThan(fromReader);
		Sent first = announced.get(fromReader);
		assertThat(first.at()).isEqualTo(resumed);
		assertThat(KcpCodec.readShort(first.data(), 6)).as("the window it announces").isPositive();
		net.runUntil("all delivered and acknowledged", 10_000,
				() -> pair.b().session.messages.size() == 200 && pair.a().session.acknowledged == 200);
	}

	/** The sequence numbers the ACK segments of a datagram acknowledge. */
	static List<Integer> ackedSequences(Sent datagram) {
		List<Integer> sequences = new java.util.ArrayList<>();
		byte[] data = datagram.data();
		int position = 0;
		while (data.length - position >= KcpCodec.OVERHEAD) {
			if ((data[position + 4] & 0xff) == KcpCodec.CMD_ACK) {
				sequences.add(KcpCodec.readInt(data, position + 12));
			}
			position += KcpCodec.OVERHEAD + KcpCodec.readInt(data, position + 20);
		}
		return sequences;
	}

	/** A one-segment datagram of conversation {@link KcpConnectionCloseTest#CONV} carrying {@code text}. */
	static byte[] push(int sn, String text) {
		byte[] payload = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
		byte[] datagram = new byte[KcpCodec.OVERHEAD + payload.length];
		KcpCodec.writeHeader(datagram, 0, CONV, KcpCodec.CMD_PUSH, 0, 128, 0, sn, 0, payload.length);
		System.arraycopy(payload, 0, datagram, KcpCodec.OVERHEAD, payload.length);
		return datagram;
	}

}
