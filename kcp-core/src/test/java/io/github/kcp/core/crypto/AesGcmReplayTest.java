package io.github.kcp.core.crypto;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * aes-gcm accepts each datagram at most once per receiver, in virtual time: a second copy, a datagram older than
 * the window, one overtaken by too many later ones, a capture replayed into a restarted receiver, and a server's
 * datagram reflected into a server are refused; reordering within the window is not.
 */
class AesGcmReplayTest {

	private static final byte[] KEY = new byte[32];

	private final VirtualClock clock = VirtualClock.atNow();

	private final ReplayProtection settings = ReplayProtection.defaults().withClock(this.clock);

	private final AesGcmCipher sender = AesGcmCipher.withKey(KEY, this.settings);

	private final AesGcmCipher receiver = AesGcmCipher.withKey(KEY, this.settings);

	private static byte[] text(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	private void assertReplayRefused(AesGcmCipher cipher, byte[] datagram) {
		assertThatThrownBy(() -> cipher.decrypt(datagram)).isInstanceOf(PacketReplayException.class);
	}

	@Test
	void theSameDatagramTwiceIsRefusedTheSecondTime() {
		byte[] datagram = this.sender.encrypt(text("transfer 100"));
		assertThat(this.receiver.decrypt(datagram)).isEqualTo(text("transfer 100"));
		assertThatThrownBy(() -> this.receiver.decrypt(datagram)).isInstanceOf(PacketReplayException.class)
			.hasMessageContaining("received before");
		// Framed differently, still the same datagram.
		byte[] framed = AesCbcHmacCipherTest.frame(datagram, 5, 2);
		assertThatThrownBy(() -> this.receiver.decrypt(framed, 5, datagram.length))
			.isInstanceOf(PacketReplayException.class);
	}

	@Test
	void datagramsOlderOrNewerThanTheWindowAreRefused() {
		byte[] old = this.sender.encrypt(text("old"));
		byte[] recent = this.sender.encrypt(text("recent"));
		this.clock.advance(Duration.ofSeconds(29));
		assertThat(this.receiver.decrypt(recent)).isEqualTo(text("recent"));
		this.clock.advance(Duration.ofMillis(1001));
		assertThatThrownBy(() -> this.receiver.decrypt(old)).isInstanceOf(PacketReplayException.class)
			.hasMessageContaining("outside the replay window");

		// A sender whose clock runs 31 s ahead is refused too.
		VirtualClock ahead = VirtualClock.atNow();
		ahead.advance(Duration.ofSeconds(30 + 29 + 31));
		AesGcmCipher fast = AesGcmCipher.withKey(KEY, this.settings.withClock(ahead));
		assertReplayRefused(this.receiver, fast.encrypt(text("from the future")));
	}

	@Test
	void reorderingWithinTheWindowIsAcceptedOnceEach() {
		List<byte[]> datagrams = new ArrayList<>();
		for (int i = 0; i < 500; i++) {
			// 500 datagrams over 60 ms, then shuffled: any order within 65 ms of the newest is fine.
			this.clock.advance(Duration.ofNanos(120_000));
			datagrams.add(this.sender.encrypt(text("message " + i)));
		}
		List<byte[]> shuffled = new ArrayList<>(datagrams);
		Collections.shuffle(shuffled, new Random(7));
		this.clock.advance(Duration.ofMillis(50));
		Set<String> received = new HashSet<>();
		for (byte[] datagram : shuffled) {
			received.add(new String(this.receiver.decrypt(datagram), StandardCharsets.US_ASCII));
		}
		assertThat(received).hasSize(500);
		for (byte[] datagram : datagrams) {
			assertReplayRefused(this.receiver, datagram);
		}
	}

	@Test
	void aDatagramOvertakenByOneStampedMoreThan65MillisecondsLaterIsRefused() {
		byte[] late = this.sender.encrypt(text("late"));
		this.clock.advance(Duration.ofMillis(1));
		byte[] lateButWithin = this.sender.encrypt(text("late but within"));
		this.clock.advance(Duration.ofMillis(65));
		// Stamped 66 ms after "late" and 65 ms after "late but within" (the bitmap spans 65.5 ms).
		this.receiver.decrypt(this.sender.encrypt(text("on time")));
		assertThat(this.receiver.decrypt(lateButWithin)).isEqualTo(text("late but within"));
		assertReplayRefused(this.receiver, late);
	}

	@Test
	void datagramsStampedInTheSameMicrosecondAreAllDistinct() {
		Set<String> nonces = new HashSet<>();
		for (int i = 0; i < 1000; i++) {
			byte[] datagram = this.sender.encrypt(new byte[1]);
			nonces.add(java.util.HexFormat.of().formatHex(datagram, 0, 12));
			this.receiver.decrypt(datagram);
		}
		assertThat(nonces).hasSize(1000);
	}

	@Test
	void aRestartedReceiverRefusesWhatWasCapturedBeforeItStarted() {
		byte[] captured = this.sender.encrypt(text("pay 100"));
		assertThat(this.receiver.decrypt(captured)).isEqualTo(text("pay 100"));

		this.clock.advance(Duration.ofSeconds(2));
		AesGcmCipher restarted = AesGcmCipher.withKey(KEY, this.settings);
		assertThatThrownBy(() -> restarted.decrypt(captured)).isInstanceOf(PacketReplayException.class)
			.hasMessageContaining("restarted");
		// The same sender's new datagrams are welcome.
		this.clock.advance(Duration.ofMillis(1));
		assertThat(restarted.decrypt(this.sender.encrypt(text("pay 5")))).isEqualTo(text("pay 5"));
	}

	@Test
	void aServerRefusesDatagramsAServerSentAndAClientThoseAClientSent() {
		AesGcmCipher server = this.receiver.forRole(EndpointRole.SERVER);
		AesGcmCipher client = this.sender.forRole(EndpointRole.CLIENT);
		AesGcmCipher otherServer = AesGcmCipher.withKey(KEY, this.settings).forRole(EndpointRole.SERVER);
		byte[] reply = otherServer.encrypt(text("reply"));
		assertThatThrownBy(() -> server.decrypt(reply)).isInstanceOf(PacketReplayException.class)
			.hasMessageContaining("reflected");
		assertThat(client.decrypt(reply)).isEqualTo(text("reply"));
		byte[] request = client.encrypt(text("request"));
		assertThat(server.decrypt(request)).isEqualTo(text("request"));
		assertReplayRefused(AesGcmCipher.withKey(KEY, this.settings).forRole(EndpointRole.CLIENT),
				client.encrypt(text("request 2")));
		// An unbound cipher accepts both, and its view shares its memory.
		assertReplayRefused(this.receiver, request);
		assertThat(server.forRole(EndpointRole.SERVER)).isSameAs(server);
		// A sender bound to no role (a user's wrapper that does not pass forRole on) is accepted by both views.
		AesGcmCipher unbound = AesGcmCipher.withKey(KEY, this.settings);
		assertThat(server.decrypt(unbound.encrypt(text("to a server")))).isEqualTo(text("to a server"));
		assertThat(client.decrypt(unbound.encrypt(text("to a client")))).isEqualTo(text("to a client"));
	}

	@Test
	void memoryStaysBoundedAndAForgottenSendersCapturesAreStillRefused() {
		ReplayProtection small = this.settings.withMaxSenders(16);
		AesGcmCipher bounded = AesGcmCipher.withKey(KEY, small);
		List<AesGcmCipher> senders = new ArrayList<>();
		List<byte[]> firstDatagrams = new ArrayList<>();
		for (int i = 0; i < 300; i++) {
			this.clock.advance(Duration.ofMillis(1));
			AesGcmCipher peer = AesGcmCipher.withKey(KEY, this.settings);
			senders.add(peer);
			byte[] datagram = peer.encrypt(text("hello " + i));
			firstDatagrams.add(datagram);
			bounded.decrypt(datagram);
			assertThat(bounded.rememberedSenders()).isLessThanOrEqualTo(16);
		}
		for (byte[] datagram : firstDatagrams) {
			assertReplayRefused(bounded, datagram);
		}
		// Forgotten senders go on: their next datagrams are newer than anything forgotten.
		this.clock.advance(Duration.ofMillis(1));
		assertThat(bounded.decrypt(senders.get(0).encrypt(text("again")))).isEqualTo(text("again"));
	}

	@Test
	@Timeout(30)
	void concurrentCopiesOfOneDatagramAreAcceptedExactlyOnce() throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(4);
		try {
			for (int round = 0; round < 200; round++) {
				byte[] datagram = this.sender.encrypt(text("once " + round));
				CountDownLatch start = new CountDownLatch(1);
				AtomicInteger accepted = new AtomicInteger();
				List<Future<?>> tasks = new ArrayList<>();
				for (int t = 0; t < 4; t++) {
					tasks.add(pool.submit(() -> {
						start.await();
						try {
							this.receiver.decrypt(datagram);
							accepted.incrementAndGet();
						}
						catch (PacketReplayException ex) {
							// the other copies
						}
						return null;
					}));
				}
				start.countDown();
				for (Future<?> task : tasks) {
					task.get(10, TimeUnit.SECONDS);
				}
				assertThat(accepted).hasValue(1);
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void forgedDatagramsDoNotDisturbTheMemory() {
		byte[] genuine = this.sender.encrypt(text("genuine"));
		// A forger copies the nonce (sender and time) but cannot make the tag: rejected, and nothing is recorded.
		byte[] forged = genuine.clone();
		forged[20] ^= 1;
		assertThatThrownBy(() -> this.receiver.decrypt(forged)).isExactlyInstanceOf(PacketAuthenticationException.class);
		assertThat(this.receiver.decrypt(genuine)).isEqualTo(text("genuine"));
	}

}
