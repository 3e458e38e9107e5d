package io.github.kcp.testsupport.relay;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process UDP relay that forwards datagrams between any number of clients and one
 * fixed target while applying a {@link LinkImpairment}: loss, delay, jitter,
 * reordering, duplication and a bandwidth cap.
 *
 * <p>The relay listens on one UDP port. Each client address gets its own upstream
 * channel towards the target, so the target sees a distinct source port per client,
 * as behind a NAT, and replies arriving on that channel go back to that client only.
 * Upstream channels are bound to the wildcard address of the target's address family;
 * the listening port is on the loopback address of that family unless another bind
 * address is given.
 *
 * <p>Two daemon threads do the work: a selector thread reads every channel and decides
 * each datagram's fate and due time, and a sender thread takes datagrams from a
 * {@link DelayQueue} when they fall due and writes them out. Datagrams due at the same
 * instant leave in arrival order, so a relay without jitter or reordering preserves
 * order per direction.
 *
 * <p>The impairment can be replaced at any time with
 * {@link #setImpairment(LinkImpairment)}, for example {@link LinkImpairment#cut()} to
 * simulate a dead link and then the original impairment to restore it. Datagrams
 * already in flight keep the fate decided when they arrived.
 *
 * <p>Everything is bounded: at most {@value #MAX_CLIENTS} clients (the least recently
 * active one is forgotten, and its upstream channel closed, when a new one arrives)
 * and at most {@value #MAX_IN_FLIGHT} datagrams or {@value #MAX_IN_FLIGHT_BYTES}
 * payload bytes in flight per direction. Datagrams
 * beyond these limits, beyond the impairment's bandwidth queue, or refused by a full
 * socket buffer are counted as {@linkplain DirectionStats#droppedByOverflow() dropped
 * by overflow}.
 *
 * <p>This class is a test tool, not a production proxy. It is thread-safe.
 */
public final class LossyUdpRelay implements AutoCloseable {

	/**
	 * Maximum number of client addresses with their own upstream channel.
	 */
	public static final int MAX_CLIENTS = 1024;

	/**
	 * Maximum number of datagrams waiting for delivery per direction.
	 */
	public static final int MAX_IN_FLIGHT = 8192;

	/**
	 * Maximum number of payload bytes waiting for delivery per direction.
	 */
	public static final long MAX_IN_FLIGHT_BYTES = 16L * 1024 * 1024;

	/**
	 * Large socket buffers, so that the kernel does not drop bursts before the relay reads them: the only loss on
	 * the link should be the loss the impairment asks for.
	 */
	private static void setSocketBuffers(DatagramChannel channel) throws IOException {
		channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_SIZE);
		channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_SIZE);
	}

	private static final Logger logger = LoggerFactory.getLogger(LossyUdpRelay.class);

	/** Largest UDP payload over IPv4, rounded up; nothing larger can arrive. */
	private static final int MAX_DATAGRAM_SIZE = 65536;

	/** Reads per channel per wake-up, so one busy client cannot starve the others. */
	private static final int READS_PER_WAKEUP = 64;

	private static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);

	private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

	private final InetSocketAddress targetAddress;

	private final ProtocolFamily family;

	private final Selector selector;

	private final DatagramChannel listener;

	private final InetSocketAddress localAddress;

	private final Lane toTarget = new Lane();

	private final Lane toClient = new Lane();

	/** Upstream per client, in access order for eviction; selector thread only. */
	private final Map<SocketAddress, Upstream> upstreams = new LinkedHashMap<>(16, 0.75f, true);

	private final AtomicInteger clientCount = new AtomicInteger();

	private final DelayQueue<Delivery> deliveries = new DelayQueue<>();

	private final AtomicBoolean closed = new AtomicBoolean();

	private final Thread selectorThread;

	private final Thread senderThread;

	private volatile Settings settings;

	/** Bytes asked for each socket's send and receive buffers (the kernel may cap it at net.core.rmem_max). */
	private static final int SOCKET_BUFFER_SIZE = 4 * 1024 * 1024;

	private volatile boolean running = true;

	/** Tie-breaker keeping equal due times in arrival order; selector thread only. */
	private long sequence;

	private LossyUdpRelay(InetSocketAddress bindAddress, InetSocketAddress targetAddress, LinkImpairment impairment)
			throws IOException {
		this.targetAddress = targetAddress;
		this.family = familyOf(targetAddress.getAddress());
		this.settings = new Settings(impairment);
		this.selector = Selector.open();
		DatagramChannel channel = null;
		try {
			channel = DatagramChannel.open(this.family);
			setSocketBuffers(channel);
			channel.bind(bindAddress);
			channel.configureBlocking(false);
			channel.register(this.selector, SelectionKey.OP_READ);
		}
		catch (IOException | RuntimeException ex) {
			closeQuietly(channel);
			closeQuietly(this.selector);
			throw ex;
		}
		this.listener = channel;
		this.localAddress = (InetSocketAddress) channel.getLocalAddress();
		String name = "lossy-udp-relay-" + this.localAddress.getPort();
		this.selectorThread = new Thread(this::runSelector, name + "-selector");
		this.selectorThread.setDaemon(true);
		this.senderThread = new Thread(this::runSender, name + "-sender");
		this.senderThread.setDaemon(true);
	}

	/**
	 * Start a relay on an ephemeral port of the loopback address of the target's
	 * address family ({@code 127.0.0.1} or {@code ::1}).
	 * @param targetAddress where to forward client datagrams; must be resolved
	 * @param impairment how to mistreat the traffic
	 * @return the running relay
	 * @throws IOException if the listening channel cannot be opened
	 * @throws IllegalArgumentException if the target address is unresolved
	 */
	public static LossyUdpRelay start(InetSocketAddress targetAddress, LinkImpairment impairment) throws IOException {
		checkTarget(targetAddress);
		return start(new InetSocketAddress(loopbackOf(familyOf(targetAddress.getAddress())), 0), targetAddress,
				impairment);
	}

	/**
	 * Start a relay on the given address.
	 * @param bindAddress where to listen for clients, port {@code 0} for an ephemeral
	 * one; must be of the same address family as the target
	 * @param targetAddress where to forward client datagrams; must be resolved
	 * @param impairment how to mistreat the traffic
	 * @return the running relay
	 * @throws IOException if the listening channel cannot be opened
	 * @throws IllegalArgumentException if an address is unresolved or the families differ
	 */
	public static LossyUdpRelay start(InetSocketAddress bindAddress, InetSocketAddress targetAddress,
			LinkImpairment impairment) throws IOException {
		Objects.requireNonNull(bindAddress, "bindAddress must not be null");
		Objects.requireNonNull(impairment, "impairment must not be null");
		checkTarget(targetAddress);
		if (bindAddress.isUnresolved()) {
			throw new IllegalArgumentException("bindAddress must be resolved: " + bindAddress);
		}
		if (familyOf(bindAddress.getAddress()) != familyOf(targetAddress.getAddress())) {
			throw new IllegalArgumentException(
					"bindAddress " + bindAddress + " and targetAddress " + targetAddress + " differ in address family");
		}
		LossyUdpRelay relay = new LossyUdpRelay(bindAddress, targetAddress, impairment);
		// Threads start only once the relay is fully constructed.
		relay.selectorThread.start();
		relay.senderThread.start();
		logger.debug("Relay {} -> {} started with {}", relay.localAddress, targetAddress, impairment);
		return relay;
	}

	/**
	 * Return the address clients should send to.
	 * @return the bound listening address, with the actual port
	 */
	public InetSocketAddress localAddress() {
		return this.localAddress;
	}

	/**
	 * Return the address datagrams are forwarded to.
	 * @return the target address
	 */
	public InetSocketAddress targetAddress() {
		return this.targetAddress;
	}

	/**
	 * Return the impairment currently applied to newly arriving datagrams.
	 * @return the impairment
	 */
	public LinkImpairment impairment() {
		return this.settings.impairment();
	}

	/**
	 * Replace the impairment for datagrams arriving from now on. The random generators
	 * are reseeded from the new impairment's seed, so a given sequence of impairments
	 * and datagrams always yields the same fates. Datagrams already in flight are not
	 * affected. Has no effect once the relay is closed.
	 * @param impairment the new impairment
	 */
	public void setImpairment(LinkImpairment impairment) {
		Objects.requireNonNull(impairment, "impairment must not be null");
		this.settings = new Settings(impairment);
		logger.debug("Relay {} impairment set to {}", this.localAddress, impairment);
	}

	/**
	 * Return a snapshot of the counters. While traffic flows the counters are read one
	 * after another, not atomically; see {@link DirectionStats#isSettled()} for how to
	 * detect that a direction has gone quiet.
	 * @return the current statistics
	 */
	public Stats stats() {
		return new Stats(this.toTarget.snapshot(), this.toClient.snapshot(), this.clientCount.get());
	}

	/**
	 * Stop both threads, waiting a bounded time for each, discard datagrams still in
	 * flight (counting them as dropped by overflow) and close every channel, releasing the listening port. Calling this more
	 * than once has no further effect.
	 */
	@Override
	public void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		this.running = false;
		this.selector.wakeup();
		// A delivery due now wakes the sender without interrupting it: an interrupt
		// during a write would close the channel being written under it.
		this.deliveries.add(Delivery.wakeUp());
		join(this.selectorThread);
		join(this.senderThread);
		for (Delivery delivery : this.deliveries.toArray(new Delivery[0])) {
			discard(delivery);
		}
		this.deliveries.clear();
		// The selector thread closes all channels on its way out; closing the selector
		// and listener here as well releases the port even if it failed to stop in time.
		closeQuietly(this.selector);
		closeQuietly(this.listener);
		logger.debug("Relay {} -> {} closed with {}", this.localAddress, this.targetAddress, stats());
	}

	@Override
	public String toString() {
		return "LossyUdpRelay[" + this.localAddress + " -> " + this.targetAddress + "]";
	}

	private void runSelector() {
		ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_DATAGRAM_SIZE);
		try {
			while (this.running) {
				this.selector.select();
				Iterator<SelectionKey> keys = this.selector.selectedKeys().iterator();
				while (keys.hasNext()) {
					SelectionKey key = keys.next();
					keys.remove();
					if (!key.isValid()) {
						continue;
					}
					if (key.attachment() instanceof Upstream upstream) {
						readFromTarget(upstream, buffer);
					}
					else {
						readFromClients(buffer);
					}
				}
			}
		}
		catch (ClosedSelectorException ex) {
			// close() gave up waiting for us and closed the selector; just leave.
		}
		catch (IOException | RuntimeException ex) {
			if (this.running) {
				logger.error("Relay {} stopped forwarding after an unexpected failure", this.localAddress, ex);
			}
		}
		finally {
			// Closing the selector first deregisters the channels, so that closing them
			// releases their ports at once instead of at the next select.
			closeQuietly(this.selector);
			closeQuietly(this.listener);
			for (Upstream upstream : this.upstreams.values()) {
				closeQuietly(upstream.channel());
			}
			this.upstreams.clear();
			this.clientCount.set(0);
		}
	}

	private void readFromClients(ByteBuffer buffer) {
		for (int i = 0; i < READS_PER_WAKEUP; i++) {
			buffer.clear();
			SocketAddress client;
			try {
				client = this.listener.receive(buffer);
			}
			catch (IOException ex) {
				logger.debug("Relay {} failed to receive from clients", this.localAddress, ex);
				return;
			}
			if (client == null) {
				return;
			}
			byte[] data = copy(buffer);
			Settings current = this.settings;
			Upstream upstream = upstreamFor(client);
			if (upstream == null) {
				this.toTarget.droppedByOverflow.incrementAndGet();
				this.toTarget.received.incrementAndGet();
				continue;
			}
			route(this.toTarget, current.toTargetRandom(), current.impairment().lossToTarget(), current.impairment(),
					data, upstream.channel(), null);
		}
	}

	private void readFromTarget(Upstream upstream, ByteBuffer buffer) {
		for (int i = 0; i < READS_PER_WAKEUP; i++) {
			buffer.clear();
			SocketAddress source;
			try {
				source = upstream.channel().receive(buffer);
			}
			catch (PortUnreachableException ex) {
				// The target is not listening (yet); an ICMP error is all there is to
				// drop, and the next datagram may well succeed.
				continue;
			}
			catch (IOException ex) {
				logger.debug("Relay {} failed to receive from target for {}", this.localAddress, upstream.client(), ex);
				return;
			}
			if (source == null) {
				return;
			}
			byte[] data = copy(buffer);
			Settings current = this.settings;
			route(this.toClient, current.toClientRandom(), current.impairment().lossToClient(), current.impairment(),
					data, this.listener, upstream.client());
		}
	}

	private @Nullable Upstream upstreamFor(SocketAddress client) {
		Upstream upstream = this.upstreams.get(client);
		if (upstream != null) {
			return upstream;
		}
		if (this.upstreams.size() >= MAX_CLIENTS) {
			Iterator<Upstream> eldest = this.upstreams.values().iterator();
			Upstream evicted = eldest.next();
			eldest.remove();
			closeQuietly(evicted.channel());
			logger.debug("Relay {} forgot idle client {}", this.localAddress, evicted.client());
		}
		DatagramChannel channel = null;
		try {
			channel = DatagramChannel.open(this.family);
			setSocketBuffers(channel);
			channel.configureBlocking(false);
			// Connecting binds an ephemeral port and filters out anything not from the target.
			channel.connect(this.targetAddress);
			upstream = new Upstream(client, channel);
			channel.register(this.selector, SelectionKey.OP_READ, upstream);
		}
		catch (IOException ex) {
			logger.warn("Relay {} cannot open an upstream channel for client {}", this.localAddress, client, ex);
			closeQuietly(channel);
			this.clientCount.set(this.upstreams.size());
			return null;
		}
		this.upstreams.put(client, upstream);
		this.clientCount.set(this.upstreams.size());
		logger.debug("Relay {} maps client {} to upstream port {}", this.localAddress, client,
				channel.socket().getLocalPort());
		return upstream;
	}

	/**
	 * Decide the fate of one datagram and schedule its copies. Always draws the same
	 * number of random values, so later datagrams' fates do not depend on this one's.
	 * The received counter is bumped last, so that a snapshot which sees a datagram as
	 * received also sees where it went.
	 */
	private void route(Lane lane, SplittableRandom random, double loss, LinkImpairment impairment, byte[] data,
			DatagramChannel channel, @Nullable SocketAddress destination) {
		double lossDraw = random.nextDouble();
		double duplicateDraw = random.nextDouble();
		double jitterDraw = random.nextDouble();
		double reorderDraw = random.nextDouble();
		double duplicateJitterDraw = random.nextDouble();
		double duplicateReorderDraw = random.nextDouble();
		try {
			if (lossDraw < loss) {
				lane.droppedByLoss.incrementAndGet();
				return;
			}
			long now = System.nanoTime();
			if (!lane.hasRoom(now, impairment)) {
				lane.droppedByOverflow.incrementAndGet();
				return;
			}
			long departure = lane.reserve(now, data.length, impairment);
			enqueue(lane, data, channel, destination, departure + extraDelay(impairment, jitterDraw, reorderDraw));
			if (duplicateDraw < impairment.duplicateProbability()) {
				lane.duplicated.incrementAndGet();
				enqueue(lane, data, channel, destination,
						departure + extraDelay(impairment, duplicateJitterDraw, duplicateReorderDraw));
			}
		}
		finally {
			lane.received.incrementAndGet();
		}
	}

	private static long extraDelay(LinkImpairment impairment, double jitterDraw, double reorderDraw) {
		long delay = impairment.delay().toNanos();
		delay += (long) (jitterDraw * impairment.jitter().toNanos());
		if (reorderDraw < impairment.reorderProbability()) {
			delay += impairment.reorderDelay().toNanos();
		}
		return delay;
	}

	private void enqueue(Lane lane, byte[] data, DatagramChannel channel, @Nullable SocketAddress destination,
			long due) {
		// Only this thread adds, so a check passed here cannot be invalidated before the add.
		if (lane.inFlight.get() >= MAX_IN_FLIGHT || lane.inFlightBytes.get() + data.length > MAX_IN_FLIGHT_BYTES) {
			lane.droppedByOverflow.incrementAndGet();
			return;
		}
		lane.inFlightBytes.addAndGet(data.length);
		lane.inFlight.incrementAndGet();
		this.deliveries.add(new Delivery(lane, data, channel, destination, due, this.sequence++));
	}

	private void runSender() {
		while (this.running) {
			Delivery delivery;
			try {
				delivery = this.deliveries.take();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			if (!this.running) {
				discard(delivery);
				return;
			}
			send(delivery);
		}
	}

	private void send(Delivery delivery) {
		Lane lane = Objects.requireNonNull(delivery.lane());
		DatagramChannel channel = Objects.requireNonNull(delivery.channel());
		ByteBuffer buffer = ByteBuffer.wrap(delivery.data());
		boolean sent;
		try {
			int written = (delivery.destination() != null) ? channel.send(buffer, delivery.destination())
					: channel.write(buffer);
			// Zero bytes means "no room in the socket buffer", except for an empty datagram.
			sent = written > 0 || delivery.data().length == 0;
		}
		catch (IOException ex) {
			// Typically the upstream channel of an evicted client, or an ICMP error from
			// the target reported on the connected channel: the datagram is lost either way.
			logger.debug("Relay {} failed to send to {}", this.localAddress,
					(delivery.destination() != null) ? delivery.destination() : this.targetAddress, ex);
			sent = false;
		}
		// Outcome before in-flight, so a snapshot never loses sight of a datagram.
		if (sent) {
			lane.forwarded.incrementAndGet();
		}
		else {
			lane.droppedByOverflow.incrementAndGet();
		}
		lane.inFlightBytes.addAndGet(-delivery.data().length);
		lane.inFlight.decrementAndGet();
	}

	private static void discard(Delivery delivery) {
		Lane lane = delivery.lane();
		if (lane == null) {
			return;
		}
		lane.droppedByOverflow.incrementAndGet();
		lane.inFlightBytes.addAndGet(-delivery.data().length);
		lane.inFlight.decrementAndGet();
	}

	private void join(Thread thread) {
		if (Thread.currentThread() == thread) {
			return;
		}
		try {
			thread.join(STOP_TIMEOUT.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		if (thread.isAlive()) {
			logger.warn("Relay {}: thread {} did not stop within {}", this.localAddress, thread.getName(),
					STOP_TIMEOUT);
		}
	}

	private static byte[] copy(ByteBuffer buffer) {
		buffer.flip();
		byte[] data = new byte[buffer.remaining()];
		buffer.get(data);
		return data;
	}

	private static void checkTarget(InetSocketAddress targetAddress) {
		Objects.requireNonNull(targetAddress, "targetAddress must not be null");
		if (targetAddress.isUnresolved()) {
			throw new IllegalArgumentException("targetAddress must be resolved: " + targetAddress);
		}
	}

	private static ProtocolFamily familyOf(InetAddress address) {
		return (address instanceof Inet6Address) ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
	}

	private static InetAddress loopbackOf(ProtocolFamily family) {
		byte[] address = (family == StandardProtocolFamily.INET6) ? new byte[16] : new byte[] { 127, 0, 0, 0 };
		address[address.length - 1] = 1;
		try {
			return InetAddress.getByAddress(address);
		}
		catch (UnknownHostException ex) {
			// Only thrown for an illegal address length, which the arrays above rule out.
			throw new IllegalStateException(ex);
		}
	}

	private static void closeQuietly(@Nullable AutoCloseable closeable) {
		if (closeable == null) {
			return;
		}
		try {
			closeable.close();
		}
		catch (Exception ex) {
			logger.debug("Ignoring failure to close {}", closeable, ex);
		}
	}

	/**
	 * Snapshot of the counters of one direction.
	 *
	 * <p>Every datagram received is eventually forwarded, dropped by loss or dropped by
	 * overflow, and a duplicate adds one datagram that is likewise forwarded or dropped
	 * by overflow, so once traffic stops
	 * {@code received + duplicated == forwarded + droppedByLoss + droppedByOverflow}
	 * and {@code inFlight == 0}.
	 *
	 * @param received datagrams read from the sending side
	 * @param forwarded datagrams, duplicates included, written to the receiving side
	 * @param droppedByLoss datagrams dropped by the loss probability
	 * @param droppedByOverflow datagrams dropped because a queue, the client table or a
	 * socket buffer was full, because sending failed, or because the relay was closed
	 * before they fell due
	 * @param duplicated extra copies scheduled by the duplication probability
	 * @param inFlight datagrams currently waiting for their due time
	 */
	public record DirectionStats(long received, long forwarded, long droppedByLoss, long droppedByOverflow,
			long duplicated, long inFlight) {

		/**
		 * Return whether every datagram received so far, and every duplicate, has been
		 * forwarded or dropped. The relay updates its counters so that this is never
		 * {@code true} too early: if it holds for a snapshot taken after the last
		 * datagram was {@linkplain #received() received}, that datagram has left.
		 * @return {@code true} if nothing counted as received is still in flight
		 */
		public boolean isSettled() {
			return this.received + this.duplicated == this.forwarded + this.droppedByLoss + this.droppedByOverflow;
		}

	}

	/**
	 * Snapshot of the relay's counters.
	 *
	 * @param toTarget counters of datagrams from clients to the target
	 * @param toClient counters of datagrams from the target to clients
	 * @param clients number of clients with an upstream channel
	 */
	public record Stats(DirectionStats toTarget, DirectionStats toClient, int clients) {

		/**
		 * Return the datagrams received in both directions.
		 * @return the total
		 */
		public long received() {
			return this.toTarget.received() + this.toClient.received();
		}

		/**
		 * Return the datagrams forwarded in both directions.
		 * @return the total
		 */
		public long forwarded() {
			return this.toTarget.forwarded() + this.toClient.forwarded();
		}

		/**
		 * Return the datagrams dropped by loss in both directions.
		 * @return the total
		 */
		public long droppedByLoss() {
			return this.toTarget.droppedByLoss() + this.toClient.droppedByLoss();
		}

		/**
		 * Return the datagrams dropped by overflow in both directions.
		 * @return the total
		 */
		public long droppedByOverflow() {
			return this.toTarget.droppedByOverflow() + this.toClient.droppedByOverflow();
		}

		/**
		 * Return the duplicates scheduled in both directions.
		 * @return the total
		 */
		public long duplicated() {
			return this.toTarget.duplicated() + this.toClient.duplicated();
		}

	}

	/**
	 * Counters and bandwidth bookkeeping of one direction.
	 */
	private static final class Lane {

		final AtomicLong received = new AtomicLong();

		final AtomicLong forwarded = new AtomicLong();

		final AtomicLong droppedByLoss = new AtomicLong();

		final AtomicLong droppedByOverflow = new AtomicLong();

		final AtomicLong duplicated = new AtomicLong();

		final AtomicInteger inFlight = new AtomicInteger();

		final AtomicLong inFlightBytes = new AtomicLong();

		/** Times at which queued datagrams finish crossing the bottleneck; selector thread only. */
		private final ArrayDeque<Long> backlog = new ArrayDeque<>();

		/** When the bottleneck finishes its last queued datagram; selector thread only. */
		private long linkFreeAt;

		boolean hasRoom(long now, LinkImpairment impairment) {
			if (!impairment.hasBandwidthCap()) {
				this.backlog.clear();
				return true;
			}
			while (!this.backlog.isEmpty() && this.backlog.peekFirst() - now <= 0) {
				this.backlog.pollFirst();
			}
			return this.backlog.size() < impairment.queueLimit();
		}

		/**
		 * Reserve the bottleneck for a datagram and return when it has crossed it, which
		 * is {@code now} without a bandwidth cap.
		 */
		long reserve(long now, int size, LinkImpairment impairment) {
			if (!impairment.hasBandwidthCap()) {
				return now;
			}
			long start = (this.linkFreeAt - now > 0) ? this.linkFreeAt : now;
			this.linkFreeAt = start + size * NANOS_PER_SECOND / impairment.bandwidthBytesPerSecond();
			this.backlog.addLast(this.linkFreeAt);
			return this.linkFreeAt;
		}

		/** Read order matters: see {@link DirectionStats#isSettled()}. */
		DirectionStats snapshot() {
			long received = this.received.get();
			long duplicated = this.duplicated.get();
			long droppedByLoss = this.droppedByLoss.get();
			long inFlight = this.inFlight.get();
			long droppedByOverflow = this.droppedByOverflow.get();
			long forwarded = this.forwarded.get();
			return new DirectionStats(received, forwarded, droppedByLoss, droppedByOverflow, duplicated, inFlight);
		}

	}

	/**
	 * The impairment with its random generators, swapped as one so the selector thread
	 * never pairs an impairment with another one's generators. The generators are only
	 * used by the selector thread; the volatile field publishes them safely.
	 */
	private record Settings(LinkImpairment impairment, SplittableRandom toTargetRandom,
			SplittableRandom toClientRandom) {

		Settings(LinkImpairment impairment) {
			this(impairment, new SplittableRandom(impairment.seed()));
		}

		private Settings(LinkImpairment impairment, SplittableRandom root) {
			// One generator per direction, so each direction's fates are reproducible
			// regardless of how the two interleave.
			this(impairment, root.split(), root.split());
		}

	}

	/**
	 * A client address and the channel that talks to the target on its behalf.
	 */
	private record Upstream(SocketAddress client, DatagramChannel channel) {
	}

	/**
	 * One copy of a datagram waiting for its due time; a delivery without a lane only
	 * wakes the sender up on close.
	 */
	private record Delivery(@Nullable Lane lane, byte[] data, @Nullable DatagramChannel channel,
			@Nullable SocketAddress destination, long due, long sequence) implements Delayed {

		static Delivery wakeUp() {
			return new Delivery(null, new byte[0], null, null, System.nanoTime(), Long.MIN_VALUE);
		}

		@Override
		public long getDelay(TimeUnit unit) {
			return unit.convert(this.due - System.nanoTime(), TimeUnit.NANOSECONDS);
		}

		@Override
		public int compareTo(Delayed other) {
			Delivery that = (Delivery) other;
			// Subtract before comparing: nanoTime values may wrap.
			int byDue = Long.compare(this.due - that.due, 0);
			return (byDue != 0) ? byDue : Long.compare(this.sequence, that.sequence);
		}

	}

}
