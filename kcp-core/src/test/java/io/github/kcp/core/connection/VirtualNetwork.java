package io.github.kcp.core.connection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

import io.github.kcp.core.protocol.KcpCodec;

/**
 * Connections and servers on a simulated network, driven by a virtual clock: the test bed of the connection layer,
 * playing the part the Netty shell plays in production (move datagrams, fire each connection's one timer, turn its
 * outputs into "application" events) without sockets, threads or sleeps.
 * <p>
 * Every node has an address; every datagram a node sends goes through that node's {@link Link} (loss, delay, a drop
 * filter, a cut), decided by a {@link Random} seeded from the network's seed, so a run is a pure function of the seed
 * and the settings. Runs jump from one event (a delivery or a deadline) to the next and are bounded in virtual time
 * and in steps, so a stuck protocol fails with a description instead of hanging.
 */
final class VirtualNetwork {

	/** The virtual clock's start: far from zero, to show nothing depends on it. */
	static final long START = 1_000_000_000L;

	private final Random random;

	private final PriorityQueue<Datagram> inFlight = new PriorityQueue<>();

	private final Map<String, Node> nodes = new HashMap<>();

	private final List<Sent> sent = new ArrayList<>();

	private long now = START;

	private long order;

	VirtualNetwork(long seed) {
		this.random = new Random(seed);
	}

	/** The current virtual time in milliseconds. */
	long now() {
		return this.now;
	}

	/** Virtual milliseconds since the network was created. */
	long elapsed() {
		return this.now - START;
	}

	/** Every datagram sent so far, in order (also those the links then lost). */
	List<Sent> sent() {
		return this.sent;
	}

	/** The datagrams {@code from} sent whose first segment has command {@code cmd}. */
	List<Sent> sent(String from, int cmd) {
		return this.sent.stream().filter((d) -> d.from.equals(from) && d.cmd() == cmd).toList();
	}

	/** A connection with a fixed peer: a client, or one end of a pair. */
	Endpoint endpoint(String address, String peer, int conv, KcpConfig config) {
		Endpoint endpoint = new Endpoint(address, peer, conv, config);
		this.nodes.put(address, endpoint);
		return endpoint;
	}

	/** A server: a conversation table whose sessions the network services like the Netty shell does. */
	Server server(String address, KcpConfig config, AdmissionPolicy<String> policy, long closedMemoryMillis) {
		return server(address, config, policy, closedMemoryMillis, ServerProtection.NONE);
	}

	/** A server that protects its sessions; addresses count as their own source. */
	Server server(String address, KcpConfig config, AdmissionPolicy<String> policy, long closedMemoryMillis,
			ServerProtection protection) {
		Server server = new Server(address, config, policy, closedMemoryMillis, protection);
		this.nodes.put(address, server);
		return server;
	}

	/** A node that only records what it receives and sends what the test writes: a hand-played peer. */
	Raw raw(String address) {
		Raw raw = new Raw(address);
		this.nodes.put(address, raw);
		return raw;
	}

	// ---------------------------------------------------------------- running

	/** Runs until {@code done} holds; fails after {@code maxMillis} of virtual time or a million steps. */
	long runUntil(String goal, long maxMillis, BooleanSupplier done) {
		long begin = this.now;
		long deadline = begin + maxMillis;
		int steps = 0;
		while (!done.getAsBoolean()) {
			if (++steps > 1_000_000) {
				throw new AssertionError("Not done (" + goal + ") after a million steps at t=" + elapsed());
			}
			long next = nextEvent();
			if (next > deadline) {
				throw new AssertionError("Not done (" + goal + ") within " + maxMillis + " ms of virtual time; "
						+ describe());
			}
			step(Math.max(next, this.now));
		}
		return this.now - begin;
	}

	/** Runs for exactly {@code millis} of virtual time. */
	void advance(long millis) {
		long until = this.now + millis;
		int steps = 0;
		while (true) {
			if (++steps > 1_000_000) {
				throw new AssertionError("Livelock while advancing at t=" + elapsed());
			}
			long next = nextEvent();
			if (next > until) {
				this.now = until;
				return;
			}
			step(Math.max(next, this.now));
		}
	}

	private long nextEvent() {
		long next = Long.MAX_VALUE;
		Datagram first = this.inFlight.peek();
		if (first != null) {
			next = first.deliverAt;
		}
		for (Node node : this.nodes.values()) {
			next = Math.min(next, node.deadline());
		}
		return next;
	}

	private void step(long at) {
		this.now = at;
		Datagram datagram;
		while ((datagram = this.inFlight.peek()) != null && datagram.deliverAt <= this.now) {
			this.inFlight.poll();
			Node to = this.nodes.get(datagram.to);
			if (to != null) {
				to.receive(datagram.from, datagram.data);
			}
		}
		for (Node node : new ArrayList<>(this.nodes.values())) {
			if (node.deadline() <= this.now) {
				node.timer();
			}
		}
	}

	/** A node's datagram enters the network. */
	private int transmit(Node from, String to, byte[] buffer, int length) {
		byte[] copy = Arrays.copyOf(buffer, length);
		Sent record = new Sent(this.now, from.address, to, copy);
		this.sent.add(record);
		Link link = from.link;
		double draw = this.random.nextDouble();
		if (link.cut || draw < link.loss || (link.filter != null && link.filter.apply(record))) {
			return length;
		}
		this.inFlight.add(new Datagram(this.now + link.delay, this.order++, from.address, to, copy));
		return length;
	}

	/** Cuts every link: nothing more arrives anywhere, and what is in flight vanishes. */
	void cutAll() {
		for (Node node : this.nodes.values()) {
			node.link.cut = true;
		}
		this.inFlight.clear();
	}

	String describe() {
		StringBuilder text = new StringBuilder("t=" + elapsed() + " ms, " + this.inFlight.size() + " in flight");
		for (Node node : this.nodes.values()) {
			text.append("; ").append(node);
		}
		return text.toString();
	}

	// ---------------------------------------------------------------- types

	/** One datagram as it was sent. */
	record Sent(long at, String from, String to, byte[] data) {

		/** The command of its first segment. */
		int cmd() {
			return (this.data.length >= KcpCodec.OVERHEAD) ? this.data[4] & 0xff : -1;
		}

		/** Whether it is a close signal of {@code cmd}. */
		boolean isSignal(int cmd) {
			return KcpCodec.closeSignal(this.data, 0, this.data.length) == cmd;
		}

		/** How many segments of {@code cmd} it holds. */
		int count(int cmd) {
			int count = 0;
			int position = 0;
			while (this.data.length - position >= KcpCodec.OVERHEAD) {
				if ((this.data[position + 4] & 0xff) == cmd) {
					count++;
				}
				position += KcpCodec.OVERHEAD + KcpCodec.readInt(this.data, position + 20);
			}
			return count;
		}

	}

	/** What happens to the datagrams one node sends; mutable, so a test can change it mid-run. */
	static final class Link {

		double loss;

		long delay;

		boolean cut;

		Function<Sent, Boolean> filter;

		Link delay(long millis) {
			this.delay = millis;
			return this;
		}

		Link loss(double probability) {
			this.loss = probability;
			return this;
		}

		/** Drops the datagrams {@code filter} picks (before random loss). */
		Link drop(Function<Sent, Boolean> filter) {
			this.filter = filter;
			return this;
		}

		Link cut(boolean cut) {
			this.cut = cut;
			return this;
		}

	}

	private record Datagram(long deliverAt, long order, String from, String to, byte[] data)
			implements Comparable<Datagram> {

		@Override
		public int compareTo(Datagram other) {
			int byTime = Long.compare(this.deliverAt, other.deliverAt);
			return (byTime != 0) ? byTime : Long.compare(this.order, other.order);
		}

	}

	/** A node of the network. */
	abstract class Node {

		final String address;

		final Link link = new Link();

		Node(String address) {
			this.address = address;
		}

		abstract void receive(String from, byte[] data);

		abstract long deadline();

		abstract void timer();

	}

	/**
	 * One connection and its "application": records messages, completed sends, the close; services the connection
	 * after each input the way the shell does (deliver, handle what is due, deliver, until nothing is immediate).
	 */
	class Session {

		final KcpConnection connection;

		final List<byte[]> messages = new ArrayList<>();

		/** Sends made, in order; {@link #acknowledged} of them completed. */
		int sends;

		int acknowledged;

		boolean paused;

		CloseReason closed;

		long closedAt = -1;

		/** Called with each message (may send, close...). */
		Consumer<byte[]> onMessage = (message) -> {
		};

		/** Sends that failed because the session closed first. */
		int failedSends;

		boolean failSink;

		/**
		 * Plays a standard KCP peer on the wire: its datagrams never carry the close-signal offer (a standard peer
		 * does not know it), so the other end never learns that it understands the close signal.
		 */
		boolean standardPeer;

		/**
		 * Services after which the connection, with nothing immediate left, still named a deadline at or before the
		 * current time: a shell would have re-armed its timer at zero delay.
		 */
		int zeroDelayTimers;

		private boolean servicing;

		Session(String self, String peer, int conv, KcpConfig config) {
			this.connection = new KcpConnection(conv, config, 0, VirtualNetwork.this.now, (buffer, length) -> {
				if (this.failSink) {
					throw new IllegalStateException("simulated cipher failure");
				}
				if (this.standardPeer) {
					byte[] plain = withoutOffers(buffer, length);
					return (plain.length == 0) ? length
							: transmit(VirtualNetwork.this.nodes.get(self), peer, plain, plain.length);
				}
				return transmit(VirtualNetwork.this.nodes.get(self), peer, buffer, length);
			});
		}

		void send(byte[] data) {
			this.connection.send(VirtualNetwork.this.now, data, 0, data.length);
			this.sends++;
			service();
		}

		void close() {
			this.connection.close(VirtualNetwork.this.now, CloseReason.CLOSED_LOCALLY);
			service();
		}

		void abort() {
			this.connection.abort(VirtualNetwork.this.now, CloseReason.CLOSED_LOCALLY);
			service();
		}

		void pause() {
			this.paused = true;
		}

		void resume() {
			this.paused = false;
			service();
		}

		void input(byte[] data) {
			this.connection.handleDatagram(VirtualNetwork.this.now, data, 0, data.length, data.length);
			service();
		}

		void service() {
			if (this.servicing || this.closed != null) {
				return;
			}
			this.servicing = true;
			try {
				deliver();
				for (int round = 1; this.closed == null; round++) {
					this.connection.handleTimeout(VirtualNetwork.this.now);
					deliver();
					if (!this.connection.hasImmediateWork() || round >= 8) {
						break;
					}
				}
				if (this.closed == null && !this.connection.hasImmediateWork()
						&& this.connection.pollTimeout() <= VirtualNetwork.this.now) {
					this.zeroDelayTimers++;
				}
			}
			finally {
				this.servicing = false;
			}
		}

		private void deliver() {
			this.acknowledged += this.connection.pollAcknowledged();
			while (!this.paused || this.connection.isClosed()) {
				byte[] message = this.connection.receive();
				if (message == null) {
					break;
				}
				this.messages.add(message);
				this.onMessage.accept(message);
			}
			if (this.connection.isClosed() && this.closed == null) {
				this.closed = this.connection.closeReason();
				this.closedAt = VirtualNetwork.this.now;
				this.failedSends = this.sends - this.acknowledged;
				closed();
			}
		}

		/** Hook: the session closed. */
		void closed() {
		}

		long deadline() {
			return (this.closed != null) ? Long.MAX_VALUE : this.connection.pollTimeout();
		}

		@Override
		public String toString() {
			return this.connection + "[messages=" + this.messages.size() + ", acknowledged=" + this.acknowledged + "/"
					+ this.sends + ", closed=" + this.closed + "]";
		}

	}

	/** The datagram without its close-signal offers (as a standard peer would have sent it). */
	static byte[] withoutOffers(byte[] data, int length) {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(length);
		int position = 0;
		while (length - position >= KcpCodec.OVERHEAD) {
			int end = position + KcpCodec.OVERHEAD + KcpCodec.readInt(data, position + 20);
			if (!CloseSignalOffer.isMarked(data, position, end - position)) {
				out.write(data, position, end - position);
			}
			position = end;
		}
		return out.toByteArray();
	}

	/** A node with one connection to a fixed peer. */
	final class Endpoint extends Node {

		final Session session;

		Endpoint(String address, String peer, int conv, KcpConfig config) {
			super(address);
			this.session = new Session(address, peer, conv, config);
		}

		@Override
		void receive(String from, byte[] data) {
			this.session.input(data);
		}

		@Override
		long deadline() {
			return this.session.deadline();
		}

		@Override
		void timer() {
			this.session.service();
		}

		@Override
		public String toString() {
			return this.address + " " + this.session;
		}

	}

	/** A server node: a conversation table and its sessions. */
	final class Server extends Node {

		final ConversationTable<String, Session> table;

		final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);

		final List<Session> opened = new ArrayList<>();

		/** Called with each new session (sets its handler). */
		Consumer<Session> onOpen = (session) -> {
		};

		private final KcpConfig config;

		private final byte[] answer = new byte[KcpCodec.OVERHEAD];

		/** Evicted sessions, in order. */
		final List<Session> evicted = new ArrayList<>();

		Server(String address, KcpConfig config, AdmissionPolicy<String> policy, long closedMemoryMillis,
				ServerProtection protection) {
			super(address);
			this.config = config;
			this.table = new ConversationTable<>(policy, closedMemoryMillis, 1024, Function.identity(), protection,
					(reason) -> this.drops.merge(reason, 1, Integer::sum), new Random(address.hashCode())::nextInt);
		}

		int drops(DropReason reason) {
			return this.drops.getOrDefault(reason, 0);
		}

		@Override
		void receive(String from, byte[] data) {
			if (data.length < KcpCodec.OVERHEAD) {
				this.drops.merge(DropReason.MALFORMED, 1, Integer::sum);
				return;
			}
			int conv = KcpCodec.readConv(data, 0);
			Session session = this.table.get(from, conv);
			if (session == null) {
				Verdict verdict = this.table.admit(from, conv, data, 0, data.length, VirtualNetwork.this.now);
				serviceEvicted();
				if (!verdict.admitted()) {
					this.drops.merge(verdict.dropReason(), 1, Integer::sum);
					if (verdict.answer() != 0) {
						KcpCodec.writeCloseSignal(this.answer, conv, verdict.answer(), 0, 0, 0, 0);
						transmit(this, from, this.answer, this.answer.length);
					}
					return;
				}
				Session created = new Session(this.address, from, conv, this.config) {
					@Override
					void closed() {
						Server.this.table.remove(from, conv, this, VirtualNetwork.this.now);
					}
				};
				this.table.add(from, conv, created.connection, created, VirtualNetwork.this.now);
				this.opened.add(created);
				this.onOpen.accept(created);
				session = created;
			}
			if (session.connection.handleDatagram(VirtualNetwork.this.now, data, 0, data.length,
					data.length) != io.github.kcp.core.protocol.InputResult.OK) {
				this.drops.merge(DropReason.ENGINE_REJECTED, 1, Integer::sum);
			}
			session.service();
			// As the shell at the end of a read burst (here: each datagram).
			this.table.relieveMemoryPressure(VirtualNetwork.this.now);
			serviceEvicted();
		}

		/** As the shell: evicted sessions are closed already; report it. */
		private void serviceEvicted() {
			Session evictedSession;
			while ((evictedSession = this.table.pollEvicted()) != null) {
				this.evicted.add(evictedSession);
				evictedSession.service();
			}
		}

		/** As KcpServer.stopReceiving. */
		void stopReceiving() {
			this.table.stopReceiving();
		}

		/** As KcpServer.shutdown: the table closes every connection, then the shell services them. */
		void shutdown(long graceMillis) {
			this.table.shutdown(VirtualNetwork.this.now, graceMillis);
			this.table.sessions().forEach(Session::service);
		}

		@Override
		long deadline() {
			long deadline = this.table.pollTimeout();
			for (Session session : this.table.sessions()) {
				deadline = Math.min(deadline, session.deadline());
			}
			return deadline;
		}

		@Override
		void timer() {
			this.table.handleTimeout(VirtualNetwork.this.now);
			for (Session session : this.table.sessions()) {
				if (session.deadline() <= VirtualNetwork.this.now || session.connection.isClosed()) {
					session.service();
				}
			}
		}

		@Override
		public String toString() {
			return this.address + " " + this.table + " drops=" + this.drops;
		}

	}

	/** A hand-played peer: records what it receives; the test writes raw datagrams with {@link #send}. */
	final class Raw extends Node {

		final List<byte[]> received = new ArrayList<>();

		Raw(String address) {
			super(address);
		}

		void send(String to, byte[] datagram) {
			transmit(this, to, datagram, datagram.length);
		}

		@Override
		void receive(String from, byte[] data) {
			this.received.add(data);
		}

		@Override
		long deadline() {
			return Long.MAX_VALUE;
		}

		@Override
		void timer() {
		}

		@Override
		public String toString() {
			return this.address + " raw[received=" + this.received.size() + "]";
		}

	}

}
