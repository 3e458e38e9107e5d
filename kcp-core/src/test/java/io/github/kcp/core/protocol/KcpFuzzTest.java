package io.github.kcp.core.protocol;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.github.kcp.core.protocol.KcpCodec.CMD_ACK;
import static io.github.kcp.core.protocol.KcpCodec.CMD_PUSH;
import static io.github.kcp.core.protocol.KcpCodec.CMD_WASK;
import static io.github.kcp.core.protocol.KcpCodec.CMD_WINS;
import static io.github.kcp.core.protocol.KcpCodec.OVERHEAD;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property-based fuzzing of the codec and the engine (see {@link Fuzz} for seeds, case counts and replay; the
 * build runs a few hundred cases, {@code kcp-core/fuzz.sh} as many as you like):
 * <ul>
 * <li>arbitrary datagrams (random bytes, truncations, wild header fields, unknown commands, foreign convs, lying
 * lengths, inconsistent fragment counts) never make the codec or the engine throw, and leave the engine within
 * its invariants;</li>
 * <li>a transfer over a network that loses, duplicates, reorders and truncates datagrams delivers every byte
 * exactly once and in order (every message whole), in bounded virtual time, for random engine settings;</li>
 * <li>an attacker who knows the conversation and injects forged acknowledgements, probes and window updates,
 * out-of-window data, and rewrites fragment counts can stall a transfer but never makes the receiver deliver
 * anything but a prefix of the sent stream, each byte once.</li>
 * </ul>
 */
class KcpFuzzTest {

	private static final int CONV = 0x600DF00D;

	// ---------------------------------------------------------------- hostile datagrams against one engine

	@Test
	@Timeout(120)
	void arbitraryDatagramsNeverThrowAndKeepTheEngineConsistent() {
		Fuzz.check("arbitrary datagrams", 300, (random) -> {
			List<byte[]> out = new ArrayList<>();
			Kcp kcp = new Kcp(CONV, (buffer, length) -> out.add(Arrays.copyOf(buffer, length)));
			configureRandomly(kcp, random);
			KcpAdmissionHooksTest.CountingBudget budget = null;
			if (random.nextBoolean()) {
				budget = new KcpAdmissionHooksTest.CountingBudget(random.nextInt(20_000));
				kcp.setReceiveBudget(budget);
			}
			int now = random.nextInt();
			// Some data of our own in flight, so that acknowledgements have something to act on.
			for (int i = random.nextInt(4); i > 0; i--) {
				kcp.send(new byte[1 + random.nextInt(3 * kcp.mss())]);
			}
			kcp.update(now);
			byte[] buffer = new byte[256 * 1024];
			for (int step = 0; step < 200; step++) {
				now += random.nextInt(50);
				byte[] datagram = hostileDatagram(kcp, random, now);
				int offset = random.nextInt(3);
				byte[] framed = new byte[offset + datagram.length + random.nextInt(3)];
				System.arraycopy(datagram, 0, framed, offset, datagram.length);
				InputResult result = kcp.input(framed, offset, datagram.length, now);
				assertThat(result).isNotNull();
				InputResult validation = KcpCodec.validate(framed, offset, datagram.length);
				if (validation == InputResult.OK && KcpCodec.readConv(framed, offset) == CONV) {
					assertThat(result).as("the engine accepts what the codec validates").isEqualTo(InputResult.OK);
				}
				KcpCodec.containsPush(framed, offset, datagram.length);
				KcpCodec.closeSignal(framed, offset, datagram.length);
				if (budget != null) {
					assertThat(budget.used).isEqualTo(kcp.parkedBytes()).isBetween(0L, budget.limit);
				}
				switch (random.nextInt(6)) {
					case 5 -> kcp.setAcceptingData(!kcp.isAcceptingData());
					case 0 -> kcp.update(now);
					case 1 -> kcp.flush(now);
					case 2 -> kcp.flushAcks(now);
					case 3 -> kcp.send(new byte[random.nextInt(kcp.mss() + 1)]);
					default -> {
					}
				}
				int size = kcp.peekSize();
				if (size >= 0) {
					if (size > buffer.length) {
						buffer = new byte[size];
					}
					assertThat(kcp.receive(buffer, 0, buffer.length)).isEqualTo(size);
				}
				assertInvariants(kcp, now);
			}
			for (byte[] datagram : out) {
				assertThat(datagram.length).isLessThanOrEqualTo(kcp.mtu());
				assertThat(KcpCodec.validate(datagram, 0, datagram.length)).isEqualTo(InputResult.OK);
			}
		});
	}

	@Test
	@Timeout(60)
	void codecNeverThrowsOnArbitraryBytes() {
		Fuzz.check("codec on arbitrary bytes", 2000, (random) -> {
			byte[] data = new byte[random.nextInt(200)];
			random.nextBytes(data);
			if (data.length >= OVERHEAD && random.nextBoolean()) {
				// Plausible header, lying fields.
				KcpCodec.writeHeader(data, 0, CONV, CMD_PUSH + random.nextInt(12) - 1, random.nextInt(256),
						random.nextInt(), random.nextInt(), random.nextInt(), random.nextInt(), wildLength(random,
								data.length - OVERHEAD));
			}
			int offset = (data.length == 0) ? 0 : random.nextInt(data.length + 1);
			int length = random.nextInt(data.length - offset + 1);
			InputResult result = KcpCodec.validate(data, offset, length);
			boolean push = KcpCodec.containsPush(data, offset, length);
			int signal = KcpCodec.closeSignal(data, offset, length);
			if (result == InputResult.OK) {
				assertThat(length).isGreaterThanOrEqualTo(OVERHEAD);
			}
			if (signal != 0) {
				assertThat(length).isEqualTo(OVERHEAD);
				assertThat(push).isFalse();
			}
		});
	}

	// ---------------------------------------------------------------- transfers over a faulty network

	@Test
	@Timeout(180)
	void transferOverALossyDuplicatingReorderingTruncatingNetworkIsExactlyOnceAndInOrder() {
		Fuzz.check("faulty network transfer", 100, (random) -> {
			Network network = new Network(random, false);
			// Generous but bounded: the slowest settings (30 % loss each way, congestion control, 26-byte segments)
			// move a segment every few hundred ms.
			network.run(network.virtualTimeBound());
			assertThat(network.receivedStream())
				.as("every byte exactly once, in order, in %d ms of virtual time (%s)", network.elapsed,
						network.describe())
				.isEqualTo(network.sentStream());
			if (System.getProperty("kcp.fuzz.replay") != null) {
				System.out.println("replayed case: " + network.elapsed + " ms virtual; " + network.describe());
			}
			assertThat(network.messagesIntact).as("every message whole, with its own size").isTrue();
		});
	}

	@Test
	@Timeout(180)
	void forgedControlSegmentsAndRewrittenFragmentCountsNeverCorruptTheStream() {
		long[] delivered = new long[2];
		long cases = Fuzz.check("tampering attacker", 100, (random) -> {
			Network network = new Network(random, true);
			network.run(2 * 60_000);
			byte[] received = network.receivedStream();
			byte[] sent = network.sentStream();
			assertThat(received.length).isLessThanOrEqualTo(sent.length);
			assertThat(received).as("a prefix of the sent stream, each byte once (%s)", network.describe())
				.isEqualTo(Arrays.copyOf(sent, received.length));
			delivered[0] += received.length;
			delivered[1] += (received.length == sent.length) ? 1 : 0;
		});
		// Not vacuous: the attacker slows transfers down, most still carry data and some complete.
		assertThat(delivered[0]).isPositive();
		assertThat(delivered[1]).isPositive().isLessThanOrEqualTo(cases);
	}

	// ---------------------------------------------------------------- helpers

	/**
	 * Random but legal settings: engine mode, nodelay modes, intervals, windows, mtu, stream or message mode, and a
	 * small first segment.
	 */
	static void configureRandomly(Kcp kcp, SplittableRandom random) {
		kcp.setMode(random.nextBoolean() ? EngineMode.TUNED : EngineMode.IKCP);
		kcp.setNoDelay(random.nextInt(3), 10 + random.nextInt(91), random.nextInt(4), random.nextBoolean());
		kcp.setWindowSize(1 + random.nextInt(256), 1 + random.nextInt(512));
		kcp.setMtu(Kcp.MIN_MTU + random.nextInt(1500));
		kcp.setStream(random.nextInt(4) == 0);
		if (random.nextInt(3) == 0) {
			// A server's small first segment (anti-amplification): the peer reassembles the split first message.
			kcp.setFirstSegmentLimit(1 + random.nextInt(64));
		}
	}

	private static void assertInvariants(Kcp kcp, int now) {
		assertThat(kcp.receiveQueueSize()).isBetween(0, kcp.receiveWindow());
		assertThat(kcp.receiveBufferSize()).isBetween(0, kcp.receiveWindow());
		int inFlightSpan = kcp.sendNext() - kcp.sendUnacknowledged();
		assertThat(inFlightSpan).isGreaterThanOrEqualTo(0);
		assertThat(kcp.inFlight()).isBetween(0, inFlightSpan);
		assertThat(kcp.peekSize()).isGreaterThanOrEqualTo(-1);
		int wait = kcp.check(now) - now;
		// ikcp ticks every interval; the tuned engine waits for the earliest retransmission when that is all it has
		// to do, which a backed-off RTO may put up to RTO_MAX ahead.
		assertThat(wait).isBetween(0, (kcp.mode() == EngineMode.TUNED) ? Kcp.RTO_MAX : kcp.interval());
	}

	private static int wildLength(SplittableRandom random, int available) {
		return switch (random.nextInt(6)) {
			case 0 -> -1 - random.nextInt(Integer.MAX_VALUE);
			case 1 -> Integer.MAX_VALUE - random.nextInt(100);
			case 2 -> available + 1 + random.nextInt(64);
			default -> Math.max(0, available - random.nextInt(Math.max(1, available + 1)));
		};
	}

	/** A number near {@code center} most of the time, anything at all otherwise. */
	private static int near(SplittableRandom random, int center, int spread) {
		return (random.nextInt(4) == 0) ? random.nextInt() : center + random.nextInt(2 * spread + 1) - spread;
	}

	/** One datagram an attacker or a broken network might deliver to {@code kcp}. */
	static byte[] hostileDatagram(Kcp kcp, SplittableRandom random, int now) {
		if (random.nextInt(10) == 0) {
			byte[] noise = new byte[random.nextInt(2 * OVERHEAD + 40)];
			random.nextBytes(noise);
			return noise;
		}
		ByteArrayOutputStream datagram = new ByteArrayOutputStream();
		int segments = 1 + random.nextInt(6);
		for (int i = 0; i < segments; i++) {
			int payload = (random.nextInt(3) == 0) ? random.nextInt(kcp.mss() + 1) : random.nextInt(16);
			byte[] segment = new byte[OVERHEAD + payload];
			random.nextBytes(segment);
			int cmd = switch (random.nextInt(10)) {
				case 0, 1, 2, 3 -> CMD_PUSH;
				case 4, 5, 6 -> CMD_ACK;
				case 7 -> CMD_WASK;
				case 8 -> CMD_WINS;
				default -> random.nextInt(256);
			};
			int conv = (random.nextInt(20) == 0) ? random.nextInt() : CONV;
			int frg = (random.nextInt(3) == 0) ? random.nextInt(256) : random.nextInt(4);
			int wnd = (random.nextInt(5) == 0) ? 0 : random.nextInt(0x10000);
			int ts = near(random, now, 5000);
			int sn = (cmd == CMD_ACK) ? near(random, kcp.sendUnacknowledged(), 64)
					: near(random, kcp.receiveNext(), 2 * kcp.receiveWindow());
			int una = near(random, kcp.sendUnacknowledged(), 64);
			int len = (random.nextInt(15) == 0) ? wildLength(random, payload) : payload;
			KcpCodec.writeHeader(segment, 0, conv, cmd, frg, wnd, ts, sn, una, len);
			datagram.writeBytes(segment);
		}
		byte[] bytes = datagram.toByteArray();
		if (random.nextInt(8) == 0) {
			// Cut anywhere, a header included.
			bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
		}
		return bytes;
	}

	/**
	 * Two engines with random settings and a one-way transfer of random writes, over a network that loses,
	 * duplicates, reorders, delays and truncates datagrams, optionally with an attacker who knows the conversation
	 * id. Runs in virtual time from event to event.
	 */
	private static final class Network {

		private final SplittableRandom random;

		private final boolean attacker;

		private final Peer sender;

		private final Peer receiver;

		private final PriorityQueue<Delivery> queue = new PriorityQueue<>();

		private final double loss;

		private final double duplicate;

		private final double reorder;

		private final double truncate;

		private final int delay;

		private final int afterInput;

		private final int start;

		private final ByteArrayOutputStream sent = new ByteArrayOutputStream();

		private final ByteArrayOutputStream received = new ByteArrayOutputStream();

		private final List<Integer> sentSizes = new ArrayList<>();

		// The largest "message" rewritten fragment counts can make: a whole receive window of segments.
		private final byte[] buffer = new byte[1024 * 1024];

		private long remaining;

		private long order;

		private long elapsed;

		private int receivedMessages;

		private boolean messagesIntact = true;

		private long forged;

		Network(SplittableRandom random, boolean attacker) {
			this.random = random;
			this.attacker = attacker;
			this.sender = new Peer();
			this.receiver = new Peer();
			configureRandomly(this.sender.kcp, random);
			// Both ends agree on mode and mtu; everything else may differ.
			configureRandomly(this.receiver.kcp, random);
			this.receiver.kcp.setStream(this.sender.kcp.isStream());
			this.receiver.kcp.setMtu(this.sender.kcp.mtu());
			this.loss = random.nextDouble() * 0.3;
			this.duplicate = random.nextDouble() * 0.2;
			this.reorder = random.nextDouble() * 0.3;
			this.truncate = random.nextDouble() * 0.1;
			this.delay = random.nextInt(60);
			this.afterInput = random.nextInt(3);
			// Anywhere on the 32-bit clock, the wrap included.
			this.start = random.nextInt();
			this.remaining = 1 + random.nextInt((random.nextInt(4) == 0) ? 256 * 1024 : 16 * 1024);
		}

		/**
		 * Ten minutes (backoff doubling to 60 s with nodelay 0) plus three seconds per segment: at 30 % loss each way
		 * with congestion control, nodelay 0 and a small window, a transfer moves about a segment per 1.7 s.
		 */
		long virtualTimeBound() {
			return 600_000 + 3000 * (this.remaining / this.sender.kcp.mss() + 1);
		}

		int now() {
			return this.start + (int) this.elapsed;
		}

		void run(long maxVirtualMillis) {
			long steps = 0;
			pump();
			while (this.elapsed < maxVirtualMillis && !(this.remaining == 0 && this.sender.kcp.waitSnd() == 0
					&& this.received.size() == this.sent.size())) {
				if (++steps > 2_000_000) {
					throw new AssertionError("livelock: " + describe());
				}
				long next = Math.min(this.sender.nextUpdate, this.receiver.nextUpdate);
				Delivery first = this.queue.peek();
				if (first != null) {
					next = Math.min(next, first.at);
				}
				this.elapsed = Math.max(this.elapsed, next);
				int now = now();
				updateIfDue(this.sender, now);
				updateIfDue(this.receiver, now);
				Delivery delivery;
				while ((delivery = this.queue.peek()) != null && delivery.at <= this.elapsed) {
					this.queue.poll();
					delivery.to.kcp.input(delivery.data, 0, delivery.data.length, now);
					switch (this.afterInput) {
						case 1 -> delivery.to.kcp.flushAcks(now);
						case 2 -> delivery.to.kcp.flush(now);
						default -> {
						}
					}
					delivery.to.nextUpdate = Math.min(delivery.to.nextUpdate, this.elapsed + 1);
					assertInvariants(delivery.to.kcp, now);
				}
				if (this.attacker && this.random.nextInt(4) == 0) {
					inject(now);
				}
				drain();
				pump();
				transmit(this.sender, this.receiver, now);
				transmit(this.receiver, this.sender, now);
			}
		}

		private void updateIfDue(Peer peer, int now) {
			if (peer.nextUpdate <= this.elapsed) {
				peer.kcp.update(now);
				peer.nextUpdate = this.elapsed + Math.max(1, peer.kcp.check(now) - now);
			}
		}

		private void pump() {
			Kcp kcp = this.sender.kcp;
			while (this.remaining > 0 && kcp.waitSnd() < 2 * kcp.sendWindow()) {
				int limit = kcp.isStream() ? 8 * kcp.mss() : kcp.maxMessageSize();
				int size = (int) Math.min(this.remaining, 1 + this.random.nextInt(Math.min(limit, 4 * kcp.mss())));
				byte[] data = new byte[size];
				this.random.nextBytes(data);
				kcp.send(data);
				this.sent.writeBytes(data);
				this.sentSizes.add(size);
				this.remaining -= size;
				this.sender.nextUpdate = Math.min(this.sender.nextUpdate, this.elapsed + 1);
			}
		}

		private void drain() {
			Kcp kcp = this.receiver.kcp;
			int size;
			while ((size = kcp.receive(this.buffer, 0, this.buffer.length)) >= 0) {
				this.received.write(this.buffer, 0, size);
				if (!kcp.isStream()) {
					int expected = (this.receivedMessages < this.sentSizes.size())
							? this.sentSizes.get(this.receivedMessages) : -1;
					if (size != expected) {
						this.messagesIntact = false;
					}
				}
				this.receivedMessages++;
			}
		}

		private void transmit(Peer from, Peer to, int now) {
			for (byte[] datagram : from.outbox) {
				if (this.attacker && this.random.nextInt(6) == 0) {
					rewriteFragmentCounts(datagram);
				}
				if (this.random.nextDouble() < this.loss) {
					continue;
				}
				byte[] data = datagram;
				if (this.random.nextDouble() < this.truncate) {
					data = Arrays.copyOf(datagram, this.random.nextInt(datagram.length + 1));
				}
				long at = this.elapsed + this.delay;
				if (this.random.nextDouble() < this.reorder) {
					at += 1 + this.random.nextInt(100);
				}
				this.queue.add(new Delivery(at, this.order++, to, data));
				if (this.random.nextDouble() < this.duplicate) {
					this.queue.add(new Delivery(at + this.random.nextInt(50), this.order++, to, data));
				}
			}
			from.outbox.clear();
		}

		/** Rewrites the frg of every PUSH segment: message boundaries change, the bytes must not. */
		private void rewriteFragmentCounts(byte[] datagram) {
			int position = 0;
			while (datagram.length - position >= OVERHEAD) {
				if ((datagram[position + 4] & 0xff) == CMD_PUSH) {
					datagram[position + 5] = (byte) this.random.nextInt(256);
				}
				position += OVERHEAD + KcpCodec.readInt(datagram, position + 20);
			}
		}

		/** Forged control segments and out-of-window data, with the right conversation id. */
		private void inject(int now) {
			Peer target = this.random.nextBoolean() ? this.sender : this.receiver;
			Kcp kcp = target.kcp;
			int cmd = switch (this.random.nextInt(4)) {
				case 0 -> CMD_ACK;
				case 1 -> CMD_WASK;
				case 2 -> CMD_WINS;
				default -> CMD_PUSH;
			};
			int sn = near(this.random, kcp.sendUnacknowledged(), 64);
			int payload = 0;
			if (cmd == CMD_PUSH) {
				// Data the receiver must drop: already delivered, or beyond its window.
				sn = this.random.nextBoolean() ? kcp.receiveNext() - 1 - this.random.nextInt(1000)
						: kcp.receiveNext() + kcp.receiveWindow() + this.random.nextInt(1000);
				payload = this.random.nextInt(64);
			}
			byte[] segment = new byte[OVERHEAD + payload];
			this.random.nextBytes(segment);
			KcpCodec.writeHeader(segment, 0, CONV, cmd, this.random.nextInt(256), this.random.nextInt(0x10000),
					near(this.random, now, 10_000), sn, near(this.random, kcp.sendUnacknowledged(), 64), payload);
			this.queue.add(new Delivery(this.elapsed + this.random.nextInt(20), this.order++, target, segment));
			this.forged++;
		}

		byte[] sentStream() {
			return this.sent.toByteArray();
		}

		byte[] receivedStream() {
			return this.received.toByteArray();
		}

		String describe() {
			Kcp s = this.sender.kcp;
			Kcp r = this.receiver.kcp;
			return String.format(
					"sent %d of %d+%d bytes, received %d; loss %.2f dup %.2f reorder %.2f truncate %.2f delay %d, "
							+ "forged %d; sender nodelay %d interval %d resend %d nc %b wnd %d mtu %d stream %b "
							+ "waitSnd %d rtx %d/%d; receiver wnd %d rcvQueue %d rcvBuf %d",
					this.sent.size(), this.sent.size(), this.remaining, this.received.size(), this.loss,
					this.duplicate, this.reorder, this.truncate, this.delay, this.forged, s.nodelay(), s.interval(),
					s.fastResend(), s.isNoCongestionControl(), s.sendWindow(), s.mtu(), s.isStream(), s.waitSnd(),
					s.timeoutRetransmissions(), s.fastRetransmissions(), r.receiveWindow(), r.receiveQueueSize(),
					r.receiveBufferSize());
		}

	}

	private static final class Peer {

		final List<byte[]> outbox = new ArrayList<>();

		final Kcp kcp = new Kcp(CONV, (buffer, length) -> this.outbox.add(Arrays.copyOf(buffer, length)));

		long nextUpdate;

	}

	private record Delivery(long at, long order, Peer to, byte[] data) implements Comparable<Delivery> {

		@Override
		public int compareTo(Delivery other) {
			int byTime = Long.compare(this.at, other.at);
			return (byTime != 0) ? byTime : Long.compare(this.order, other.order);
		}

	}

}
