package io.github.kcp.core.connection;

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
 * Flush pacing, in virtual time ({@link FlushPacing}): with eager flushing, data and acknowledgements leave in the
 * millisecond they are ready, full flushes at most once per millisecond (a second one in the same millisecond sends
 * the acknowledgements at once and the data a millisecond later); without it, data waits for the interval tick; a
 * receive window that reopens is announced at once.
 */
class KcpConnectionPacingTest {

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
	void aSecondFlushInTheSameMillisecondSendsItsDataOneMillisecondLater() {
		VirtualNetwork net = new VirtualNetwork(22);
		Pair pair = pair(net, FAST);
		pair.a().session.send(message(0, 100));
		net.runUntil("warmed up", 1000, () -> pair.a().session.acknowledged == 1);
		// In a millisecond of its own (the acknowledgement's arrival flushed in the last one), between two interval
		// ticks of the engine (a tick flushes everything anyway).
		net.advance(1);
		net.runUntil("between ticks", 100, () -> pair.a().session.connection.pollTimeout() - net.now() >= 3);
		long t = net.now();
		pair.a().session.send(message(1, 100));
		pair.a().session.send(message(2, 100));

		net.runUntil("both acknowledged", 1000, () -> pair.a().session.acknowledged == 3);

		List<Sent> pushes = net.sent("a", KcpCodec.CMD_PUSH);
		pushes = pushes.subList(1, pushes.size());
		assertThat(pushes).extracting(Sent::at).containsExactly(t, t + 1);
		assertThat(pushes).allSatisfy((push) -> assertThat(push.count(KcpCodec.CMD_PUSH)).isEqualTo(1));
	}

	@Test
	void acknowledgementsOfASecondDatagramInTheSameMillisecondLeaveAtOnce() {
		VirtualNetwork net = new VirtualNetwork(23);
		Endpoint b = net.endpoint("b", "raw", CONV, FAST);
		Raw raw = net.raw("raw");
		net.advance(5);
		long t = net.now();
		raw.send("b", push(0, "one"));
		raw.send("b", push(1, "two"));

		net.advance(10);

		assertThat(b.session.messages).hasSize(2);
		List<Sent> acks = net.sent("b", KcpCodec.CMD_ACK);
		assertThat(acks).hasSize(2);
		assertThat(acks).extracting(Sent::at).containsExactly(t, t);
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

	/** A one-segment datagram of conversation {@link KcpConnectionCloseTest#CONV} carrying {@code text}. */
	static byte[] push(int sn, String text) {
		byte[] payload = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
		byte[] datagram = new byte[KcpCodec.OVERHEAD + payload.length];
		KcpCodec.writeHeader(datagram, 0, CONV, KcpCodec.CMD_PUSH, 0, 128, 0, sn, 0, payload.length);
		System.arraycopy(payload, 0, datagram, KcpCodec.OVERHEAD, payload.length);
		return datagram;
	}

}
