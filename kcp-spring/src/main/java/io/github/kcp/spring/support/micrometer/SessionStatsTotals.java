package io.github.kcp.spring.support.micrometer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.support.KcpSessionListener;
import io.github.kcp.spring.support.KcpSessionStatsReader;

/**
 * Counters summed over every session of one container or template, past and present: the final counters of each
 * closed session plus the current counters of the open ones. What meters read, through a {@link Snapshot} taken at
 * most once per {@code maxAge} (one scrape reads many meters, and reading an open session's counters is a hop to
 * its event loop).
 * <p>
 * A session's counters move from "open" to "closed" under one lock, and a snapshot reads the closed totals and the
 * set of open sessions under the same lock, so a session is never counted twice or missed; every counter of a
 * snapshot is also at least the one before, so that meters never see a counter go down.
 */
final class SessionStatsTotals implements KcpSessionListener {

	/** The counters summed, each a function of a session's statistics. */
	enum Total {

		MESSAGES_IN(KcpSessionStats::messagesIn), MESSAGES_OUT(KcpSessionStats::messagesOut),
		PAYLOAD_BYTES_IN(KcpSessionStats::payloadBytesIn), PAYLOAD_BYTES_OUT(KcpSessionStats::payloadBytesOut),
		DATAGRAMS_IN(KcpSessionStats::datagramsIn), DATAGRAMS_OUT(KcpSessionStats::datagramsOut),
		WIRE_BYTES_IN(KcpSessionStats::bytesIn), WIRE_BYTES_OUT(KcpSessionStats::bytesOut),
		TIMEOUT_RETRANSMISSIONS(KcpSessionStats::timeoutRetransmissions),
		FAST_RETRANSMISSIONS(KcpSessionStats::fastRetransmissions),
		EARLY_RETRANSMISSIONS(KcpSessionStats::earlyRetransmissions),
		TAIL_PROBES(KcpSessionStats::tailProbes),
		DUPLICATE_SEGMENTS(KcpSessionStats::duplicateSegments);

		private final ToLongFunction<KcpSessionStats> value;

		Total(ToLongFunction<KcpSessionStats> value) {
			this.value = value;
		}

	}

	private static final int DROPS = DropReason.values().length;

	private static final int SIZE = Total.values().length + DROPS;

	private final Duration maxAge;

	private final LongSupplier nanoClock;

	private final Set<KcpSession> open = ConcurrentHashMap.newKeySet();

	/** The counters of closed sessions; guarded by itself. */
	private final long[] closed = new long[SIZE];

	private final Object snapshotMonitor = new Object();

	private volatile Snapshot last = new Snapshot(new long[SIZE], 0, 0, 0);

	private long lastTaken = Long.MIN_VALUE;

	/**
	 * @param maxAge how long a snapshot is reused
	 * @param nanoClock the time ({@link System#nanoTime()})
	 */
	SessionStatsTotals(Duration maxAge, LongSupplier nanoClock) {
		this.maxAge = maxAge;
		this.nanoClock = nanoClock;
	}

	@Override
	public void sessionOpened(KcpSession session) {
		this.open.add(session);
	}

	@Override
	public void sessionClosed(KcpSession session, CloseReason reason) {
		// On the session's loop: its final counters without a hop.
		KcpSessionStats stats = session.stats();
		synchronized (this.closed) {
			add(this.closed, stats);
			this.open.remove(session);
		}
	}

	/** Sessions open now. */
	int openSessions() {
		return this.open.size();
	}

	/** The totals, at most {@code maxAge} old. */
	Snapshot snapshot() {
		synchronized (this.snapshotMonitor) {
			long now = this.nanoClock.getAsLong();
			if (this.lastTaken != Long.MIN_VALUE && now - this.lastTaken < this.maxAge.toNanos()) {
				return this.last;
			}
			long[] counters;
			List<KcpSession> live;
			synchronized (this.closed) {
				counters = this.closed.clone();
				live = new ArrayList<>(this.open);
			}
			long sendBuffered = 0;
			long receiveBuffered = 0;
			for (KcpSessionStats stats : KcpSessionStatsReader.read(live, Duration.ofSeconds(2)).values()) {
				add(counters, stats);
				sendBuffered += stats.sendBufferedBytes();
				receiveBuffered += stats.receiveQueueSegments() + stats.receiveBufferSegments();
			}
			long[] previous = this.last.counters;
			for (int i = 0; i < SIZE; i++) {
				// A session that did not answer in time would otherwise make a counter go down.
				counters[i] = Math.max(counters[i], previous[i]);
			}
			this.last = new Snapshot(counters, sendBuffered, receiveBuffered, live.size());
			this.lastTaken = now;
			return this.last;
		}
	}

	private static void add(long[] counters, KcpSessionStats stats) {
		for (Total total : Total.values()) {
			counters[total.ordinal()] += total.value.applyAsLong(stats);
		}
		for (DropReason reason : DropReason.values()) {
			counters[Total.values().length + reason.ordinal()] += stats.droppedDatagrams(reason);
		}
	}

	/**
	 * Totals at one moment.
	 *
	 * @param counters the counters by {@link Total}, then the drops by {@link DropReason}
	 * @param sendBufferedBytes bytes sent and not yet acknowledged, over the open sessions
	 * @param receiveBufferedSegments segments received and not yet read, over the open sessions
	 * @param openSessions the open sessions read
	 */
	record Snapshot(long[] counters, long sendBufferedBytes, long receiveBufferedSegments, int openSessions) {

		long get(Total total) {
			return this.counters[total.ordinal()];
		}

		long dropped(DropReason reason) {
			return this.counters[Total.values().length + reason.ordinal()];
		}

	}

}
