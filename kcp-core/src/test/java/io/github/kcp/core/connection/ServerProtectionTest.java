package io.github.kcp.core.connection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.github.kcp.core.connection.VirtualNetwork.Endpoint;
import io.github.kcp.core.connection.VirtualNetwork.Raw;
import io.github.kcp.core.connection.VirtualNetwork.Sent;
import io.github.kcp.core.connection.VirtualNetwork.Server;
import io.github.kcp.core.connection.VirtualNetwork.Session;
import io.github.kcp.core.protocol.KcpCodec;
import org.junit.jupiter.api.Test;

import static io.github.kcp.core.connection.KcpConnectionCloseTest.FAST;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.message;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server's defences against hostile peers, in virtual time: unproven peers (those that never acknowledged data the
 * server sent) live under small terms — an anti-amplification limit, a receive budget, a short idle timeout — and are
 * evicted first when the server or their address is full, so that a flood cannot lock out a new client; limits per
 * source address; a memory budget for all sessions that refuses out-of-order data, never in-order delivery.
 */
class ServerProtectionTest {

	private static final long ONE_WAY = 10;

	private static final Duration UNPROVEN_IDLE = Duration.ofSeconds(2);

	private static final ServerProtection PROTECTED = ServerProtection.validating(UNPROVEN_IDLE, 64 << 10, 3,
			64L << 20);

	// ---------------------------------------------------------------- proof and the terms

	@Test
	void aPeerIsUnprovenUntilItAcknowledgesServerDataThenTheTermsLift() {
		VirtualNetwork net = new VirtualNetwork(1);
		Server server = echoServer(net, new SessionLimits<>(100, 0), PROTECTED);
		Endpoint client = client(net, "client", 7);

		client.session.send(message(1, 100));
		net.runUntil("opened", 100, () -> !server.opened.isEmpty());
		Session served = server.opened.get(0);
		assertThat(served.connection.isPeerProven()).isFalse();
		assertThat(server.table.unprovenSessions()).isEqualTo(1);

		net.runUntil("echo acknowledged", 1000, () -> served.acknowledged == 1);
		assertThat(client.session.messages).containsExactly(message(1, 100));
		assertThat(served.connection.isPeerProven()).as("it acknowledged our echo, with our send time").isTrue();
		assertThat(server.table.unprovenSessions()).isZero();

		// Proven: the session idle timeout (600 s) applies, not the unproven one.
		net.advance(3 * UNPROVEN_IDLE.toMillis());
		assertThat(served.closed).isNull();
		client.session.send(message(2, 100));
		net.runUntil("second echo", 1000, () -> client.session.messages.size() == 2);
	}

	@Test
	void anUnprovenSessionClosesAfterTheUnprovenIdleTimeout() {
		VirtualNetwork net = new VirtualNetwork(2);
		// A handler that never replies, and a client that sends once: nothing for the peer to acknowledge, and no
		// later datagram of the client to echo the address challenge in, so it never proves itself.
		Server server = net.server("server", FAST, new SessionLimits<>(100, 0), 60_000, PROTECTED);
		server.link.delay(ONE_WAY);
		Endpoint client = client(net, "client", 8);

		client.session.send(message(1, 100));
		net.runUntil("delivered", 100, () -> !server.opened.isEmpty() && server.opened.get(0).messages.size() == 1);
		Session served = server.opened.get(0);
		long lastHeard = net.now();
		net.runUntil("closed", 10_000, () -> served.closed != null);

		assertThat(served.closed).isEqualTo(CloseReason.IDLE_TIMEOUT);
		assertThat(served.closedAt - lastHeard).isEqualTo(UNPROVEN_IDLE.toMillis());
	}

	// ---------------------------------------------------------------- address challenge

	@Test
	void aPeerThatOnlyUploadsProvesItselfByEchoingTheAddressChallengeAndGetsTheWholeWindow() {
		VirtualNetwork net = new VirtualNetwork(21);
		KcpConfig wide = FAST.toBuilder().sendWindow(1024).receiveWindow(1024).build();
		// A handler that never replies: the client never has server data to acknowledge.
		Server server = net.server("server", wide, new SessionLimits<>(100, 0), 60_000, PROTECTED);
		server.link.delay(ONE_WAY);
		Endpoint client = net.endpoint("client", "server", 11, wide);
		client.link.delay(ONE_WAY);

		long start = net.now();
		for (int i = 0; i < 400; i++) {
			client.session.send(message(i, 1000));
		}
		net.runUntil("opened", 100, () -> !server.opened.isEmpty());
		Session served = server.opened.get(0);
		net.runUntil("proven", 1000, () -> served.connection.isPeerProven());
		assertThat(net.now() - start).as("a few round trips").isLessThanOrEqualTo(6 * ONE_WAY + 2);
		assertThat(served.sends).as("the server sent no data").isZero();
		net.runUntil("all delivered", 10_000, () -> served.messages.size() == 400);
		assertThat(client.session.connection.stats().remoteWindow())
			.as("the window announced once proven is the receive window, not the unproven budget's ~47 segments")
			.isGreaterThan(900);
	}

	@Test
	void theSameUploadFromAStandardPeerStaysUnprovenAndNeverSeesAChallenge() {
		VirtualNetwork net = new VirtualNetwork(22);
		KcpConfig wide = FAST.toBuilder().sendWindow(1024).receiveWindow(1024).build();
		Server server = net.server("server", wide, new SessionLimits<>(100, 0), 60_000, PROTECTED);
		server.link.delay(ONE_WAY);
		Endpoint client = net.endpoint("client", "server", 12, wide);
		client.link.delay(ONE_WAY);
		client.session.standardPeer = true;

		for (int i = 0; i < 400; i++) {
			client.session.send(message(i, 1000));
		}
		net.runUntil("opened", 100, () -> !server.opened.isEmpty());
		Session served = server.opened.get(0);
		net.runUntil("all delivered", 10_000, () -> served.messages.size() == 400);
		assertThat(served.connection.isPeerProven()).isFalse();
		List<Sent> toClient = net.sent().stream().filter((sent) -> sent.to().equals("client")).toList();
		assertThat(toClient).as("acknowledgements went to the client").hasSizeGreaterThan(20);
		assertThat(toClient).noneMatch((sent) -> KcpCodec.findMark(sent.data(), 0, sent.data().length,
				KcpCodec.ADDRESS_CHALLENGE_SN) >= 0);
		assertThat(client.session.connection.stats().remoteWindow()).as("the unproven budget's window")
			.isLessThan(64);
	}

	@Test
	void aForgedSourceCannotEchoAChallengeItNeverSawAndGuessingEndsAfterFourWrongEchoes() {
		for (int wrong : new int[] { 0, 3, 4 }) {
			VirtualNetwork net = new VirtualNetwork(23);
			Server server = net.server("server", FAST, new SessionLimits<>(100, 0), 60_000, PROTECTED);
			// The raw peer sees what the server sends to its address: with the right value it would be proven.
			Raw peer = net.raw("peer");
			peer.send("server", offered(push(77, 0, 0, new byte[100])));
			net.advance(5);
			Session served = server.table.get("peer", 77);
			int secret = challengeIn(peer.received);
			for (int i = 0; i < wrong; i++) {
				peer.send("server", echo(push(77, 1 + i, 0, new byte[10]), secret + 1 + i));
				net.advance(1);
			}
			assertThat(served.connection.isPeerProven()).isFalse();
			peer.send("server", echo(push(77, 1 + wrong, 0, new byte[10]), secret));
			net.advance(1);
			assertThat(served.connection.isPeerProven()).as("after %d wrong echoes", wrong)
				.isEqualTo(wrong < AddressChallenge.MAX_WRONG_ECHOES);
		}
	}

	/** A datagram with the close-signal offer appended, as a kcp-spring client sends its first. */
	private static byte[] offered(byte[] datagram) {
		byte[] marked = Arrays.copyOf(datagram, datagram.length + KcpCodec.OVERHEAD);
		KcpCodec.appendMark(marked, datagram.length, marked.length, KcpCodec.CLOSE_OFFER_SN, 0);
		return marked;
	}

	private static byte[] echo(byte[] datagram, int value) {
		byte[] marked = Arrays.copyOf(datagram, datagram.length + KcpCodec.OVERHEAD);
		KcpCodec.appendMark(marked, datagram.length, marked.length, KcpCodec.ADDRESS_ECHO_SN, value);
		return marked;
	}

	private static int challengeIn(List<byte[]> datagrams) {
		for (byte[] datagram : datagrams) {
			int mark = KcpCodec.findMark(datagram, 0, datagram.length, KcpCodec.ADDRESS_CHALLENGE_SN);
			if (mark >= 0) {
				return KcpCodec.readInt(datagram, mark + 8);
			}
		}
		throw new AssertionError("no challenge among " + datagrams.size() + " datagrams");
	}

	// ---------------------------------------------------------------- flood and eviction

	@Test
	void aFloodOfConversationsThatNeverAnswerCannotLockOutANewClient() {
		VirtualNetwork net = new VirtualNetwork(3);
		Server server = echoServer(net, new SessionLimits<>(100, 0), PROTECTED);
		Raw flooder = net.raw("flooder");
		for (int conv = 1; conv <= 1000; conv++) {
			flooder.send("server", push(conv, 0, 0, new byte[20]));
		}
		net.advance(5);
		assertThat(server.table.size()).isEqualTo(100);
		assertThat(server.table.evictions()).as("each new flood conversation evicted the oldest").isEqualTo(900);
		assertThat(server.drops(DropReason.SESSION_LIMIT)).isZero();

		// A new client is served at once, and once proven it is never the one evicted.
		Endpoint client = client(net, "client", 5000);
		long sent = net.now();
		client.session.send(message(1, 100));
		net.runUntil("echo", 1000, () -> client.session.messages.size() == 1);
		assertThat(net.now() - sent).as("one round trip, plus one for the small first segment").isLessThanOrEqualTo(
				4 * ONE_WAY + 2);
		Session served = server.table.get("client", 5000);
		net.runUntil("proven", 1000, () -> served.connection.isPeerProven());
		for (int conv = 1001; conv <= 3000; conv++) {
			flooder.send("server", push(conv, 0, 0, new byte[20]));
		}
		net.advance(5);
		assertThat(served.closed).isNull();
		client.session.send(message(2, 100));
		net.runUntil("echo during the flood", 1000, () -> client.session.messages.size() == 2);
		assertThat(server.evicted).extracting((session) -> session.closed).containsOnly(CloseReason.EVICTED);
		assertThat(server.evicted).doesNotContain(served);
	}

	@Test
	void withoutProtectionTheSameFloodLocksTheNewClientOut() {
		VirtualNetwork net = new VirtualNetwork(3);
		Server server = echoServer(net, new SessionLimits<>(100, 0), ServerProtection.NONE);
		Raw flooder = net.raw("flooder");
		for (int conv = 1; conv <= 1000; conv++) {
			flooder.send("server", push(conv, 0, 0, new byte[20]));
		}
		net.advance(5);
		Endpoint client = client(net, "client", 5000);
		client.session.send(message(1, 100));
		net.advance(2000);
		assertThat(client.session.messages).isEmpty();
		assertThat(server.drops(DropReason.SESSION_LIMIT)).isGreaterThan(900);
	}

	@Test
	void anAddressAtItsLimitMakesRoomByEvictingItsOwnOldestUnprovenSession() {
		VirtualNetwork net = new VirtualNetwork(4);
		Server server = echoServer(net, new SessionLimits<>(1000, 0, 4, 0, (String address) -> address), PROTECTED);
		Raw flooder = net.raw("nat");
		for (int conv = 1; conv <= 50; conv++) {
			flooder.send("server", push(conv, 0, 0, new byte[20]));
		}
		net.advance(5);
		assertThat(server.table.size()).isEqualTo(4);
		assertThat(server.table.get("nat", 50)).as("the newest stay").isNotNull();
		assertThat(server.table.get("nat", 1)).isNull();
		assertThat(server.table.evictions()).isEqualTo(46);

		// Other addresses are not touched by it.
		Endpoint other = client(net, "elsewhere", 77);
		other.session.send(message(1, 10));
		net.runUntil("echo", 1000, () -> other.session.messages.size() == 1);
		assertThat(server.table.size()).isEqualTo(5);
	}

	@Test
	void proveSessionsOfAFullAddressAreKeptAndItsNewConversationsRefused() {
		VirtualNetwork net = new VirtualNetwork(5);
		Server server = echoServer(net, new SessionLimits<>(1000, 0, 2, 0, (String address) -> address.split(":")[0]),
				PROTECTED);
		Endpoint first = client(net, "host:1", 1);
		Endpoint second = client(net, "host:2", 2);
		for (Endpoint client : List.of(first, second)) {
			client.session.send(message(1, 10));
		}
		net.runUntil("both proven", 1000, () -> server.opened.size() == 2
				&& server.opened.stream().allMatch((session) -> session.connection.isPeerProven()));

		Endpoint third = client(net, "host:3", 3);
		third.session.send(message(1, 10));
		net.advance(200);
		assertThat(third.session.messages).isEmpty();
		assertThat(server.drops(DropReason.ADDRESS_SESSION_LIMIT)).isPositive();
		assertThat(server.table.evictions()).isZero();
	}

	@Test
	void newSessionsPerAddressFollowATokenBucketOfTheirOwn() {
		VirtualNetwork net = new VirtualNetwork(6);
		Server server = echoServer(net, new SessionLimits<>(1000, 0, 0, 2, (String address) -> address), PROTECTED);
		Raw busy = net.raw("busy");
		Raw quiet = net.raw("quiet");
		for (int conv = 1; conv <= 5; conv++) {
			busy.send("server", push(conv, 0, 0, new byte[1]));
		}
		net.advance(2);
		assertThat(server.table.size()).isEqualTo(2);
		assertThat(server.drops(DropReason.ADDRESS_RATE_LIMITED)).isEqualTo(3);
		quiet.send("server", push(1, 0, 0, new byte[1]));
		net.advance(2);
		assertThat(server.table.get("quiet", 1)).isNotNull();
		net.advance(498);
		busy.send("server", push(6, 0, 0, new byte[1]));
		busy.send("server", push(7, 0, 0, new byte[1]));
		net.advance(2);
		assertThat(server.table.get("busy", 6)).as("half a second later: one more token").isNotNull();
		assertThat(server.table.get("busy", 7)).isNull();
	}

	// ---------------------------------------------------------------- amplification

	@Test
	void aForgedSourceDrawsAtMostThreeTimesWhatWasSentInItsName() {
		for (int reply : new int[] { 1, 20, 3000 }) {
			assertThat(amplification(ServerProtection.NONE, reply)).as("unprotected, reply of %d bytes", reply)
				.isGreaterThan(3.0);
			assertThat(amplification(PROTECTED, reply)).as("protected, reply of %d bytes", reply)
				.isLessThanOrEqualTo(3.0);
		}
	}

	/** Bytes a victim receives per byte sent in its name, when the server replies {@code reply} bytes to each. */
	private double amplification(ServerProtection protection, int reply) {
		VirtualNetwork net = new VirtualNetwork(7);
		Server server = net.server("server", FAST, new SessionLimits<>(10_000, 0), 60_000, protection);
		server.onOpen = (session) -> session.onMessage = (request) -> session.send(new byte[reply]);
		// The attacker writes in the victim's name; the victim never answers.
		Raw victim = net.raw("victim");
		long sent = 0;
		for (int conv = 1; conv <= 100; conv++) {
			byte[] datagram = push(conv, 0, 0, new byte[1]);
			victim.send("server", datagram);
			sent += datagram.length;
		}
		net.advance(1);
		assertThat(server.table.size()).isEqualTo(100);
		net.runUntil("every session gave up", 600_000, () -> server.table.isEmpty());
		long received = victim.received.stream().mapToLong((datagram) -> datagram.length).sum();
		return (double) received / sent;
	}

	@Test
	void aLargeFirstReplyReachesAStandardPeerOneRoundTripLaterThanWithoutTheLimit() {
		for (boolean standard : new boolean[] { true, false }) {
			long unlimited = firstReplyTime(ServerProtection.NONE, standard);
			long limited = firstReplyTime(PROTECTED, standard);
			assertThat(limited).as("standard peer: %s", standard).isLessThanOrEqualTo(unlimited + 2 * ONE_WAY + 2);
		}
	}

	private long firstReplyTime(ServerProtection protection, boolean standardPeer) {
		VirtualNetwork net = new VirtualNetwork(8);
		Server server = net.server("server", FAST, new SessionLimits<>(100, 0), 60_000, protection);
		server.link.delay(ONE_WAY);
		byte[] reply = message(9, 30_000);
		server.onOpen = (session) -> session.onMessage = (request) -> session.send(reply);
		Endpoint client = client(net, "client", 3);
		client.session.standardPeer = standardPeer;
		long start = net.now();
		// One byte asks for thirty thousand.
		client.session.send(new byte[] { 1 });
		net.runUntil("reply", 5000, () -> client.session.messages.size() == 1);
		assertThat(client.session.messages.get(0)).isEqualTo(reply);
		return net.now() - start;
	}

	// ---------------------------------------------------------------- memory

	@Test
	void outOfOrderDataOfUnprovenSessionsStaysWithinTheirBudgetsAndInOrderDeliveryGoesOn() {
		VirtualNetwork net = new VirtualNetwork(9);
		KcpConfig wide = FAST.toBuilder().receiveWindow(1024).build();
		long memoryBudget = 8L << 20;
		ServerProtection protection = ServerProtection.validating(UNPROVEN_IDLE, 64 << 10, 3, memoryBudget);
		Server server = net.server("server", wide, new SessionLimits<>(10_000, 0), 60_000, protection);
		server.link.delay(ONE_WAY);
		server.onOpen = (session) -> session.onMessage = (request) -> session.send(request);
		int mss = wide.mtu() - KcpCodec.OVERHEAD;
		// 200 attackers each fill a window of 1024 with out-of-order data, never sending sn 0: 270 MB unprotected.
		for (int attacker = 0; attacker < 200; attacker++) {
			Raw raw = net.raw("attacker-" + attacker);
			raw.send("server", push(attacker + 1, 0, 0, new byte[0]));
			for (int sn = 2; sn < 1024; sn++) {
				raw.send("server", push(attacker + 1, sn, 0, new byte[mss]));
			}
		}
		net.advance(5);
		MemoryBudget unproven = server.table.unprovenMemoryBudget();
		assertThat(server.table.size()).isEqualTo(200);
		// Out-of-order data never exceeds it; in-order data (each attacker's empty first message) is charged
		// whatever the room, and leaves at once.
		assertThat(unproven.peak()).isLessThanOrEqualTo(unproven.limit() + mss + KcpCodec.OVERHEAD);
		assertThat(unproven.used()).isLessThanOrEqualTo(unproven.limit());
		for (Session session : server.opened) {
			assertThat(session.connection.stats().receiveBufferSegments()).isLessThanOrEqualTo((64 << 10) / mss);
		}
		assertThat(server.drops(DropReason.MEMORY_BUDGET)).isPositive();

		// A client still gets in: in-order data is always taken, and it proves itself.
		Endpoint client = client(net, "client", 9999);
		client.session.send(message(1, 20_000));
		net.runUntil("echo", 2000, () -> client.session.messages.size() == 1);
		assertThat(client.session.messages.get(0)).isEqualTo(message(1, 20_000));

		net.runUntil("all closed", 60_000, () -> server.table.size() == 1);
		client.session.close();
		net.runUntil("client closed", 60_000, () -> server.table.isEmpty());
		assertThat(server.table.memoryBudget().used()).as("every byte given back").isZero();
	}

	@Test
	void incompleteInOrderMessagesOfUnprovenSessionsMakeTheOldestGo() {
		VirtualNetwork net = new VirtualNetwork(10);
		long memoryBudget = 4L << 20;
		ServerProtection protection = ServerProtection.validating(UNPROVEN_IDLE, 64 << 10, 3, memoryBudget);
		Server server = net.server("server", FAST, new SessionLimits<>(10_000, 0), 60_000, protection);
		int mss = FAST.mtu() - KcpCodec.OVERHEAD;
		// Fragments in order of messages that never complete: taken (in order), so charged beyond any room.
		for (int attacker = 0; attacker < 100; attacker++) {
			Raw raw = net.raw("attacker-" + attacker);
			for (int sn = 0; sn < 100; sn++) {
				raw.send("server", push(attacker + 1, sn, 200 - sn, new byte[mss]));
			}
		}
		net.advance(5);
		MemoryBudget unproven = server.table.unprovenMemoryBudget();
		// Relieved after each datagram: at most one segment over.
		assertThat(unproven.used()).isLessThanOrEqualTo(unproven.limit());
		assertThat(unproven.peak()).isLessThanOrEqualTo(unproven.limit() + mss + KcpCodec.OVERHEAD);
		assertThat(server.table.evictions()).isPositive();
		assertThat(server.evicted).extracting((session) -> session.closed).containsOnly(CloseReason.EVICTED);
	}

	@Test
	void theMemoryBudgetRefusesOutOfOrderDataOfProvenSessionsButNotInOrderData() {
		VirtualNetwork net = new VirtualNetwork(11);
		KcpConfig wide = FAST.toBuilder().windowSize(1024, 1024).build();
		// Room for about forty parked segments across the server.
		ServerProtection protection = ServerProtection.validating(UNPROVEN_IDLE, 64 << 10, 3, 60_000);
		Server server = net.server("server", wide, new SessionLimits<>(100, 0), 60_000, protection);
		server.link.delay(ONE_WAY);
		server.onOpen = (session) -> session.onMessage = (request) -> session.send(new byte[] { 1 });
		List<Endpoint> clients = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			Endpoint client = net.endpoint("client-" + i, "server", 100 + i, wide);
			client.link.delay(ONE_WAY).loss(0.2);
			clients.add(client);
		}
		for (int i = 0; i < 40; i++) {
			for (Endpoint client : clients) {
				client.session.send(message(i, 1000));
			}
		}
		net.runUntil("all delivered", 120_000,
				() -> clients.stream().allMatch((client) -> client.session.acknowledged == 40));
		for (Endpoint client : clients) {
			Session served = server.table.get(client.address, client.session.connection.conv());
			assertThat(served.messages).hasSize(40);
			for (int i = 0; i < 40; i++) {
				assertThat(served.messages.get(i)).isEqualTo(message(i, 1000));
			}
		}
		assertThat(server.drops(DropReason.MEMORY_BUDGET)).as("out of order beyond the budget, dropped").isPositive();
	}

	// ---------------------------------------------------------------- helpers

	private static Server echoServer(VirtualNetwork net, AdmissionPolicy<String> policy, ServerProtection protection) {
		Server server = net.server("server", FAST, policy, 60_000, protection);
		server.link.delay(ONE_WAY);
		server.onOpen = (session) -> session.onMessage = (request) -> session.send(request);
		return server;
	}

	private static Endpoint client(VirtualNetwork net, String address, int conv) {
		Endpoint client = net.endpoint(address, "server", conv, FAST);
		client.link.delay(ONE_WAY);
		return client;
	}

	/** A data segment as a hand-played peer writes it. */
	static byte[] push(int conv, int sn, int frg, byte[] payload) {
		byte[] datagram = new byte[KcpCodec.OVERHEAD + payload.length];
		KcpCodec.writeHeader(datagram, 0, conv, KcpCodec.CMD_PUSH, frg, 1024, 0, sn, 0, payload.length);
		System.arraycopy(payload, 0, datagram, KcpCodec.OVERHEAD, payload.length);
		return datagram;
	}

	static long bytes(List<Sent> datagrams) {
		return datagrams.stream().mapToLong((datagram) -> datagram.data().length).sum();
	}

	static byte[] copy(byte[] data) {
		return Arrays.copyOf(data, data.length);
	}

}
