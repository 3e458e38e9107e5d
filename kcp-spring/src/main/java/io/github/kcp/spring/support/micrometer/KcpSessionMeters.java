package io.github.kcp.spring.support.micrometer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.support.KcpSessionListener;
import io.github.kcp.spring.support.micrometer.SessionStatsTotals.Total;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;

/**
 * The meters of the sessions of one server container or template (see {@link KcpMeters} for names and tags): the
 * session counts, the traffic and retransmission counters summed over every session, the RTT distribution fed by
 * the engines' samples, and the buffer occupancy. Registered when created; fed as a {@link KcpSessionListener}.
 */
final class KcpSessionMeters implements KcpSessionListener {

	/** How long one snapshot of the sessions' counters serves the meters that read it. */
	static final Duration SNAPSHOT_MAX_AGE = Duration.ofSeconds(1);

	private final SessionStatsTotals totals;

	private final Counter opened;

	private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);

	private final Timer rtt;

	/**
	 * Registers the meters.
	 * @param registry where
	 * @param tags {@code side} and {@code name}, plus the application's own
	 * @param countDrops whether to register {@code kcp.datagrams.dropped} from the sessions' counters (a client's
	 * sessions see every drop; a server counts its drops itself, before datagrams reach a session)
	 */
	KcpSessionMeters(MeterRegistry registry, Tags tags, boolean countDrops) {
		this.totals = new SessionStatsTotals(SNAPSHOT_MAX_AGE, System::nanoTime);
		SessionStatsTotals totals = this.totals;
		Gauge.builder(KcpMeters.SESSIONS_ACTIVE, totals, SessionStatsTotals::openSessions)
			.description("KCP sessions open now")
			.tags(tags)
			.strongReference(true)
			.register(registry);
		this.opened = Counter.builder(KcpMeters.SESSIONS_OPENED)
			.description("KCP sessions opened")
			.tags(tags)
			.register(registry);
		for (CloseReason reason : CloseReason.values()) {
			this.closed.put(reason, Counter.builder(KcpMeters.SESSIONS_CLOSED)
				.description("KCP sessions closed, by reason")
				.tags(tags)
				.tag(KcpMeters.REASON, tagValue(reason))
				.register(registry));
		}
		inAndOut(registry, totals, KcpMeters.MESSAGES, "Messages the application sent or received", null, tags,
				Total.MESSAGES_IN, Total.MESSAGES_OUT);
		inAndOut(registry, totals, KcpMeters.PAYLOAD_BYTES, "Bytes of the messages the application sent or received",
				"bytes", tags, Total.PAYLOAD_BYTES_IN, Total.PAYLOAD_BYTES_OUT);
		inAndOut(registry, totals, KcpMeters.DATAGRAMS, "Datagrams of the sessions sent or received on the wire",
				null, tags, Total.DATAGRAMS_IN, Total.DATAGRAMS_OUT);
		inAndOut(registry, totals, KcpMeters.WIRE_BYTES,
				"Bytes of the sessions' datagrams on the wire (after encryption)", "bytes", tags, Total.WIRE_BYTES_IN,
				Total.WIRE_BYTES_OUT);
		Map<String, Total> kinds = Map.of("timeout", Total.TIMEOUT_RETRANSMISSIONS, "fast",
				Total.FAST_RETRANSMISSIONS, "early", Total.EARLY_RETRANSMISSIONS, "probe", Total.TAIL_PROBES);
		kinds.forEach((kind, total) -> FunctionCounter.builder(KcpMeters.RETRANSMISSIONS, totals, read(total))
			.description("Data segments sent again, by what triggered it")
			.tags(tags)
			.tag(KcpMeters.KIND, kind)
			.register(registry));
		FunctionCounter.builder(KcpMeters.DUPLICATE_SEGMENTS, totals, read(Total.DUPLICATE_SEGMENTS))
			.description("Data segments received more than once")
			.tags(tags)
			.register(registry);
		if (countDrops) {
			for (DropReason reason : DropReason.values()) {
				FunctionCounter
					.builder(KcpMeters.DATAGRAMS_DROPPED, totals, (t) -> (double) t.snapshot().dropped(reason))
					.description("Datagrams dropped, by reason")
					.tags(tags)
					.tag(KcpMeters.REASON, tagValue(reason))
					.register(registry);
			}
		}
		this.rtt = Timer.builder(KcpMeters.RTT)
			.description("Round-trip times the KCP engines measured (one sample per acknowledgement)")
			.tags(tags)
			.publishPercentiles(0.5, 0.9, 0.99)
			.publishPercentileHistogram()
			.minimumExpectedValue(Duration.ofMillis(1))
			.maximumExpectedValue(Duration.ofSeconds(60))
			.register(registry);
		Gauge.builder(KcpMeters.SEND_BUFFERED, totals, (t) -> t.snapshot().sendBufferedBytes())
			.description("Bytes sent and not yet acknowledged, over the open sessions")
			.baseUnit("bytes")
			.tags(tags)
			.strongReference(true)
			.register(registry);
		Gauge.builder(KcpMeters.RECEIVE_BUFFERED, totals, (t) -> t.snapshot().receiveBufferedSegments())
			.description("Segments received and not yet read by the application, over the open sessions")
			.baseUnit("segments")
			.tags(tags)
			.strongReference(true)
			.register(registry);
	}

	private static void inAndOut(MeterRegistry registry, SessionStatsTotals totals, String name, String description,
			@Nullable String baseUnit, Tags tags, Total incoming, Total outgoing) {
		for (Total total : new Total[] { incoming, outgoing }) {
			FunctionCounter.Builder<SessionStatsTotals> builder = FunctionCounter.builder(name, totals, read(total))
				.description(description)
				.tags(tags)
				.tag(KcpMeters.DIRECTION, (total == incoming) ? "in" : "out");
			if (baseUnit != null) {
				builder.baseUnit(baseUnit);
			}
			builder.register(registry);
		}
	}

	private static ToDoubleFunction<SessionStatsTotals> read(Total total) {
		return (totals) -> totals.snapshot().get(total);
	}

	static String tagValue(Enum<?> value) {
		return value.name().toLowerCase(Locale.ROOT);
	}

	@Override
	public void sessionOpened(KcpSession session) {
		this.totals.sessionOpened(session);
		this.opened.increment();
	}

	@Override
	public void rttSampled(KcpSession session, int rttMillis) {
		this.rtt.record(rttMillis, TimeUnit.MILLISECONDS);
	}

	@Override
	public void sessionClosed(KcpSession session, CloseReason reason) {
		this.totals.sessionClosed(session, reason);
		this.closed.get(reason).increment();
	}

}
