package io.github.kcp.core.connection;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.VirtualNetwork.Endpoint;
import io.github.kcp.core.connection.VirtualNetwork.Sent;
import io.github.kcp.core.protocol.KcpCodec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The close handshake, in virtual time: a graceful close delivers and gets acknowledged everything first, then tells
 * the peer within one way; lost signals are resent one retransmission timeout (at least 50 ms) apart, five times at
 * most; abort and the close timeout fail what is unacknowledged and still tell the peer. The signal goes only to a
 * peer that offered the handshake itself: a standard peer, or one never heard from, is sent nothing it would not
 * understand and times out on its own.
 */
class KcpConnectionCloseTest {

	static final int CONV = 0x1234_5678;

	static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).windowSize(256, 256).build();

	private static final long ONE_WAY = 20;

	@Test
	void gracefulCloseDeliversEverythingThenTellsThePeerOneWayLater() {
		VirtualNetwork net = new VirtualNetwork(1);
		Pair pair = pair(net, FAST);
		Endpoint a = pair.a();
		Endpoint b = pair.b();
		for (int i = 0; i < 100; i++) {
			a.session.send(message(i, 200));
		}
		a.session.close();
		assertThat(a.session.connection.canSend()).isFalse();

		net.runUntil("both closed", 10_000, () -> a.session.closed != null && b.session.closed != null);

		assertThat(b.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(a.session.closed).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(b.session.messages).hasSize(100);
		for (int i = 0; i < 100; i++) {
			assertThat(b.session.messages.get(i)).isEqualTo(message(i, 200));
		}
		assertThat(a.session.acknowledged).isEqualTo(100);
		assertThat(a.session.failedSends).isZero();
		// One signal, sent once the last data was acknowledged (it carries sn == una), answered one round trip later.
		List<Sent> closes = signals(net, "a", KcpCodec.CMD_CLOSE);
		assertThat(closes).hasSize(1);
		Sent close = closes.get(0);
		assertThat(KcpCodec.readInt(close.data(), 12)).as("its sn: every one of the 100 segments went before it")
			.isEqualTo(100);
		assertThat(close.at()).as("not before the last acknowledgement arrived")
			.isGreaterThanOrEqualTo(net.sent("b", KcpCodec.CMD_ACK).get(net.sent("b", KcpCodec.CMD_ACK).size() - 1).at()
					+ ONE_WAY);
		assertThat(b.session.closedAt).isEqualTo(close.at() + ONE_WAY);
		assertThat(a.session.closedAt).isEqualTo(close.at() + 2 * ONE_WAY);
		assertThat(signals(net, "b", KcpCodec.CMD_CLOSE_ACK)).hasSize(1);
	}

	@Test
	void aLostCloseSignalIsResentOneRetransmissionTimeoutLater() {
		VirtualNetwork net = new VirtualNetwork(2);
		Pair pair = pair(net, FAST);
		Endpoint a = pair.a();
		Endpoint b = pair.b();
		a.session.send(message(1, 100));
		net.runUntil("acknowledged", 1000, () -> a.session.acknowledged == 1);
		AtomicInteger dropped = new AtomicInteger();
		a.link.drop((sent) -> sent.isSignal(KcpCodec.CMD_CLOSE) && dropped.getAndIncrement() < 2);
		int rto = a.session.connection.stats().rto();

		a.session.close();
		net.runUntil("both closed", 10_000, () -> a.session.closed != null && b.session.closed != null);

		List<Sent> closes = signals(net, "a", KcpCodec.CMD_CLOSE);
		assertThat(closes).hasSize(3);
		long interval = Math.max(rto, KcpConnection.MIN_CLOSE_SIGNAL_INTERVAL);
		assertThat(closes.get(1).at() - closes.get(0).at()).isEqualTo(interval);
		assertThat(closes.get(2).at() - closes.get(1).at()).isEqualTo(interval);
		assertThat(b.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(b.session.closedAt).isEqualTo(closes.get(2).at() + ONE_WAY);
		assertThat(a.session.closed).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(a.session.closedAt).isEqualTo(closes.get(2).at() + 2 * ONE_WAY);
	}

	@Test
	void lostConfirmationsCostFiveSignalsAtMostThenTheCloseCompletes() {
		VirtualNetwork net = new VirtualNetwork(3);
		Pair pair = pair(net, FAST);
		Endpoint a = pair.a();
		Endpoint b = pair.b();
		exchangeOffers(net, pair);
		b.link.drop((sent) -> sent.isSignal(KcpCodec.CMD_CLOSE_ACK));

		a.session.close();
		net.runUntil("both closed", 10_000, () -> a.session.closed != null && b.session.closed != null);

		// The peer closed at the first signal and ignores the rest; we give up after the fifth.
		assertThat(b.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
		List<Sent> closes = signals(net, "a", KcpCodec.CMD_CLOSE);
		assertThat(closes).hasSize(KcpConnection.CLOSE_SIGNAL_ATTEMPTS);
		assertThat(b.session.closedAt).isEqualTo(closes.get(0).at() + ONE_WAY);
		assertThat(a.session.closed).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(a.session.closedAt).isEqualTo(closes.get(4).at());
		// Four waits of max(rto, 50 ms): bounded whatever the peer does.
		assertThat(a.session.closedAt - closes.get(0).at()).isBetween(4L * KcpConnection.MIN_CLOSE_SIGNAL_INTERVAL,
				4L * 200);
	}

	@Test
	void aStandardPeerIsSentNothingItDoesNotKnowAndTimesOutOnItsOwn() {
		VirtualNetwork net = new VirtualNetwork(4);
		KcpConfig standardConfig = FAST.toBuilder().idleTimeout(Duration.ofSeconds(2)).build();
		Endpoint a = net.endpoint("a", "b", CONV, FAST);
		Endpoint b = net.endpoint("b", "a", CONV, standardConfig);
		b.session.standardPeer = true;
		a.link.delay(ONE_WAY);
		b.link.delay(ONE_WAY);
		a.session.send(message(7, 50));
		b.session.send(message(8, 50));
		net.runUntil("delivered and acknowledged", 1000, () -> b.session.messages.size() == 1
				&& a.session.acknowledged == 1 && a.session.messages.size() == 1 && b.session.acknowledged == 1);

		long closing = net.now();
		a.session.close();
		net.runUntil("we closed", 10_000, () -> a.session.closed != null);
		// Nothing to drain: closed at once, without a word the peer would not understand.
		assertThat(a.session.closed).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(a.session.closedAt).isEqualTo(closing);
		assertThat(net.sent().stream().filter((d) -> d.from().equals("a")))
			.as("every datagram we sent is standard KCP (commands 81..84), our offers standard window announcements")
			.allSatisfy((d) -> assertThat(onlyStandardCommands(d.data())).isTrue());
		assertThat(signals(net, "a", KcpCodec.CMD_CLOSE)).isEmpty();

		net.runUntil("the peer timed out", 10_000, () -> b.session.closed != null);
		assertThat(b.session.closed).isEqualTo(CloseReason.IDLE_TIMEOUT);
		assertThat(b.session.messages).containsExactly(message(7, 50));
	}

	@Test
	void aClientThatSendsABurstAndClosesIsHeardByTheServerEvenIfTheFirstAnswersAreLost() {
		VirtualNetwork net = new VirtualNetwork(16);
		VirtualNetwork.Server server = net.server("server", FAST, new SessionLimits<>(10, 0), 60_000);
		server.link.delay(ONE_WAY);
		// The server's first two datagrams carrying an answer to our offer are lost: we offer again 50 ms later.
		AtomicInteger lostAnswers = new AtomicInteger();
		server.link.drop((sent) -> CloseSignalOffer.isMarked(sent.data(), 0, sent.data().length)
				&& lostAnswers.getAndIncrement() < 2);
		Endpoint client = net.endpoint("client", "server", CONV, FAST);
		client.link.delay(ONE_WAY);
		// A burst: many datagrams leave before any answer can come back.
		for (int i = 0; i < 100; i++) {
			client.session.send(message(i, 200));
		}
		client.session.close();
		net.runUntil("both closed", 10_000,
				() -> client.session.closed != null && !server.opened.isEmpty() && server.opened.get(0).closed != null);
		assertThat(lostAnswers.get()).isGreaterThanOrEqualTo(2);
		assertThat(server.opened.get(0).closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(server.opened.get(0).messages).hasSize(100);
		assertThat(client.session.closed).isEqualTo(CloseReason.CLOSED_LOCALLY);
		// Offers spread over time, never more than eight.
		List<Sent> offers = net.sent().stream()
			.filter((d) -> d.from().equals("client") && CloseSignalOffer.isMarked(d.data(), 0, d.data().length))
			.toList();
		assertThat(offers).hasSizeBetween(2, CloseSignalOffer.MAX_OFFERS);
		for (int i = 1; i < offers.size(); i++) {
			assertThat(offers.get(i).at() - offers.get(i - 1).at()).isGreaterThanOrEqualTo(CloseSignalOffer.OFFER_INTERVAL);
		}
	}

	@Test
	void aPeerNeverHeardFromIsNotToldButOneThatOfferedIsToldPromptly() {
		VirtualNetwork net = new VirtualNetwork(14);
		Pair pair = pair(net, FAST);
		Endpoint a = pair.a();
		Endpoint b = pair.b();
		// Our first datagrams offer the handshake; until the peer answers, we do not know it understands it.
		b.link.cut(true);
		a.session.send(message(1, 10));
		net.advance(100);
		a.session.abort();
		assertThat(a.session.connection.peerUnderstandsCloseSignal()).isFalse();
		assertThat(signals(net, "a", KcpCodec.CMD_CLOSE)).isEmpty();
		assertThat(net.sent("a", KcpCodec.CMD_PUSH)).as("the offer rode on our data")
			.anySatisfy((d) -> assertThat(CloseSignalOffer.isMarked(d.data(), 0, d.data().length)).isTrue());

		VirtualNetwork net2 = new VirtualNetwork(15);
		Pair pair2 = pair(net2, FAST);
		exchangeOffers(net2, pair2);
		assertThat(pair2.a().session.connection.peerUnderstandsCloseSignal()).isTrue();
		assertThat(pair2.b().session.connection.peerUnderstandsCloseSignal()).isTrue();
		long aborted = net2.now();
		pair2.b().session.abort();
		net2.runUntil("the peer heard", 1000, () -> pair2.a().session.closed != null);
		assertThat(pair2.a().session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(pair2.a().session.closedAt).isEqualTo(aborted + ONE_WAY);
	}

	@Test
	void abortFailsWhatIsUnacknowledgedAndTellsThePeerAtOnce() {
		VirtualNetwork net = new VirtualNetwork(5);
		Pair pair = pair(net, FAST);
		Endpoint a = pair.a();
		Endpoint b = pair.b();
		a.session.send(message(1, 100));
		net.runUntil("acknowledged", 1000, () -> a.session.acknowledged == 1);
		// From now on nothing the peer sends reaches us: the next send can never be acknowledged.
		b.link.cut(true);
		a.session.send(message(2, 100));
		net.runUntil("the data left", 100, () -> net.sent("a", KcpCodec.CMD_PUSH).size() == 2);
		long aborted = net.now();

		a.session.abort();

		assertThat(a.session.closed).as("at once").isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(a.session.closedAt).isEqualTo(aborted);
		assertThat(a.session.failedSends).isEqualTo(1);
		net.runUntil("the peer heard", 1000, () -> b.session.closed != null);
		assertThat(b.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(b.session.closedAt).isEqualTo(aborted + ONE_WAY);
		// The signal came after the data, which the peer delivered first.
		assertThat(b.session.messages).hasSize(2);
	}

	@Test
	void theCloseTimeoutBoundsADrainThatCannotFinish() {
		VirtualNetwork net = new VirtualNetwork(6);
		KcpConfig config = FAST.toBuilder().closeTimeout(Duration.ofMillis(500)).build();
		Endpoint a = net.endpoint("a", "b", CONV, config);
		Endpoint b = net.endpoint("b", "a", CONV, config);
		a.link.delay(ONE_WAY);
		b.link.delay(ONE_WAY);
		exchangeOffers(net, new Pair(a, b));
		b.link.cut(true);
		a.session.send(message(1, 100));
		long closing = net.now();

		a.session.close();
		net.runUntil("closed", 10_000, () -> a.session.closed != null);

		assertThat(a.session.closedAt - closing).isEqualTo(500);
		assertThat(a.session.closed).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(a.session.failedSends).isEqualTo(1);
		// Still draining when the time was up: the peer (which offered the handshake) is told.
		List<Sent> closes = signals(net, "a", KcpCodec.CMD_CLOSE);
		assertThat(closes).hasSize(1);
		assertThat(closes.get(0).at()).isEqualTo(closing + 500);
		net.runUntil("the peer heard", 1000, () -> b.session.closed != null);
		assertThat(b.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
	}

	@Test
	void bothEndsClosingAtOnceBothReportTheirOwnClose() {
		VirtualNetwork net = new VirtualNetwork(7);
		Pair pair = pair(net, FAST);
		Endpoint a = pair.a();
		Endpoint b = pair.b();
		exchangeOffers(net, pair);
		a.session.close();
		b.session.close();
		net.runUntil("both closed", 10_000, () -> a.session.closed != null && b.session.closed != null);
		assertThat(a.session.closed).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(b.session.closed).isEqualTo(CloseReason.CLOSED_LOCALLY);
		assertThat(a.session.closedAt).isEqualTo(net.sent("a", KcpCodec.CMD_CLOSE).get(0).at() + ONE_WAY);
	}

	@Test
	void aPeersCloseDeliversEveryMessageEvenWhileReadingIsPaused() {
		VirtualNetwork net = new VirtualNetwork(8);
		Pair pair = pair(net, FAST);
		Endpoint a = pair.a();
		Endpoint b = pair.b();
		b.session.pause();
		for (int i = 0; i < 10; i++) {
			a.session.send(message(i, 300));
		}
		a.session.close();
		net.runUntil("both closed", 10_000, () -> a.session.closed != null && b.session.closed != null);
		assertThat(b.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThat(b.session.messages).hasSize(10);
		assertThat(a.session.acknowledged).isEqualTo(10);
	}

	@Test
	void aPacketStageThatFailsClosesWithErrorAndSendsNothingMore() {
		VirtualNetwork net = new VirtualNetwork(9);
		Pair pair = pair(net, FAST);
		Endpoint a = pair.a();
		Endpoint b = pair.b();
		a.session.send(message(1, 10));
		net.runUntil("acknowledged", 1000, () -> a.session.acknowledged == 1);
		int sentBefore = net.sent().stream().filter((s) -> s.from().equals("a")).toList().size();

		a.session.failSink = true;
		a.session.send(message(2, 10));
		net.runUntil("closed", 100, () -> a.session.closed != null);

		assertThat(a.session.closed).isEqualTo(CloseReason.ERROR);
		assertThat(a.session.connection.closeCause()).hasMessage("simulated cipher failure");
		assertThat(a.session.failedSends).isEqualTo(1);
		assertThat(a.session.connection.stats().droppedDatagrams(DropReason.ENCRYPT_FAILED)).isEqualTo(1);
		net.advance(5_000);
		assertThat(net.sent().stream().filter((s) -> s.from().equals("a")).toList()).hasSize(sentBefore);
		assertThat(b.session.closed).as("not told: the signal would have to pass the failing stage").isNull();
	}

	// ---------------------------------------------------------------- helpers

	/** Two connected endpoints "a" and "b", {@link #ONE_WAY} ms apart. */
	static Pair pair(VirtualNetwork net, KcpConfig config) {
		Endpoint a = net.endpoint("a", "b", CONV, config);
		Endpoint b = net.endpoint("b", "a", CONV, config);
		a.link.delay(ONE_WAY);
		b.link.delay(ONE_WAY);
		return new Pair(a, b);
	}

	record Pair(Endpoint a, Endpoint b) {
	}

	/** One message each way, so that both ends have seen the other's close-signal offer. */
	static void exchangeOffers(VirtualNetwork net, Pair pair) {
		int aSent = pair.a().session.sends;
		int bSent = pair.b().session.sends;
		pair.a().session.send(new byte[] { 1 });
		pair.b().session.send(new byte[] { 2 });
		net.runUntil("offers exchanged", 1000, () -> pair.a().session.acknowledged == aSent + 1
				&& pair.b().session.acknowledged == bSent + 1
				&& pair.a().session.connection.peerUnderstandsCloseSignal()
				&& pair.b().session.connection.peerUnderstandsCloseSignal());
		pair.a().session.messages.clear();
		pair.b().session.messages.clear();
	}

	/** Whether every segment of a datagram has one of the four commands of standard KCP. */
	static boolean onlyStandardCommands(byte[] data) {
		int position = 0;
		while (data.length - position >= KcpCodec.OVERHEAD) {
			if (!KcpCodec.isKnownCommand(data[position + 4] & 0xff)) {
				return false;
			}
			position += KcpCodec.OVERHEAD + KcpCodec.readInt(data, position + 20);
		}
		return position == data.length;
	}

	static List<Sent> signals(VirtualNetwork net, String from, int cmd) {
		return net.sent().stream().filter((s) -> s.from().equals(from) && s.isSignal(cmd)).toList();
	}

	static byte[] message(int index, int size) {
		ByteBuffer buffer = ByteBuffer.allocate(size);
		buffer.putInt(index);
		while (buffer.hasRemaining()) {
			buffer.put((byte) (index * 31 + buffer.position()));
		}
		return buffer.array();
	}

}
