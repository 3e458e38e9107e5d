package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Two {@link Kcp} engines joined by a simulated network and driven by a virtual clock: the test bed of the
 * deterministic protocol tests.
 * <p>
 * Each direction has its own {@link Impairments} (loss, delay, jitter, reordering, duplication, a bandwidth cap
 * with a bounded queue, ikcp-style FIFO delivery) and its own {@link Random} seeded from the link's seed, so a run
 * is a pure function of the seed and the settings. Datagrams are copied when an engine emits them (the engine
 * reuses its buffer) and wait in one priority queue ordered by (delivery time, emission order).
 * <p>
 * The clock is a {@code long} count of elapsed virtual milliseconds; the engines see it as an {@code int}
 * offset by a start time, which may lie just below 2^32 so that the engines' clock wraps during a test. Nothing
 * ever sleeps: {@link #runUntil} jumps from one event to the next, and every run is bounded by a virtual time and
 * an iteration count so that a stuck protocol fails with a description instead of hanging the build.
 */
final class SimulatedLink {

	/** The conversation id of both engines. */
	static final int CONV = 0x11223344;

	/** How the driver calls {@link Kcp#update}. */
	enum Scheduling {

		/** At each engine's {@link Kcp#check} deadline only, as an efficient transport does. */
		CHECK_DEADLINES,

		/** Both engines every millisecond, as ikcp's own test.cpp does. */
		EVERY_MILLISECOND

	}

	/** What the driver does to an engine right after feeding it a datagram. */
	enum AfterInput {

		/** Nothing: acknowledgements wait for the engine's next update (ikcp's test.cpp). */
		NOTHING,

		/** {@link Kcp#flushAcks}: acknowledgements leave at once. */
		FLUSH_ACKS,

		/** {@link Kcp#flush}: an "eager" transport that flushes after every input. */
		FLUSH

	}

	/** Observes every datagram an engine emits, before the network decides its fate. */
	@FunctionalInterface
	interface WireTap {

		void datagram(Endpoint from, int now, byte[] data, int length);

	}

	/** Lets a test drop chosen datagrams before the random impairments apply. */
	@FunctionalInterface
	interface DropFilter {

		boolean drop(Endpoint from, int now, byte[] data, int length);

	}

	/** One segment as seen on the wire. */
	record WireSegment(int cmd, int frg, int wnd, int ts, int sn, int una, int len) {
	}

	private final int startTime;

	private final Endpoint left;

	private final Endpoint right;

	private final PriorityQueue<Datagram> inFlight = new PriorityQueue<>();

	private Scheduling scheduling = Scheduling.CHECK_DEADLINES;

	private AfterInput afterInput = AfterInput.NOTHING;

	private WireTap tap;

	private DropFilter filter;

	private long elapsed;

	private long emitted;

	private long iterations;

	/**
	 * Creates a link between two fresh engines with ikcp's defaults and a perfect network (no loss, no delay).
	 * @param seed the seed of every random decision of the network
	 * @param startTime the engines' clock at virtual time 0
	 */
	SimulatedLink(long seed, int startTime) {
		this.startTime = startTime;
		// Separate generators per direction, so that traffic one way never shifts the fate of datagrams the other.
		this.left = new Endpoint("left", new Random(seed * 0x9E3779B97F4A7C15L + 1));
		this.right = new Endpoint("right", new Random(seed * 0x9E3779B97F4A7C15L + 2));
		this.left.peer = this.right;
		this.right.peer = this.left;
	}

	/** The endpoint whose engine usually sends (the client). */
	Endpoint left() {
		return this.left;
	}

	/** The endpoint whose engine usually receives (the server). */
	Endpoint right() {
		return this.right;
	}

	SimulatedLink scheduling(Scheduling scheduling) {
		this.scheduling = scheduling;
		return this;
	}

	SimulatedLink afterInput(AfterInput afterInput) {
		this.afterInput = afterInput;
		return this;
	}

	SimulatedLink tap(WireTap tap) {
		this.tap = tap;
		return this;
	}

	SimulatedLink filter(DropFilter filter) {
		this.filter = filter;
		return this;
	}

	/** Applies the same impairments to both directions. */
	SimulatedLink impairBoth(Consumer<Impairments> settings) {
		settings.accept(this.left.impairments);
		settings.accept(this.right.impairments);
		return this;
	}

	/** The engines' current time. */
	int now() {
		return this.startTime + (int) this.elapsed;
	}

	/** Virtual milliseconds since the link was created. */
	long elapsed() {
		return this.elapsed;
	}

	/** Iterations of the driver loop so far, over all runs. */
	long iterations() {
		return this.iterations;
	}

	/** Datagrams waiting in the network. */
	int datagramsInFlight() {
		return this.inFlight.size();
	}

	/**
	 * Cuts the link: from now on every datagram is lost both ways, and those already in flight vanish (a cable
	 * pulled, not a queue draining), so that no acknowledgement sent before the cut can arrive after it.
	 */
	void cut() {
		this.left.impairments.loss(1.0);
		this.right.impairments.loss(1.0);
		this.inFlight.clear();
		this.left.inFlight = 0;
		this.right.inFlight = 0;
	}

	/**
	 * Runs the simulation until {@code done} holds, calling {@code application} with the engines' time once before
	 * the first step and after every step (it may send and receive on either engine).
	 * @param goal what the run waits for, for the failure message
	 * @param maxVirtualMillis the longest virtual time the run may take
	 * @param maxIterations the most steps the run may take
	 * @return the virtual milliseconds the run took
	 * @throws AssertionError if a bound is exceeded before {@code done} holds
	 */
	long runUntil(String goal, long maxVirtualMillis, long maxIterations, BooleanSupplier done,
			IntConsumer application) {
		return run(goal, maxVirtualMillis, maxIterations, done, application, Long.MAX_VALUE);
	}

	/** Runs for exactly {@code millis} of virtual time; see {@link #runUntil}. */
	void advance(long millis, IntConsumer application) {
		long until = this.elapsed + millis;
		// Each millisecond holds at most a few events per endpoint, so this bound only trips on a livelock.
		run("advance " + millis + " ms", millis, 64 * millis + 1024, () -> this.elapsed >= until, application,
				until);
	}

	private long run(String goal, long maxVirtualMillis, long maxIterations, BooleanSupplier done,
			IntConsumer application, long stopAt) {
		long begin = this.elapsed;
		long deadline = begin + maxVirtualMillis;
		long steps = 0;
		application.accept(now());
		while (!done.getAsBoolean()) {
			if (++steps > maxIterations) {
				throw new AssertionError("Not done (" + goal + ") after " + maxIterations + " iterations, "
						+ (this.elapsed - begin) + " ms of virtual time; " + describe());
			}
			long next = Math.min(nextEventTime(), stopAt);
			if (next > deadline) {
				throw new AssertionError("Not done (" + goal + ") after " + maxVirtualMillis
						+ " ms of virtual time (" + steps + " iterations); " + describe());
			}
			this.elapsed = Math.max(this.elapsed, next);
			this.iterations++;
			step();
			application.accept(now());
			recheckTuned(this.left);
			recheckTuned(this.right);
		}
		return this.elapsed - begin;
	}

	private long nextEventTime() {
		if (this.scheduling == Scheduling.EVERY_MILLISECOND) {
			return this.elapsed + 1;
		}
		long next = Math.min(this.left.nextUpdate, this.right.nextUpdate);
		Datagram first = this.inFlight.peek();
		if (first != null) {
			next = Math.min(next, first.deliverAt);
		}
		return next;
	}

	private void step() {
		int now = now();
		// The order of ikcp's test loop: update, then deliver what is due, then let the application act.
		updateIfDue(this.left, now);
		updateIfDue(this.right, now);
		Datagram datagram;
		while ((datagram = this.inFlight.peek()) != null && datagram.deliverAt <= this.elapsed) {
			this.inFlight.poll();
			Endpoint to = datagram.to;
			to.peer.inFlight--;
			to.received++;
			InputResult result = to.kcp.input(datagram.data, 0, datagram.data.length, now);
			if (result != InputResult.OK) {
				// Only engines write on this link, so a malformed datagram is an encoder bug.
				throw new AssertionError("Engine " + to.name + " rejected a datagram from its peer: " + result);
			}
			if (this.afterInput == AfterInput.FLUSH_ACKS) {
				to.kcp.flushAcks(now);
			}
			else if (this.afterInput == AfterInput.FLUSH) {
				to.kcp.flush(now);
			}
		}
	}

	/**
	 * After input and sends, as check()'s contract asks of a driver (and as the connection does): a tuned engine
	 * waiting for nothing but acknowledgements names only its retransmission deadline, so an earlier update that input
	 * or a send made worthwhile is found only by asking again. ikcp's check() never names more than an interval, and
	 * the ikcp-mode comparisons keep ikcp's test loop as it is.
	 */
	private void recheckTuned(Endpoint endpoint) {
		if (this.scheduling == Scheduling.CHECK_DEADLINES && endpoint.kcp.mode() == EngineMode.TUNED) {
			int now = now();
			long due = this.elapsed + Math.max(endpoint.kcp.check(now) - now, 0);
			endpoint.nextUpdate = Math.min(endpoint.nextUpdate, due);
		}
	}

	private void updateIfDue(Endpoint endpoint, int now) {
		if (this.scheduling == Scheduling.EVERY_MILLISECOND || endpoint.nextUpdate <= this.elapsed) {
			endpoint.kcp.update(now);
			int wait = endpoint.kcp.check(now) - now;
			// ikcp's check() may name a retransmission deadline that falls between flush ticks; update() does
			// nothing then, and check() keeps answering "now". Step on by a millisecond until the tick comes.
			endpoint.nextUpdate = this.elapsed + Math.max(wait, 1);
		}
	}

	private void transmit(Endpoint from, byte[] buffer, int length) {
		int now = now();
		from.sent++;
		if (this.tap != null) {
			this.tap.datagram(from, now, buffer, length);
		}
		if (this.filter != null && this.filter.drop(from, now, buffer, length)) {
			from.filtered++;
			return;
		}
		Impairments settings = from.impairments;
		Random random = from.random;
		// Always draw the same number of values, so that the fate of the n-th datagram of a direction depends on
		// the seed and the settings only.
		double lossDraw = random.nextDouble();
		double jitterDraw = random.nextDouble();
		double reorderDraw = random.nextDouble();
		double holdDraw = random.nextDouble();
		double duplicateDraw = random.nextDouble();
		double duplicateJitterDraw = random.nextDouble();
		if (lossDraw < settings.loss) {
			from.lost++;
			return;
		}
		if (settings.maxInFlight > 0 && from.inFlight >= settings.maxInFlight) {
			from.overflowed++;
			return;
		}
		long departure = this.elapsed;
		if (settings.bandwidth > 0) {
			double start = Math.max(this.elapsed, from.busyUntil);
			double backlog = (start - this.elapsed) * settings.bandwidth;
			if (settings.queueBytes > 0 && backlog + length > settings.queueBytes) {
				from.overflowed++;
				return;
			}
			from.busyUntil = start + length / settings.bandwidth;
			departure = (long) Math.ceil(from.busyUntil);
		}
		byte[] copy = Arrays.copyOf(buffer, length);
		long deliverAt = departure + settings.delay + (long) (jitterDraw * (settings.jitter + 1));
		if (reorderDraw < settings.reorder) {
			from.reordered++;
			deliverAt += 1 + (long) (holdDraw * settings.reorderDelay);
		}
		schedule(from, copy, deliverAt);
		if (duplicateDraw < settings.duplicate) {
			from.duplicated++;
			// The engine never writes into input data, so both copies may share the array.
			schedule(from, copy, departure + settings.delay + (long) (duplicateJitterDraw * (settings.jitter + 1)));
		}
	}

	private void schedule(Endpoint from, byte[] data, long deliverAt) {
		if (from.impairments.fifo) {
			// ikcp's LatencySimulator hands out only the head of its list: a datagram waits for all earlier ones.
			deliverAt = Math.max(deliverAt, from.lastDelivery);
			from.lastDelivery = deliverAt;
		}
		from.inFlight++;
		this.inFlight.add(new Datagram(deliverAt, this.emitted++, from.peer, data));
	}

	/** A one-line summary of both engines and the network, for failure messages. */
	String describe() {
		return "t=" + this.elapsed + " ms (clock " + Integer.toUnsignedString(now()) + "), " + this.inFlight.size()
				+ " datagrams in flight; " + this.left.describe() + "; " + this.right.describe();
	}

	// ---------------------------------------------------------------- wire inspection

	/** Splits a datagram into its segments (headers only; the caller knows where the payloads are). */
	static List<WireSegment> segments(byte[] data, int length) {
		List<WireSegment> segments = new ArrayList<>(2);
		int position = 0;
		while (length - position >= KcpCodec.OVERHEAD) {
			int len = KcpCodec.readInt(data, position + 20);
			segments.add(new WireSegment(data[position + 4] & 0xff, data[position + 5] & 0xff,
					KcpCodec.readShort(data, position + 6), KcpCodec.readInt(data, position + 8),
					KcpCodec.readInt(data, position + 12), KcpCodec.readInt(data, position + 16), len));
			position += KcpCodec.OVERHEAD + len;
		}
		return segments;
	}

	/** How many segments of command {@code cmd} a datagram holds. */
	static int count(byte[] data, int length, int cmd) {
		int count = 0;
		int position = 0;
		while (length - position >= KcpCodec.OVERHEAD) {
			if ((data[position + 4] & 0xff) == cmd) {
				count++;
			}
			position += KcpCodec.OVERHEAD + KcpCodec.readInt(data, position + 20);
		}
		return count;
	}

	// ---------------------------------------------------------------- types

	/** The network's treatment of the datagrams one endpoint sends; mutable, so a test can change it mid-run. */
	static final class Impairments {

		private double loss;

		private int delay;

		private int jitter;

		private double reorder;

		private int reorderDelay;

		private double duplicate;

		private double bandwidth;

		private int queueBytes;

		private int maxInFlight;

		private boolean fifo;

		/** Drops each datagram with probability {@code probability}. */
		Impairments loss(double probability) {
			this.loss = probability;
			return this;
		}

		/** Delays each datagram by {@code base} plus a uniform {@code 0..jitter} ms. */
		Impairments delay(int base, int jitter) {
			this.delay = base;
			this.jitter = jitter;
			return this;
		}

		/** Holds back a datagram with probability {@code probability} by an extra uniform {@code 1..maxExtra} ms. */
		Impairments reorder(double probability, int maxExtra) {
			this.reorder = probability;
			this.reorderDelay = maxExtra;
			return this;
		}

		/** Delivers a datagram twice with probability {@code probability} (the copy has its own jitter). */
		Impairments duplicate(double probability) {
			this.duplicate = probability;
			return this;
		}

		/**
		 * Caps the direction at {@code bytesPerMilli}: datagrams leave one after the other, and one that would find
		 * more than {@code queueBytes} bytes waiting ahead of it is dropped (0 = unbounded queue).
		 */
		Impairments bandwidth(double bytesPerMilli, int queueBytes) {
			this.bandwidth = bytesPerMilli;
			this.queueBytes = queueBytes;
			return this;
		}

		/** Drops datagrams while {@code datagrams} are in flight, as ikcp's LatencySimulator (its nmax). */
		Impairments maxInFlight(int datagrams) {
			this.maxInFlight = datagrams;
			return this;
		}

		/** Delivers in emission order: a datagram never overtakes an earlier one (ikcp's LatencySimulator). */
		Impairments fifo(boolean fifo) {
			this.fifo = fifo;
			return this;
		}

	}

	/** One engine and the network's state for the datagrams it sends. */
	final class Endpoint implements KcpOutput {

		private final String name;

		private final Kcp kcp;

		private final Random random;

		private final Impairments impairments = new Impairments();

		private Endpoint peer;

		private long nextUpdate;

		private double busyUntil;

		private long lastDelivery;

		private int inFlight;

		private long sent;

		private long lost;

		private long filtered;

		private long overflowed;

		private long reordered;

		private long duplicated;

		private long received;

		private Endpoint(String name, Random random) {
			this.name = name;
			this.random = random;
			this.kcp = new Kcp(CONV, this);
		}

		Kcp kcp() {
			return this.kcp;
		}

		String name() {
			return this.name;
		}

		Endpoint peer() {
			return this.peer;
		}

		/** The impairments of the datagrams this endpoint sends. */
		Impairments impairments() {
			return this.impairments;
		}

		/** Datagrams this endpoint's engine emitted. */
		long sent() {
			return this.sent;
		}

		/** Datagrams this endpoint's engine was fed. */
		long received() {
			return this.received;
		}

		/** Datagrams from this endpoint lost to random loss. */
		long lost() {
			return this.lost;
		}

		/** Datagrams from this endpoint dropped by a full queue. */
		long overflowed() {
			return this.overflowed;
		}

		/** Datagrams from this endpoint dropped by the test's filter. */
		long filtered() {
			return this.filtered;
		}

		@Override
		public void output(byte[] buffer, int length) {
			transmit(this, buffer, length);
		}

		String describe() {
			Kcp k = this.kcp;
			return this.name + "[waitSnd=" + k.waitSnd() + " una=" + Integer.toUnsignedString(k.sendUnacknowledged())
					+ " nxt=" + Integer.toUnsignedString(k.sendNext()) + " rcvNxt="
					+ Integer.toUnsignedString(k.receiveNext()) + " rcvQueue=" + k.receiveQueueSize() + " rcvBuf="
					+ k.receiveBufferSize() + " rmtWnd=" + k.remoteWindow() + " cwnd=" + k.congestionWindow()
					+ " srtt=" + k.srtt() + " rto=" + k.rto() + " dead=" + k.isDeadLink() + " sent=" + this.sent
					+ " lost=" + this.lost + " overflowed=" + this.overflowed + " rtx=" + k.timeoutRetransmissions()
					+ "/" + k.fastRetransmissions() + "]";
		}

	}

	private static final class Datagram implements Comparable<Datagram> {

		final long deliverAt;

		final long order;

		final Endpoint to;

		final byte[] data;

		Datagram(long deliverAt, long order, Endpoint to, byte[] data) {
			this.deliverAt = deliverAt;
			this.order = order;
			this.to = to;
			this.data = data;
		}

		@Override
		public int compareTo(Datagram other) {
			int byTime = Long.compare(this.deliverAt, other.deliverAt);
			return (byTime != 0) ? byTime : Long.compare(this.order, other.order);
		}

	}

	// ---------------------------------------------------------------- application helpers

	/**
	 * A reproducible byte stream: the bytes of a {@link Random} with a given seed, in order. A sender and a
	 * receiver built with the same seed see the same bytes, whatever sizes they read them in, so 10 MB can be
	 * checked byte for byte without keeping a copy.
	 */
	static final class Content {

		private final Random random;

		private final byte[] block = new byte[16 * 1024];

		private int position = this.block.length;

		private long produced;

		Content(long seed) {
			this.random = new Random(seed);
		}

		/** Bytes produced or checked so far. */
		long position() {
			return this.produced;
		}

		/** Writes the next {@code length} bytes of the stream. */
		void fill(byte[] target, int offset, int length) {
			while (length > 0) {
				refill();
				int chunk = Math.min(length, this.block.length - this.position);
				System.arraycopy(this.block, this.position, target, offset, chunk);
				this.position += chunk;
				this.produced += chunk;
				offset += chunk;
				length -= chunk;
			}
		}

		/**
		 * Checks that {@code length} bytes are the next bytes of the stream.
		 * @throws AssertionError naming the stream offset of the first differing byte
		 */
		void verify(byte[] actual, int offset, int length) {
			while (length > 0) {
				refill();
				int chunk = Math.min(length, this.block.length - this.position);
				int mismatch = Arrays.mismatch(this.block, this.position, this.position + chunk, actual, offset,
						offset + chunk);
				if (mismatch >= 0) {
					throw new AssertionError("Received bytes differ from the sent ones at stream offset "
							+ (this.produced + mismatch));
				}
				this.position += chunk;
				this.produced += chunk;
				offset += chunk;
				length -= chunk;
			}
		}

		private void refill() {
			if (this.position == this.block.length) {
				this.random.nextBytes(this.block);
				this.position = 0;
			}
		}

	}

	/**
	 * The sending application of a one-way transfer: writes {@code total} bytes of a {@link Content} stream in
	 * writes (messages, in message mode) of random sizes {@code 1..maxWrite}, keeping at most about
	 * {@code queueLimit} segments waiting in the engine, as a well-behaved application with backpressure does.
	 */
	static final class Sender {

		private final Kcp kcp;

		private final Content content;

		private final Random sizes;

		private final int maxWrite;

		private final int queueLimit;

		private final byte[] scratch;

		private long remaining;

		private long writes;

		Sender(Kcp kcp, long seed, long total, int maxWrite, int queueLimit) {
			this.kcp = kcp;
			this.content = new Content(seed);
			this.sizes = new Random(~seed);
			this.maxWrite = maxWrite;
			this.queueLimit = queueLimit;
			this.scratch = new byte[maxWrite];
			this.remaining = total;
		}

		/** Hands data to the engine while it has room; cheap when it has none. */
		void pump() {
			while (this.remaining > 0 && this.kcp.waitSnd() < this.queueLimit) {
				int size = (int) Math.min(1 + this.sizes.nextInt(this.maxWrite), this.remaining);
				this.content.fill(this.scratch, 0, size);
				this.kcp.send(this.scratch, 0, size);
				this.remaining -= size;
				this.writes++;
			}
		}

		/** Whether every byte has been handed to the engine. */
		boolean handedOver() {
			return this.remaining == 0;
		}

		/** Writes (messages) handed to the engine. */
		long writes() {
			return this.writes;
		}

	}

	/**
	 * The receiving application of a one-way transfer: reads everything the engine has ready and checks it
	 * against the sender's {@link Content} stream; in message mode it also checks that each message has exactly
	 * the size the sender wrote, i.e. that boundaries survive.
	 */
	static final class Receiver {

		private final Kcp kcp;

		private final Content expected;

		private final Random sizes;

		private final int maxWrite;

		private final boolean messages;

		private final byte[] buffer;

		private long remaining;

		private long reads;

		Receiver(Kcp kcp, long seed, long total, int maxWrite, boolean messages) {
			this.kcp = kcp;
			this.expected = new Content(seed);
			this.sizes = new Random(~seed);
			this.maxWrite = maxWrite;
			this.messages = messages;
			this.buffer = new byte[Math.max(maxWrite, 64 * 1024)];
			this.remaining = total;
		}

		/** Reads and checks everything ready; returns how many reads succeeded. */
		int drain() {
			int count = 0;
			int size;
			while ((size = this.kcp.receive(this.buffer, 0, this.buffer.length)) >= 0) {
				if (this.messages) {
					int sent = (int) Math.min(1 + this.sizes.nextInt(this.maxWrite), this.remaining);
					if (size != sent) {
						throw new AssertionError("Message " + this.reads + " has " + size + " bytes but " + sent
								+ " were sent: a boundary was lost");
					}
				}
				if (size > this.remaining) {
					throw new AssertionError("Received " + (size - this.remaining) + " bytes more than were sent");
				}
				this.expected.verify(this.buffer, 0, size);
				this.remaining -= size;
				this.reads++;
				count++;
			}
			return count;
		}

		/** Whether every byte has arrived (and matched). */
		boolean complete() {
			return this.remaining == 0;
		}

		/** Bytes received and checked. */
		long receivedBytes() {
			return this.expected.position();
		}

		/** Successful reads (messages, in message mode). */
		long reads() {
			return this.reads;
		}

	}

}
