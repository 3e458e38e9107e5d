package io.github.kcp.core.connection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Admission and demultiplexing without sockets, on a virtual clock: what may open a conversation, the session cap,
 * the admission rate (exact, now that time is a parameter), a flood from one address, the memory of closed
 * conversations and its answers, the server-wide stop, and the policy seam.
 */
class ConversationTableTest {

	private static final KcpConfig CONFIG = KcpConfig.defaults();

	private long now = 5_000_000;

	/** The session objects the table holds (it removes only the one it holds, by identity). */
	private final Map<String, String> sessions = new HashMap<>();

	private final Map<String, KcpConnection> connections = new HashMap<>();

	@Test
	void onlyAWellFormedDatagramCarryingDataOpensAConversation() {
		ConversationTable<String, String> table = table(new SessionLimits<>(10, 0));
		byte[] push = segment(7, KcpCodec.CMD_PUSH, 0, new byte[] { 1, 2 });
		Random random = new Random(3);
		for (int i = 0; i < 500; i++) {
			byte[] garbage = new byte[KcpCodec.OVERHEAD + random.nextInt(200)];
			random.nextBytes(garbage);
			// A random header is a known command with a fitting length and one conversation only by rare chance.
			Verdict verdict = admit(table, "attacker", garbage);
			assertThat(verdict.admitted() && !containsPushOfOneConversation(garbage)).isFalse();
		}
		assertThat(admit(table, "a", java.util.Arrays.copyOf(push, 30))).isEqualTo(Verdict.drop(DropReason.MALFORMED));
		assertThat(admit(table, "a", concat(push, segment(8, KcpCodec.CMD_PUSH, 1, new byte[1]))))
			.as("two conversations").isEqualTo(Verdict.drop(DropReason.MALFORMED));
		assertThat(admit(table, "a", concat(push, segment(7, 99, 1, new byte[0])))).as("unknown command after data")
			.isEqualTo(Verdict.drop(DropReason.MALFORMED));
		assertThat(admit(table, "a", withLength(push, 100))).isEqualTo(Verdict.drop(DropReason.MALFORMED));
		assertThat(admit(table, "a", withLength(push, -1))).isEqualTo(Verdict.drop(DropReason.MALFORMED));
		for (int cmd : new int[] { KcpCodec.CMD_ACK, KcpCodec.CMD_WASK, KcpCodec.CMD_WINS }) {
			assertThat(admit(table, "a", segment(7, cmd, 0, new byte[0])))
				.isEqualTo(Verdict.drop(DropReason.NOT_A_NEW_CONVERSATION));
		}
		// Data after an acknowledgement does open one; nothing dropped is ever answered.
		assertThat(admit(table, "a", concat(segment(7, KcpCodec.CMD_ACK, 0, new byte[0]), push)))
			.isEqualTo(Verdict.ADMIT);
		assertThat(table.size()).isZero();
	}

	@Test
	void theSessionCapRefusesNewConversationsUntilOneCloses() {
		ConversationTable<String, String> table = table(new SessionLimits<>(2, 0));
		open(table, "a", 1);
		open(table, "b", 2);
		assertThat(admit(table, "c", push(3))).isEqualTo(Verdict.drop(DropReason.SESSION_LIMIT));
		assertThat(close(table, "a", 1, this.now)).isTrue();
		assertThat(admit(table, "c", push(3))).isEqualTo(Verdict.ADMIT);
	}

	@Test
	void dtlsHandshakesCountLikeConversationsAndPassTheirPlaceToTheConversation() {
		ConversationTable<String, String> table = table(
				new SessionLimits<>(2, 0, 1, 0, java.util.function.Function.identity()));
		assertThat(table.admitHandshake("a", this.now)).isEqualTo(Verdict.ADMIT);
		table.handshakeStarted("a", this.now);
		assertThat(table.handshakes()).isEqualTo(1);
		// The address's one place is taken by its handshake.
		assertThat(table.admitHandshake("a", this.now)).isEqualTo(Verdict.drop(DropReason.ADDRESS_SESSION_LIMIT));
		assertThat(table.admitHandshake("b", this.now)).isEqualTo(Verdict.ADMIT);
		table.handshakeStarted("b", this.now);
		// The server's two places are taken by two handshakes.
		assertThat(table.admitHandshake("c", this.now)).isEqualTo(Verdict.drop(DropReason.SESSION_LIMIT));
		assertThat(admit(table, "c", push(9))).isEqualTo(Verdict.drop(DropReason.SESSION_LIMIT));

		// a's handshake completes: its first datagram opens the conversation without asking the policy again.
		assertThat(table.admitAfterHandshake("a", 5, push(5), 0, push(5).length, this.now)).isEqualTo(Verdict.ADMIT);
		assertThat(table.admitAfterHandshake("a", 5, segment(5, KcpCodec.CMD_ACK, 0, new byte[0]), 0,
				KcpCodec.OVERHEAD, this.now)).isEqualTo(Verdict.drop(DropReason.NOT_A_NEW_CONVERSATION));
		table.addAfterHandshake("a", 5, connection(5), "a/5", this.now);
		assertThat(table.handshakes()).isEqualTo(1);
		assertThat(table.size()).isEqualTo(1);
		assertThat(table.admitHandshake("c", this.now)).isEqualTo(Verdict.drop(DropReason.SESSION_LIMIT));

		// b's handshake fails: its place is free again, and its address may try again.
		table.handshakeEnded("b", this.now);
		assertThat(table.handshakes()).isZero();
		assertThat(table.admitHandshake("b", this.now)).isEqualTo(Verdict.ADMIT);
		table.stopReceiving();
		assertThat(table.admitHandshake("d", this.now)).isEqualTo(Verdict.drop(DropReason.SHUTTING_DOWN));
	}

	@Test
	void theAdmissionRateIsATokenBucketHoldingOneSecondsWorth() {
		ConversationTable<String, String> table = table(new SessionLimits<>(1000, 2));
		// Full at first: two at once, then refill at two per second.
		assertThat(open(table, "p", 1)).isTrue();
		assertThat(open(table, "p", 2)).isTrue();
		assertThat(open(table, "p", 3)).isFalse();
		this.now += 499;
		assertThat(open(table, "p", 3)).isFalse();
		this.now += 1;
		assertThat(open(table, "p", 3)).isTrue();
		this.now += 10_000;
		assertThat(open(table, "p", 4)).isTrue();
		assertThat(open(table, "p", 5)).isTrue();
		assertThat(open(table, "p", 6)).as("never more than a second's worth banked").isFalse();
	}

	@Test
	void aFloodOfConversationsFromOneAddressStopsAtTheCap() {
		ConversationTable<String, String> table = table(new SessionLimits<>(10_000, 0));
		int admitted = 0;
		int refused = 0;
		for (int conv = 1; conv <= 100_000; conv++) {
			if (open(table, "flooder", conv)) {
				admitted++;
			}
			else {
				refused++;
			}
		}
		assertThat(admitted).isEqualTo(10_000);
		assertThat(refused).isEqualTo(90_000);
		assertThat(table.size()).isEqualTo(10_000);
	}

	@Test
	void aClosedConversationIsRememberedAnsweredAndForgottenInTime() {
		ConversationTable<String, String> table = new ConversationTable<>(new SessionLimits<>(10, 0), 60_000, 1024);
		open(table, "peer", 9);
		offerCloseSignal(table, "peer", 9);
		close(table, "peer", 9, this.now);
		assertThat(table.rememberedClosed()).isEqualTo(1);

		// Late data is answered with a close signal (the peer offered the handshake); a late close with a
		// confirmation; a late confirmation not at all.
		assertThat(admit(table, "peer", push(9))).isEqualTo(new Verdict(DropReason.CLOSED_SESSION, KcpCodec.CMD_CLOSE));
		assertThat(admit(table, "peer", signal(9, KcpCodec.CMD_CLOSE)))
			.isEqualTo(new Verdict(DropReason.CLOSED_SESSION, KcpCodec.CMD_CLOSE_ACK));
		assertThat(admit(table, "peer", signal(9, KcpCodec.CMD_CLOSE_ACK)))
			.isEqualTo(Verdict.drop(DropReason.CLOSED_SESSION));
		// The same conversation id from another address is another conversation.
		assertThat(admit(table, "other", push(9))).isEqualTo(Verdict.ADMIT);

		this.now += 59_999;
		assertThat(admit(table, "peer", push(9)).dropReason()).isEqualTo(DropReason.CLOSED_SESSION);
		this.now += 1;
		assertThat(admit(table, "peer", push(9))).isEqualTo(Verdict.ADMIT);
		assertThat(table.rememberedClosed()).isZero();
	}

	@Test
	void aStandardPeerIsNeverAnsweredWithACloseSignalUnlessItSpeaksTheHandshake() {
		ConversationTable<String, String> table = new ConversationTable<>(new SessionLimits<>(10, 0), 60_000, 1024);
		open(table, "standard", 9);
		close(table, "standard", 9, this.now);
		// aiokcp and kcp-netty complain about every datagram of a command they do not know: its late data is
		// dropped silently, and stays closed.
		assertThat(admit(table, "standard", push(9))).isEqualTo(Verdict.drop(DropReason.CLOSED_SESSION));
		// One of ours (its retransmission still offers the handshake) is told; a close is always confirmed.
		assertThat(admit(table, "standard", concat(push(9), offer(9))))
			.isEqualTo(new Verdict(DropReason.CLOSED_SESSION, KcpCodec.CMD_CLOSE));
		assertThat(admit(table, "standard", signal(9, KcpCodec.CMD_CLOSE)))
			.isEqualTo(new Verdict(DropReason.CLOSED_SESSION, KcpCodec.CMD_CLOSE_ACK));
	}

	@Test
	void theMemoryOfClosedConversationsIsBoundedOldestFirst() {
		ConversationTable<String, String> table = new ConversationTable<>(new SessionLimits<>(100, 0), 60_000, 3);
		for (int conv = 1; conv <= 5; conv++) {
			open(table, "p", conv);
			close(table, "p", conv, this.now++);
		}
		assertThat(table.rememberedClosed()).isEqualTo(3);
		assertThat(admit(table, "p", push(1))).isEqualTo(Verdict.ADMIT);
		assertThat(admit(table, "p", push(2))).isEqualTo(Verdict.ADMIT);
		assertThat(admit(table, "p", push(3)).dropReason()).isEqualTo(DropReason.CLOSED_SESSION);
	}

	@Test
	void aLoneCloseSignalOfAnUnknownConversationIsConfirmedAndOpensNothing() {
		ConversationTable<String, String> table = table(new SessionLimits<>(10, 0));
		assertThat(admit(table, "x", signal(4, KcpCodec.CMD_CLOSE)))
			.isEqualTo(new Verdict(DropReason.CLOSED_SESSION, KcpCodec.CMD_CLOSE_ACK));
		assertThat(admit(table, "x", signal(4, KcpCodec.CMD_CLOSE_ACK)))
			.isEqualTo(Verdict.drop(DropReason.CLOSED_SESSION));
	}

	@Test
	void stoppingRefusesNewConversationsAndNewDataOfLiveOnes() {
		ConversationTable<String, String> table = table(new SessionLimits<>(10, 0));
		KcpConnection connection = new KcpConnection(1, CONFIG, 0, this.now, (d, n) -> n);
		table.add("a", 1, connection, "a/1", this.now);
		assertThat(table.isReceiving()).isTrue();

		table.stopReceiving();

		assertThat(connection.isRefusingData()).isTrue();
		assertThat(admit(table, "b", push(2))).isEqualTo(Verdict.drop(DropReason.SHUTTING_DOWN));
		assertThat(table.get("a", 1)).isEqualTo("a/1");
	}

	@Test
	void shutdownClosesEveryConnectionAndAbortsThoseLeftAtTheEndOfTheGracePeriod() {
		ConversationTable<String, String> table = table(new SessionLimits<>(10, 0));
		List<byte[]> wire = new ArrayList<>();
		KcpConnection drained = new KcpConnection(1, CONFIG, 0, this.now, (d, n) -> {
			wire.add(java.util.Arrays.copyOf(d, n));
			return n;
		});
		KcpConnection stuck = new KcpConnection(2, CONFIG, 0, this.now, (d, n) -> n);
		stuck.send(this.now, new byte[10], 0, 10);
		table.add("a", 1, drained, "a/1", this.now);
		table.add("b", 2, stuck, "b/2", this.now);
		byte[] offered = concat(push(1), offer(1));
		drained.handleDatagram(this.now, offered, 0, offered.length, offered.length);
		drained.handleTimeout(this.now);
		assertThat(drained.receive()).containsExactly(1);

		table.shutdown(this.now, 300);

		assertThat(table.isShuttingDown()).isTrue();
		assertThat(drained.canSend()).isFalse();
		assertThat(KcpCodec.closeSignal(wire.get(wire.size() - 1), 0, KcpCodec.OVERHEAD))
			.as("nothing to drain: the close signal left at once").isEqualTo(KcpCodec.CMD_CLOSE);
		assertThat(table.pollTimeout()).isEqualTo(this.now + 300);
		table.handleTimeout(this.now + 299);
		assertThat(stuck.isClosed()).isFalse();
		table.handleTimeout(this.now + 300);
		assertThat(stuck.isClosed()).isTrue();
		assertThat(stuck.closeReason()).isEqualTo(CloseReason.SERVER_SHUTDOWN);
	}

	@Test
	void anAdmissionPolicyPlugsInAndHearsOfEveryOpenAndClose() {
		PerAddressLimit policy = new PerAddressLimit(2);
		ConversationTable<String, String> table = table(policy);
		assertThat(open(table, "greedy", 1)).isTrue();
		assertThat(open(table, "greedy", 2)).isTrue();
		assertThat(open(table, "greedy", 3)).isFalse();
		assertThat(open(table, "polite", 1)).as("others are not affected").isTrue();
		close(table, "greedy", 1, this.now);
		assertThat(policy.open).containsEntry("greedy", 1).containsEntry("polite", 1);
		assertThat(open(table, "greedy", 3)).isTrue();
	}

	@Test
	void aConversationCannotBeAddedTwice() {
		ConversationTable<String, String> table = table(new SessionLimits<>(10, 0));
		open(table, "a", 1);
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> table.add("a", 1, connection(1), "again", this.now));
		assertThat(table.remove("a", 1, "not the session", this.now)).as("only the session it holds").isFalse();
		assertThat(table.get("a", 1)).isEqualTo("a/1");
	}

	@Test
	void aDatagramIsClassifiedInOnePass() {
		byte[] push = segment(5, KcpCodec.CMD_PUSH, 0, new byte[3]);
		assertThat(ConversationTable.FirstDatagram.classify(push, 0, push.length))
			.isEqualTo(ConversationTable.FirstDatagram.DATA);
		byte[] ack = segment(5, KcpCodec.CMD_ACK, 0, new byte[0]);
		assertThat(ConversationTable.FirstDatagram.classify(ack, 0, ack.length))
			.isEqualTo(ConversationTable.FirstDatagram.NO_DATA);
		byte[] close = signal(5, KcpCodec.CMD_CLOSE);
		assertThat(ConversationTable.FirstDatagram.classify(close, 0, close.length))
			.isEqualTo(ConversationTable.FirstDatagram.CLOSE);
		byte[] truncated = concat(push, new byte[10]);
		assertThat(ConversationTable.FirstDatagram.classify(truncated, 0, truncated.length))
			.isEqualTo(ConversationTable.FirstDatagram.MALFORMED);
		// At an offset, as the transport hands datagrams over.
		byte[] padded = concat(new byte[7], push);
		assertThat(ConversationTable.FirstDatagram.classify(padded, 7, push.length))
			.isEqualTo(ConversationTable.FirstDatagram.DATA);
	}

	// ---------------------------------------------------------------- helpers

	private ConversationTable<String, String> table(AdmissionPolicy<String> policy) {
		return new ConversationTable<>(policy, 0, 0);
	}

	private Verdict admit(ConversationTable<String, String> table, String address, byte[] datagram) {
		return table.admit(address, KcpCodec.readConv(datagram, 0), datagram, 0, datagram.length, this.now);
	}

	/** Admits and adds conversation {@code conv} from {@code address}; whether it was let in. */
	private boolean open(ConversationTable<String, String> table, String address, int conv) {
		if (!admit(table, address, push(conv)).admitted()) {
			return false;
		}
		String session = address + "/" + conv;
		this.sessions.put(session, session);
		KcpConnection connection = connection(conv);
		this.connections.put(session, connection);
		table.add(address, conv, connection, session, this.now);
		return true;
	}

	/** Removes a conversation {@link #open} added, with the session object it holds; whether it was there. */
	private boolean close(ConversationTable<String, String> table, String address, int conv, long at) {
		return table.remove(address, conv, this.sessions.get(address + "/" + conv), at);
	}

	private KcpConnection connection(int conv) {
		return new KcpConnection(conv, CONFIG, 0, this.now, (d, n) -> n);
	}

	private static boolean containsPushOfOneConversation(byte[] datagram) {
		return ConversationTable.FirstDatagram.classify(datagram, 0, datagram.length) == ConversationTable.FirstDatagram.DATA;
	}

	static byte[] push(int conv) {
		return segment(conv, KcpCodec.CMD_PUSH, 0, new byte[] { 1 });
	}

	static byte[] segment(int conv, int cmd, int sn, byte[] payload) {
		byte[] datagram = new byte[KcpCodec.OVERHEAD + payload.length];
		KcpCodec.writeHeader(datagram, 0, conv, cmd, 0, 128, 0, sn, 0, payload.length);
		System.arraycopy(payload, 0, datagram, KcpCodec.OVERHEAD, payload.length);
		return datagram;
	}

	/** Our close-signal offer: a marked window announcement. */
	static byte[] offer(int conv) {
		byte[] datagram = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeHeader(datagram, 0, conv, KcpCodec.CMD_WINS, CloseSignalOffer.MARK_FRG, 128, 0,
				CloseSignalOffer.MARK_SN, 0, 0);
		return datagram;
	}

	/** The peer of a live conversation offers the close handshake (one of ours). */
	private void offerCloseSignal(ConversationTable<String, String> table, String address, int conv) {
		byte[] datagram = concat(push(conv), offer(conv));
		KcpConnection connection = this.connections.get(address + "/" + conv);
		connection.handleDatagram(this.now, datagram, 0, datagram.length, datagram.length);
		assertThat(connection.peerUnderstandsCloseSignal()).isTrue();
	}

	static byte[] signal(int conv, int cmd) {
		byte[] datagram = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeCloseSignal(datagram, conv, cmd, 0, 0, 0, 0);
		return datagram;
	}

	static byte[] withLength(byte[] segment, int len) {
		byte[] copy = segment.clone();
		KcpCodec.writeInt(copy, 20, len);
		return copy;
	}

	static byte[] concat(byte[] first, byte[] second) {
		byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
		System.arraycopy(second, 0, both, first.length, second.length);
		return both;
	}

	/** A per-address limit, as the hardening work will plug in. */
	private static final class PerAddressLimit implements AdmissionPolicy<String> {

		final Map<String, Integer> open = new HashMap<>();

		private final int limit;

		PerAddressLimit(int limit) {
			this.limit = limit;
		}

		@Override
		public @Nullable DropReason admit(String address, long now, int openSessions) {
			return (this.open.getOrDefault(address, 0) >= this.limit) ? DropReason.SESSION_LIMIT : null;
		}

		@Override
		public void opened(String address, long now) {
			this.open.merge(address, 1, Integer::sum);
		}

		@Override
		public void closed(String address, long now) {
			this.open.merge(address, -1, Integer::sum);
		}

	}

}
