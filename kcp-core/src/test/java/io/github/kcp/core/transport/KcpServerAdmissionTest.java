package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.crypto.AesCbcHmacCipher;
import io.github.kcp.core.crypto.AesGcmCipher;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a server lets in: datagrams that are not well-formed KCP, that cannot start a conversation, that fail
 * decryption, that belong to a closed conversation, or that exceed the session limit or admission rate never open
 * a session, never throw, never disturb a live session, and are counted under the right {@link DropReason}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KcpServerAdmissionTest {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	private final List<AutoCloseable> resources = new ArrayList<>();

	private final Map<KcpSession, RecordingHandler> clientHandlers = new java.util.HashMap<>();

	@AfterEach
	void release() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	@Test
	void garbageFromUnknownPeersOpensNoSessionAndIsCountedAsMalformed() throws Exception {
		KcpServer server = server(FAST, KcpServer.builder());
		KcpSession live = client(FAST, server.localAddress());
		assertEchoes(live, "before");
		RawUdpPeer attacker = raw();
		InetSocketAddress target = server.localAddress();
		Map<DropReason, Long> expected = new EnumMap<>(DropReason.class);

		// Random bytes of many sizes, including the empty datagram and every size below one header.
		Random random = new Random(42);
		int randomCount = 0;
		for (int size = 0; size < KcpCodec.OVERHEAD; size++) {
			attacker.send(target, randomBytes(random, size));
			randomCount++;
		}
		for (int i = 0; i < 300; i++) {
			attacker.send(target, randomBytes(random, random.nextInt(1500)));
			randomCount++;
		}
		// Truncated headers of an otherwise valid data segment.
		byte[] push = RawUdpPeer.push(7, 0, "hi".getBytes(StandardCharsets.US_ASCII));
		int truncated = 0;
		for (int length = 1; length < KcpCodec.OVERHEAD; length += 3) {
			attacker.send(target, java.util.Arrays.copyOf(push, length));
			truncated++;
		}
		List<byte[]> malformed = List.of(
				// len field larger than what follows, and "negative"
				RawUdpPeer.withLength(7, KcpCodec.CMD_PUSH, 100, 10),
				RawUdpPeer.withLength(7, KcpCodec.CMD_PUSH, -1, 10),
				// unknown command, alone and after a valid data segment (must not open a session either)
				RawUdpPeer.segment(7, 99, 0, 0, new byte[4]),
				RawUdpPeer.concat(push, RawUdpPeer.segment(7, 99, 1, 0, new byte[0])),
				// a valid segment followed by a truncated one
				RawUdpPeer.concat(push, new byte[10]),
				// segments of two conversations in one datagram
				RawUdpPeer.concat(push, RawUdpPeer.push(8, 1, new byte[3])));
		malformed.forEach((datagram) -> attacker.send(target, datagram));
		expected.put(DropReason.MALFORMED, (long) (randomCount + truncated + malformed.size()));

		// Well formed but without data: cannot start a conversation.
		attacker.send(target, RawUdpPeer.segment(9, KcpCodec.CMD_ACK, 0, 0, new byte[0]));
		attacker.send(target, RawUdpPeer.segment(9, KcpCodec.CMD_WASK, 0, 0, new byte[0]));
		attacker.send(target, RawUdpPeer.segment(9, KcpCodec.CMD_WINS, 0, 0, new byte[0]));
		expected.put(DropReason.NOT_A_NEW_CONVERSATION, 3L);

		awaitDrops(server, expected);
		assertThat(server.sessionCount()).isEqualTo(1);
		assertThat(live.isOpen()).isTrue();
		assertEchoes(live, "after");
		assertThat(live.stats().droppedDatagrams()).isZero();
		// Nothing is answered to garbage (no reflection, no amplification).
		assertThat(attacker.receive(Duration.ofMillis(100))).isNull();
	}

	@Test
	void malformedInputIntoALiveSessionIsRejectedByTheEngineAndTheSessionGoesOn() throws Exception {
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = server(FAST, KcpServer.builder(), () -> serverSide);
		SniffingRelay relay = SniffingRelay.start(server.localAddress());
		this.resources.add(relay);
		KcpSession live = client(FAST, relay.localAddress());
		assertEchoes(live, "before");
		KcpSession serverSession = serverSide.opened.get(5, TimeUnit.SECONDS);
		int conv = live.conv();

		// From the session's own address and conversation: the engine stops parsing and the drop is counted.
		relay.injectToTarget(RawUdpPeer.segment(conv, 99, 0, 0, new byte[8]));
		relay.injectToTarget(RawUdpPeer.withLength(conv, KcpCodec.CMD_PUSH, 1000, 10));
		relay.injectToTarget(RawUdpPeer.withLength(conv, KcpCodec.CMD_ACK, -5, 0));
		// Shorter than a header: rejected before it reaches any session.
		relay.injectToTarget(new byte[] { 1, 2, 3, 4, 5 });
		// Another conversation from the same address: cannot open a session without data, and garbage is garbage.
		relay.injectToTarget(RawUdpPeer.segment(conv + 1, KcpCodec.CMD_ACK, 0, 0, new byte[0]));
		relay.injectToTarget(RawUdpPeer.withLength(conv + 1, KcpCodec.CMD_PUSH, 77, 3));

		awaitDrops(server, Map.of(DropReason.ENGINE_REJECTED, 3L, DropReason.MALFORMED, 2L,
				DropReason.NOT_A_NEW_CONVERSATION, 1L));
		assertThat(serverSession.stats().droppedDatagrams()).isEqualTo(3);
		assertThat(server.sessionCount()).isEqualTo(1);
		assertThat(serverSession.isOpen()).isTrue();
		assertEchoes(live, "after");
		assertThat(serverSide.closed).isNotDone();
	}

	@ParameterizedTest
	@ValueSource(strings = { "aes-gcm", "aes-cbc-hmac" })
	void encryptedServerDropsPlaintextWrongKeyAndTamperedDatagrams(String mode) throws Exception {
		PacketCipher right = cipher(mode);
		PacketCipher wrong = cipher(mode);
		KcpServer server = server(FAST, KcpServer.builder().cipher(right));
		KcpSession live = client(FAST, right, server.localAddress());
		assertEchoes(live, "before");
		RawUdpPeer attacker = raw();
		InetSocketAddress target = server.localAddress();
		byte[] push = RawUdpPeer.push(11, 0, "secret?".getBytes(StandardCharsets.US_ASCII));

		attacker.send(target, push);
		attacker.send(target, wrong.encrypt(push, 0, push.length));
		byte[] tampered = right.encrypt(push, 0, push.length);
		tampered[tampered.length / 2] ^= 0x40;
		attacker.send(target, tampered);
		byte[] genuine = right.encrypt(push, 0, push.length);
		attacker.send(target, java.util.Arrays.copyOf(genuine, right.overhead() - 1));
		attacker.send(target, new byte[0]);

		awaitDrops(server, Map.of(DropReason.DECRYPT_FAILED, 5L));
		assertThat(server.sessionCount()).isEqualTo(1);
		// A client with the wrong key gets nowhere either.
		KcpSession intruder = client(FAST, wrong, server.localAddress());
		intruder.send("let me in".getBytes(StandardCharsets.US_ASCII));
		await().atMost(WAIT).until(() -> server.droppedDatagrams(DropReason.DECRYPT_FAILED) > 5);
		assertThat(server.sessionCount()).isEqualTo(1);
		assertEchoes(live, "after");
		// Control: the same datagram properly encrypted does open a session.
		attacker.send(target, genuine);
		await().atMost(WAIT).until(() -> server.sessionCount() == 2);
	}

	@Test
	void wrongKeyAndOtherConversationsFromALiveSessionsOwnAddressLeaveItAlone() throws Exception {
		PacketCipher right = cipher("aes-gcm");
		PacketCipher wrong = cipher("aes-gcm");
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = server(FAST, KcpServer.builder().cipher(right), () -> serverSide);
		SniffingRelay relay = SniffingRelay.start(server.localAddress());
		this.resources.add(relay);
		KcpSession live = client(FAST, right, relay.localAddress());
		assertEchoes(live, "before");
		KcpSession serverSession = serverSide.opened.get(5, TimeUnit.SECONDS);
		int conv = live.conv();

		// From the very address of the live session: its own conversation under the wrong key, plaintext,
		// random bytes, a truncated ciphertext.
		byte[] push = RawUdpPeer.push(conv, 0, "forged".getBytes(StandardCharsets.US_ASCII));
		relay.injectToTarget(wrong.encrypt(push));
		relay.injectToTarget(push);
		relay.injectToTarget(randomBytes(new Random(5), 300));
		relay.injectToTarget(java.util.Arrays.copyOf(right.encrypt(push), 20));
		// Properly encrypted, another conversation, without data: cannot open one.
		byte[] ack = RawUdpPeer.segment(conv ^ 0x55, KcpCodec.CMD_ACK, 0, 0, new byte[0]);
		relay.injectToTarget(right.encrypt(ack));
		awaitDrops(server, Map.of(DropReason.DECRYPT_FAILED, 4L, DropReason.NOT_A_NEW_CONVERSATION, 1L));
		assertThat(server.sessionCount()).isEqualTo(1);
		assertThat(serverSession.isOpen()).isTrue();
		assertThat(serverSide.messages).hasSize(1);
		assertEchoes(live, "after");
		assertThat(serverSide.closed).isNotDone();

		// Sessions are keyed by (address, conv): a genuine data segment of another conversation from the same
		// address is a second conversation, and the first one is untouched by it.
		relay.injectToTarget(right.encrypt(RawUdpPeer.push(conv ^ 0x55, 0, new byte[] { 9 })));
		await().atMost(WAIT).until(() -> server.sessionCount() == 2);
		assertEchoes(live, "still");
		assertThat(serverSession.isOpen()).isTrue();
	}

	@Test
	void clientDropsGarbageWrongKeyAndOtherConversationsFromItsServerAndGoesOn() throws Exception {
		PacketCipher right = cipher("aes-cbc-hmac");
		PacketCipher wrong = cipher("aes-cbc-hmac");
		// A hand-played server, so that it can send the client anything.
		RawUdpPeer fakeServer = raw();
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = KcpClient.builder()
			.config(FAST)
			.cipher(right)
			.handler(clientSide)
			.connect(fakeServer.localAddress());
		this.resources.add(client::abort);
		client.send("hi".getBytes(StandardCharsets.US_ASCII));
		byte[] first = right.decrypt(fakeServer.awaitDatagram((d) -> true, WAIT));
		int conv = KcpCodec.readConv(first, 0);
		InetSocketAddress clientAddress = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(),
				client.localAddress().getPort());

		byte[] reply = RawUdpPeer.push(conv, 0, "reply".getBytes(StandardCharsets.US_ASCII));
		Random random = new Random(6);
		for (int size = 0; size < 100; size += 7) {
			fakeServer.send(clientAddress, randomBytes(random, size));
		}
		fakeServer.send(clientAddress, reply);
		fakeServer.send(clientAddress, wrong.encrypt(reply));
		byte[] genuine = right.encrypt(reply);
		fakeServer.send(clientAddress, java.util.Arrays.copyOf(genuine, genuine.length - 1));
		// Authentic, but for another conversation, or shorter than a header.
		fakeServer.send(clientAddress, right.encrypt(RawUdpPeer.push(conv + 1, 0, new byte[3])));
		fakeServer.send(clientAddress, right.encrypt(new byte[5]));
		await().atMost(WAIT).untilAsserted(() -> {
			KcpSessionStats stats = client.stats();
			assertThat(stats.droppedDatagrams(DropReason.DECRYPT_FAILED)).isEqualTo(15 + 3);
			assertThat(stats.droppedDatagrams(DropReason.UNEXPECTED_SOURCE)).isEqualTo(1);
			assertThat(stats.droppedDatagrams(DropReason.MALFORMED)).isEqualTo(1);
		});
		assertThat(client.isOpen()).isTrue();
		assertThat(client.stats().droppedDatagrams()).isEqualTo(20);
		assertThat(clientSide.messages).isEmpty();
		// The genuine reply still gets through.
		fakeServer.send(clientAddress, genuine);
		assertThat(new String(clientSide.nextMessage(WAIT), StandardCharsets.US_ASCII)).isEqualTo("reply");
		assertThat(clientSide.closed).isNotDone();
	}

	@Test
	void mutatedCopiesOfRealDatagramsNeverBreakTheServer() throws Exception {
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = server(FAST, KcpServer.builder(), () -> serverSide);
		SniffingRelay relay = SniffingRelay.start(server.localAddress());
		this.resources.add(relay);
		KcpSession live = client(FAST, relay.localAddress());
		for (int i = 0; i < 20; i++) {
			assertEchoes(live, "sample-" + i);
		}
		List<byte[]> samples = relay.toTarget();
		RawUdpPeer attacker = raw();
		Random random = new Random(1234);
		int sent = 0;
		for (int i = 0; i < 3000; i++) {
			byte[] datagram = samples.get(random.nextInt(samples.size())).clone();
			int flips = 1 + random.nextInt(4);
			for (int f = 0; f < flips; f++) {
				// Mostly in the header, where the engine's decisions are made.
				int at = (random.nextInt(4) > 0) ? random.nextInt(Math.min(KcpCodec.OVERHEAD, datagram.length))
						: random.nextInt(datagram.length);
				datagram[at] = (byte) random.nextInt(256);
			}
			// Half from an unknown address, half into the live session (from its own address).
			if (random.nextBoolean()) {
				attacker.send(server.localAddress(), datagram);
			}
			else {
				relay.injectToTarget(datagram);
			}
			sent++;
		}
		System.out.printf("%d mutated datagrams: drops %s, %d sessions%n", sent, dropCounts(server),
				server.sessionCount());
		// Whatever they did, nothing threw (an exception would be counted as INPUT_FAILED) and the server goes on
		// serving a new client. (Without encryption a mutated datagram may of course open a session, or feed the
		// live one wrong data: KCP itself has no integrity check; use a packet cipher against forgery.)
		KcpSession fresh = client(FAST, server.localAddress());
		assertEchoes(fresh, "fresh");
		assertThat(server.droppedDatagrams(DropReason.INPUT_FAILED)).isZero();
		assertThat(server.handlerFailures()).isZero();
	}

	@Test
	void lateDatagramsOfAClosedConversationDoNotReopenItAndAreAnsweredWithClose() throws Exception {
		RecordingHandler serverSide = RecordingHandler.recorder();
		KcpServer server = server(FAST, KcpServer.builder(), () -> serverSide);
		RawUdpPeer peer = raw();
		int conv = 0x5eed;
		// A peer of ours: its first datagram offers the close handshake, so the server may use it.
		byte[] first = RawUdpPeer.concat(RawUdpPeer.push(conv, 0, "one".getBytes(StandardCharsets.US_ASCII)),
				RawUdpPeer.offer(conv));
		peer.send(server.localAddress(), first);
		assertThat(new String(serverSide.nextMessage(WAIT), StandardCharsets.US_ASCII)).isEqualTo("one");
		// The server acknowledges it.
		byte[] ack = peer.awaitDatagram((d) -> RawUdpPeer.cmd(d) == KcpCodec.CMD_ACK, WAIT);
		assertThat(KcpCodec.readConv(ack, 0)).isEqualTo(conv);

		// The server closes: nothing is unacknowledged, so the close signal comes at once; we confirm it.
		KcpSession session = serverSide.opened.get();
		session.close();
		peer.awaitDatagram((d) -> RawUdpPeer.isCloseSignal(d, conv, KcpCodec.CMD_CLOSE), WAIT);
		byte[] confirm = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeCloseSignal(confirm, conv, KcpCodec.CMD_CLOSE_ACK, 0, 0, 0, 0);
		peer.send(server.localAddress(), confirm);
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		await().atMost(WAIT).until(() -> server.sessionCount() == 0);

		// A late retransmission of the first datagram: dropped, answered with a close signal, no new session.
		long before = server.droppedDatagrams(DropReason.CLOSED_SESSION);
		peer.send(server.localAddress(), first);
		peer.awaitDatagram((d) -> RawUdpPeer.isCloseSignal(d, conv, KcpCodec.CMD_CLOSE), WAIT);
		// A late close signal is confirmed (never answered with another close, so no ping-pong).
		byte[] close = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeCloseSignal(close, conv, KcpCodec.CMD_CLOSE, 0, 0, 0, 0);
		peer.send(server.localAddress(), close);
		peer.awaitDatagram((d) -> RawUdpPeer.isCloseSignal(d, conv, KcpCodec.CMD_CLOSE_ACK), WAIT);
		// ... and a late confirmation is not answered at all.
		peer.send(server.localAddress(), confirm);
		awaitDrops(server, Map.of(DropReason.CLOSED_SESSION, before + 3));
		assertThat(peer.receive(Duration.ofMillis(100))).isNull();
		assertThat(server.sessionCount()).isZero();
		assertThat(serverSide.messages).isEmpty();
	}

	@Test
	void sessionLimitRefusesNewConversationsWhileEverySessionIsProvenUntilOneCloses() throws Exception {
		KcpServer server = server(FAST, KcpServer.builder().maxSessions(2));
		// Two clients that exchanged data: proven (they acknowledged the server's echo), never evicted.
		KcpSession first = client(FAST, server.localAddress());
		KcpSession second = client(FAST, server.localAddress());
		assertEchoes(first, "first");
		assertEchoes(second, "second");
		// Their acknowledgements of the echoes reach the server a moment after the echoes reached them.
		await().atMost(WAIT).until(() -> server.sessions().stream().allMatch((s) -> s.stats().peerProven()));
		RawUdpPeer third = raw();
		third.send(server.localAddress(), RawUdpPeer.push(3, 0, new byte[1]));
		awaitDrops(server, Map.of(DropReason.SESSION_LIMIT, 1L));
		assertThat(server.sessionCount()).isEqualTo(2);
		assertThat(server.evictedSessions()).isZero();
		assertThat(third.receive(Duration.ofMillis(50))).as("a refused peer gets no answer").isNull();

		first.abort();
		await().atMost(WAIT).until(() -> server.sessionCount() == 1);
		// The refused peer's retransmission now gets in.
		third.send(server.localAddress(), RawUdpPeer.push(3, 0, new byte[1]));
		await().atMost(WAIT).until(() -> server.sessions().stream().anyMatch((s) -> s.conv() == 3));
	}

	/**
	 * Over UDP: a server full of sessions whose peers never answered (a flood) serves a new client at once, by
	 * evicting the oldest of them; the evicted sessions' handlers hear of it.
	 */
	@Test
	void aServerFullOfUnprovenSessionsEvictsTheOldestForANewClient() throws Exception {
		List<CloseReason> closes = new java.util.concurrent.CopyOnWriteArrayList<>();
		KcpServer server = server(FAST, KcpServer.builder().maxSessions(20), () -> new RecordingHandler(true) {
			@Override
			public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
				super.onClose(session, reason, cause);
				closes.add(reason);
			}
		});
		RawUdpPeer flood = raw();
		for (int conv = 1; conv <= 50; conv++) {
			flood.send(server.localAddress(), RawUdpPeer.push(conv, 0, new byte[1]));
		}
		await().atMost(WAIT).until(() -> server.evictedSessions() == 30);
		assertThat(server.sessionCount()).isEqualTo(20);
		assertThat(server.sessions()).extracting(KcpSession::conv).doesNotContain(1).contains(50);
		assertThat(server.droppedDatagrams(DropReason.SESSION_LIMIT)).isZero();

		KcpSession client = client(FAST, server.localAddress());
		assertEchoes(client, "served at once");
		assertThat(server.evictedSessions()).isEqualTo(31);
		await().atMost(WAIT).until(() -> closes.size() == 31);
		assertThat(closes).containsOnly(CloseReason.EVICTED);
	}

	/** The builder's rate limit reaches the admission policy (its exact token bucket is tested in virtual time). */
	@Test
	void admissionRateLimitIsApplied() throws Exception {
		KcpServer server = server(FAST, KcpServer.builder().newSessionsPerSecond(1));
		for (int i = 0; i < 5; i++) {
			raw().send(server.localAddress(), RawUdpPeer.push(100 + i, 0, new byte[1]));
		}
		await().atMost(WAIT)
			.until(() -> server.sessionCount() + server.droppedDatagrams(DropReason.RATE_LIMITED) == 5);
		// One token at first and one more per second: five within a few milliseconds cannot all get in.
		assertThat(server.sessionCount()).isBetween(1, 4);
		assertThat(server.droppedDatagrams(DropReason.RATE_LIMITED)).isPositive();
	}

	// ---------------------------------------------------------------- helpers

	/** Binds a server whose sessions echo. */
	private KcpServer server(KcpConfig config, KcpServer.Builder builder) {
		return server(config, builder, RecordingHandler::echo);
	}

	private KcpServer server(KcpConfig config, KcpServer.Builder builder,
			java.util.function.Supplier<? extends KcpSessionHandler> handlers) {
		KcpServer server = builder.config(config).handlerFactory(handlers).bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		return server;
	}

	private KcpSession client(KcpConfig config, InetSocketAddress target) {
		return client(config, null, target);
	}

	private KcpSession client(KcpConfig config, @Nullable PacketCipher cipher, InetSocketAddress target) {
		RecordingHandler handler = RecordingHandler.recorder();
		KcpSession session = KcpClient.builder().config(config).cipher(cipher).handler(handler).connect(target);
		this.clientHandlers.put(session, handler);
		this.resources.add(session::abort);
		return session;
	}

	private RawUdpPeer raw() {
		RawUdpPeer peer = new RawUdpPeer();
		this.resources.add(peer);
		return peer;
	}

	/** One round trip through the echoing server. */
	private void assertEchoes(KcpSession session, String text) throws Exception {
		byte[] payload = (text + "-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
		session.send(payload).get(5, TimeUnit.SECONDS);
		assertThat(this.clientHandlers.get(session).nextMessage(WAIT)).isEqualTo(payload);
	}

	private static void awaitDrops(KcpServer server, Map<DropReason, Long> expected) {
		await().atMost(WAIT).untilAsserted(() -> {
			for (DropReason reason : DropReason.values()) {
				assertThat(server.droppedDatagrams(reason)).as("%s of %s", reason, dropCounts(server))
					.isEqualTo(expected.getOrDefault(reason, 0L));
			}
		});
	}

	private static Map<DropReason, Long> dropCounts(KcpServer server) {
		Map<DropReason, Long> counts = new EnumMap<>(DropReason.class);
		for (DropReason reason : DropReason.values()) {
			if (server.droppedDatagrams(reason) > 0) {
				counts.put(reason, server.droppedDatagrams(reason));
			}
		}
		return counts;
	}

	private static byte[] randomBytes(Random random, int size) {
		byte[] bytes = new byte[size];
		random.nextBytes(bytes);
		return bytes;
	}

	private static PacketCipher cipher(String mode) {
		SecureRandom random = new SecureRandom();
		if (mode.equals("aes-gcm")) {
			byte[] key = new byte[32];
			random.nextBytes(key);
			return AesGcmCipher.withKey(key);
		}
		byte[] signing = new byte[32];
		byte[] encryption = new byte[32];
		random.nextBytes(signing);
		random.nextBytes(encryption);
		return AesCbcHmacCipher.fromDerivedKeys(signing, encryption);
	}

}
