package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * Clients and a {@link DtlsTestServer} joined by a simulated network in virtual time: each datagram is lost
 * with a seeded probability or delivered after a fixed one-way delay plus seeded jitter. Nothing sleeps; time
 * jumps to the next delivery or deadline, and every run is bounded in virtual time and in steps.
 */
final class DtlsSimulation {

	/** One client: its connection, its source name, what it received. */
	static final class Client {

		final String source;

		final DtlsConnection connection;

		final List<DtlsEvent> events = new ArrayList<>();

		final List<ByteBuffer> received = new ArrayList<>();

		Client(String source, DtlsConnection connection) {
			this.source = source;
			this.connection = connection;
		}

		boolean done() {
			return connection.state() != DtlsConnection.State.HANDSHAKING;
		}

	}

	private record InFlight(long at, long order, String source, boolean toServer, ByteBuffer datagram)
			implements Comparable<InFlight> {

		@Override
		public int compareTo(InFlight other) {
			return (at != other.at) ? Long.compare(at, other.at) : Long.compare(order, other.order);
		}

	}

	/** Observes every datagram sent, before the network decides its fate. */
	interface Tap {

		void datagram(long now, String source, boolean toServer, ByteBuffer datagram);

	}

	final DtlsTestServer server;

	private final Random random;

	private final Map<String, Client> clients = new LinkedHashMap<>();

	private final PriorityQueue<InFlight> network = new PriorityQueue<>();

	private long now = 1_000_000;

	private long order;

	private long delayMillis = 5;

	private long jitterMillis;

	private double loss;

	private Tap tap = (now, source, toServer, datagram) -> {
	};

	long datagramsSent;

	long datagramsLost;

	int largestDatagram;

	DtlsSimulation(DtlsTestServer server, long seed) {
		this.server = server;
		this.random = new Random(seed);
	}

	DtlsSimulation loss(double loss) {
		this.loss = loss;
		return this;
	}

	DtlsSimulation delay(long delayMillis, long jitterMillis) {
		this.delayMillis = delayMillis;
		this.jitterMillis = jitterMillis;
		return this;
	}

	DtlsSimulation tap(Tap tap) {
		this.tap = tap;
		return this;
	}

	long now() {
		return now;
	}

	Client connect(String source, DtlsSettings settings, String host) {
		Client client = new Client(source, DtlsConnection.client(settings, host, 4433, now));
		clients.put(source, client);
		drain(client);
		return client;
	}

	/** Send raw bytes to the server as if from {@code source} (a spoofer needs no connection). */
	void inject(String source, ByteBuffer datagram) {
		emit(source, true, datagram);
	}

	void clientSend(Client client, ByteBuffer datagram) {
		client.connection.send(datagram);
		drain(client);
	}

	void clientClose(Client client) {
		client.connection.close();
		drain(client);
	}

	/** Run everything due in the next {@code millis} of virtual time, then move the clock there. */
	void runFor(long millis) {
		long end = now + millis;
		try {
			runUntil(() -> false, millis);
		}
		catch (AssertionError expected) {
			// nothing more happens before the end
		}
		now = end;
	}

	/**
	 * Run until {@code done} holds, or fail after {@code maxMillis} of virtual time.
	 * @return the virtual time the run took
	 */
	long runUntil(BooleanSupplier done, long maxMillis) {
		long start = now;
		long end = start + maxMillis;
		for (int step = 0; step < 1_000_000; step++) {
			if (done.getAsBoolean()) {
				return now - start;
			}
			long next = Math.min(server.pollTimeout(), network.isEmpty() ? DtlsConnection.NO_DEADLINE : network.peek().at());
			for (Client client : clients.values()) {
				next = Math.min(next, client.connection.pollTimeout());
			}
			if (next == DtlsConnection.NO_DEADLINE || next > end) {
				throw new AssertionError("Not done after " + (Math.min(next, end) - start) + " ms of virtual time"
						+ (next == DtlsConnection.NO_DEADLINE ? " (nothing left to happen)" : "") + ": " + describe());
			}
			now = Math.max(now, next);
			while (!network.isEmpty() && network.peek().at() <= now) {
				deliver(network.poll());
			}
			for (DtlsTestServer.Outgoing out : server.handleTimeouts(now)) {
				emit(out.source(), false, out.datagram());
			}
			for (Client client : clients.values()) {
				if (client.connection.pollTimeout() <= now) {
					client.connection.handleTimeout(now);
					drain(client);
				}
			}
		}
		throw new AssertionError("Too many steps");
	}

	private String describe() {
		StringBuilder text = new StringBuilder();
		clients.values().forEach((client) -> text.append("client ").append(client.source).append(' ')
			.append(client.connection).append(" events ").append(client.events).append("; "));
		server.connections().forEach((source, connection) -> text.append("server ").append(source).append(' ')
			.append(connection).append(" events ").append(server.events(source)).append("; "));
		return text.toString();
	}

	private void deliver(InFlight flight) {
		if (flight.toServer()) {
			for (DtlsTestServer.Outgoing out : server.handle(now, flight.source(), flight.datagram())) {
				emit(out.source(), false, out.datagram());
			}
		}
		else {
			Client client = clients.get(flight.source());
			if (client != null) {
				client.connection.handleDatagram(now, flight.datagram());
				drain(client);
			}
		}
	}

	private void drain(Client client) {
		DtlsEvent event;
		while ((event = client.connection.pollEvent()) != null) {
			client.events.add(event);
		}
		ByteBuffer received;
		while ((received = client.connection.pollReceived()) != null) {
			client.received.add(received);
		}
		ByteBuffer datagram;
		while ((datagram = client.connection.pollTransmit()) != null) {
			emit(client.source, true, datagram);
		}
	}

	private void emit(String source, boolean toServer, ByteBuffer datagram) {
		datagramsSent++;
		largestDatagram = Math.max(largestDatagram, datagram.remaining());
		tap.datagram(now, source, toServer, datagram.asReadOnlyBuffer());
		if (random.nextDouble() < loss) {
			datagramsLost++;
			return;
		}
		long jitter = (jitterMillis > 0) ? random.nextLong(jitterMillis + 1) : 0;
		network.add(new InFlight(now + delayMillis + jitter, order++, source, toServer, datagram));
	}

}
