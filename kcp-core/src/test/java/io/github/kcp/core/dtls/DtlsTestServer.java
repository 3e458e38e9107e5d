package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The server side as the transport will drive it, without I/O: a {@link DtlsCookieGate} for sources without a
 * connection, one {@link DtlsConnection} per source once the gate accepted its cookie. Counts, per source, the
 * bytes received and sent while the source was unverified, and optionally echoes what it receives.
 */
final class DtlsTestServer {

	/** A datagram to send to a source. */
	record Outgoing(String source, ByteBuffer datagram) {
	}

	private final DtlsSettings settings;

	private final DtlsCookieGate gate;

	private final Map<String, DtlsConnection> connections = new LinkedHashMap<>();

	private final Map<String, List<DtlsEvent>> events = new HashMap<>();

	private final Map<String, long[]> unverifiedTraffic = new HashMap<>();

	private final Map<DtlsCookieGate.Outcome, Integer> verdicts = new HashMap<>();

	private boolean echo = true;

	DtlsTestServer(DtlsSettings settings, DtlsCookieGate gate) {
		this.settings = settings;
		this.gate = gate;
	}

	DtlsTestServer echo(boolean echo) {
		this.echo = echo;
		return this;
	}

	List<Outgoing> handle(long now, String source, ByteBuffer datagram) {
		List<Outgoing> out = new ArrayList<>();
		DtlsConnection connection = connections.get(source);
		if (connection != null) {
			connection.handleDatagram(now, datagram);
			drain(source, connection, out);
			return out;
		}
		long[] traffic = unverifiedTraffic.computeIfAbsent(source, (s) -> new long[2]);
		traffic[0] += datagram.remaining();
		DtlsCookieGate.Verdict verdict = gate.verify(now, source.getBytes(java.nio.charset.StandardCharsets.UTF_8),
				datagram);
		verdicts.merge(verdict.outcome(), 1, Integer::sum);
		switch (verdict.outcome()) {
			case REPLY -> {
				traffic[1] += verdict.reply().remaining();
				out.add(new Outgoing(source, verdict.reply()));
			}
			case ACCEPT -> {
				connection = DtlsConnection.accept(settings, verdict, now);
				connections.put(source, connection);
				drain(source, connection, out);
			}
			case DROP -> {
			}
		}
		return out;
	}

	List<Outgoing> handleTimeouts(long now) {
		List<Outgoing> out = new ArrayList<>();
		connections.forEach((source, connection) -> {
			if (connection.pollTimeout() <= now) {
				connection.handleTimeout(now);
				drain(source, connection, out);
			}
		});
		return out;
	}

	long pollTimeout() {
		return connections.values().stream().mapToLong(DtlsConnection::pollTimeout).min().orElse(DtlsConnection.NO_DEADLINE);
	}

	void send(String source, ByteBuffer datagram, List<Outgoing> out) {
		DtlsConnection connection = connections.get(source);
		connection.send(datagram);
		drain(source, connection, out);
	}

	private void drain(String source, DtlsConnection connection, List<Outgoing> out) {
		DtlsEvent event;
		while ((event = connection.pollEvent()) != null) {
			events.computeIfAbsent(source, (s) -> new ArrayList<>()).add(event);
		}
		ByteBuffer received;
		while ((received = connection.pollReceived()) != null) {
			if (echo && connection.state() == DtlsConnection.State.ESTABLISHED) {
				connection.send(received);
			}
		}
		ByteBuffer datagram;
		while ((datagram = connection.pollTransmit()) != null) {
			out.add(new Outgoing(source, datagram));
		}
	}

	Map<String, DtlsConnection> connections() {
		return connections;
	}

	@Nullable DtlsConnection connection(String source) {
		return connections.get(source);
	}

	List<DtlsEvent> events(String source) {
		return events.getOrDefault(source, List.of());
	}

	/** Bytes received from and sent to {@code source} while it had no connection. */
	long[] unverifiedTraffic(String source) {
		return unverifiedTraffic.getOrDefault(source, new long[2]);
	}

	int verdicts(DtlsCookieGate.Outcome outcome) {
		return verdicts.getOrDefault(outcome, 0);
	}

}
