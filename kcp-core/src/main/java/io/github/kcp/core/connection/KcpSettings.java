package io.github.kcp.core.connection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

import io.github.kcp.core.connection.KcpSetting.Scope;
import io.github.kcp.core.protocol.EngineMode;
import io.github.kcp.core.protocol.Kcp;

/**
 * The catalogue of settings: each one described once (name, default, rule). The session settings are aiokcp's
 * defaults (mtu 1400, nodelay mode 1, interval 100 ms, fast resend after 2 duplicate acknowledgements, congestion
 * control on, windows 32 and 128, message mode, idle timeout 600 s) plus the connection's own.
 * <p>
 * {@link KcpConfig} carries the {@link Scope#SESSION session} settings; the server builder the
 * {@link Scope#SERVER server} ones.
 */
public final class KcpSettings {

	private static final List<KcpSetting<?>> ALL = new ArrayList<>();

	/** Largest datagram on the wire in bytes, the packet cipher's overhead included. */
	public static final KcpSetting<Integer> MTU = session("mtu", Integer.class, Kcp.DEFAULT_MTU,
			Kcp.MIN_MTU + ".." + Kcp.MAX_MTU + " bytes", range(Kcp.MIN_MTU, Kcp.MAX_MTU),
			"Largest datagram on the wire in bytes, the packet cipher's overhead included.");

	/**
	 * Nodelay mode: 0 off, 1 on (minimum RTO 30 ms, gentler backoff), 2 on as 1 (in {@code EngineMode.IKCP}, mode 2
	 * backs off by half the estimated RTO instead of half the segment's RTO; the default tuned mode backs off by
	 * half the estimated RTO in both modes, as kcp-go).
	 */
	public static final KcpSetting<Integer> NODELAY = session("nodelay", Integer.class, 1, "0, 1 or 2",
			range(0, 2), "Nodelay mode: 0 off, 1 on (minimum RTO 30 ms instead of 100 ms, gentler backoff), 2 the "
					+ "same as 1 except in the IKCP engine mode, where timeouts back off by half the estimated RTO.");

	/** Internal update interval of the engine in milliseconds. */
	public static final KcpSetting<Integer> INTERVAL = session("interval", Integer.class, Kcp.DEFAULT_INTERVAL,
			Kcp.MIN_INTERVAL + ".." + Kcp.MAX_INTERVAL + " ms", range(Kcp.MIN_INTERVAL, Kcp.MAX_INTERVAL),
			"Internal update interval of the engine in milliseconds.");

	/** Duplicate acknowledgements that trigger a fast retransmission; 0 turns fast retransmission off. */
	public static final KcpSetting<Integer> RESEND = session("resend", Integer.class, 2, "0 (off) or more",
			range(0, Integer.MAX_VALUE),
			"Duplicate acknowledgements that trigger a fast retransmission; 0 turns it off.");

	/** Whether the congestion window limits sending (ikcp's {@code nc} off). */
	public static final KcpSetting<Boolean> CONGESTION_CONTROL = session("congestionControl", Boolean.class, true,
			"true or false", (value) -> true, "Whether the congestion window limits sending (ikcp's nc off).");

	/** Send window in segments. */
	public static final KcpSetting<Integer> SEND_WINDOW = session("sendWindow", Integer.class,
			Kcp.DEFAULT_SEND_WINDOW, "1.." + Kcp.MAX_WINDOW + " segments", range(1, Kcp.MAX_WINDOW),
			"Send window in segments.");

	/** Receive window in segments; values below 128 are raised to 128. */
	public static final KcpSetting<Integer> RECEIVE_WINDOW = session("receiveWindow", Integer.class,
			Kcp.DEFAULT_RECEIVE_WINDOW, "1.." + Kcp.MAX_WINDOW + " segments (values below 128 are raised to 128)",
			range(1, Kcp.MAX_WINDOW), "Receive window in segments; values below 128 are raised to 128.");

	/** Whether the session is a byte stream rather than a sequence of messages. */
	public static final KcpSetting<Boolean> STREAM = session("stream", Boolean.class, false, "true or false",
			(value) -> true, "Whether the session is a byte stream rather than a sequence of messages.");

	/** Minimum retransmission timeout in milliseconds; 0 means the nodelay mode's (30 ms with nodelay, else 100). */
	public static final KcpSetting<Integer> MIN_RTO = session("minRto", Integer.class, 0,
			"0 (the nodelay mode's) .. " + Kcp.RTO_MAX + " ms", range(0, Kcp.RTO_MAX),
			"Minimum retransmission timeout in milliseconds; 0 means the nodelay mode's (30 ms with nodelay, else "
					+ "100 ms).");

	/** Transmissions of one segment after which the link is dead and the session closes. */
	public static final KcpSetting<Integer> DEAD_LINK = session("deadLink", Integer.class, Kcp.DEFAULT_DEAD_LINK,
			"1 or more", range(1, Integer.MAX_VALUE),
			"Transmissions of one segment after which the link is dead and the session closes.");

	/** Most fast retransmissions of one segment; 0 means no cap. */
	public static final KcpSetting<Integer> FAST_LIMIT = session("fastLimit", Integer.class,
			Kcp.DEFAULT_FAST_LIMIT, "0 (no cap) or more", range(0, Integer.MAX_VALUE),
			"Most fast retransmissions of one segment; 0 means no cap.");

	/** Close the session when nothing was received from the peer for this long; zero turns it off. */
	public static final KcpSetting<Duration> IDLE_TIMEOUT = session("idleTimeout", Duration.class,
			Duration.ofSeconds(600), "zero (off) or positive, whole milliseconds", KcpSettings::wholeMillis,
			"Close the session when nothing was received from the peer for this long; zero turns it off.");

	/** How long a graceful close waits for sent data to be acknowledged before closing anyway. */
	public static final KcpSetting<Duration> CLOSE_TIMEOUT = session("closeTimeout", Duration.class,
			Duration.ofSeconds(10), "zero or positive, whole milliseconds", KcpSettings::wholeMillis,
			"How long a graceful close waits for sent data to be acknowledged (and the close confirmed) before "
					+ "closing anyway.");

	/** Most bytes sent and not yet acknowledged per session; beyond it sends wait or fail fast. */
	public static final KcpSetting<Integer> SEND_BUFFER_SIZE = session("sendBufferSize", Integer.class, 4 << 20,
			"1 byte or more", range(1, Integer.MAX_VALUE),
			"Most bytes sent and not yet acknowledged per session; beyond it sends wait or fail fast.");

	/** Most received bytes buffered per session for a reader that has not consumed them. */
	public static final KcpSetting<Integer> READ_BUFFER_SIZE = session("readBufferSize", Integer.class, 4 << 20,
			"1 byte or more", range(1, Integer.MAX_VALUE),
			"Most received bytes buffered per session for a reader (stream, socket) that has not consumed them; "
					+ "beyond it the receive window closes.");

	/** Whether to flush right after sends and each batch of received datagrams instead of at the next tick. */
	public static final KcpSetting<Boolean> EAGER_FLUSH = session("eagerFlush", Boolean.class, true,
			"true or false", (value) -> true,
			"Whether to flush right after sends and each batch of received datagrams instead of at the next "
					+ "interval tick.");

	// ---- loss recovery and acknowledgement pacing

	/**
	 * How the engine recovers from loss: {@link EngineMode#TUNED} (early retransmit, exact retransmission deadlines,
	 * RTO restart, kcp-go's backoff, trimmed acknowledgements) or {@link EngineMode#IKCP} (exactly ikcp.c). Both speak
	 * the same wire format.
	 */
	public static final KcpSetting<EngineMode> ENGINE_MODE = session("engineMode", EngineMode.class,
			EngineMode.TUNED, "TUNED or IKCP", (value) -> true,
			"How the engine recovers from loss: TUNED (early retransmit, retransmissions at their exact deadline, "
					+ "RTO restart, kcp-go's backoff, fewer acknowledgements) or IKCP (exactly ikcp.c).");

	/**
	 * With eager flushing, how long acknowledgements of data received in order may wait to leave together; those
	 * of data received out of order or again, and window answers, leave at once. Zero sends every acknowledgement
	 * at the end of the read burst that made it.
	 */
	public static final KcpSetting<Duration> ACK_DELAY = session("ackDelay", Duration.class, Duration.ofMillis(1),
			"0 (off) .. 100 ms, whole milliseconds",
			(value) -> wholeMillis(value) && value.compareTo(Duration.ofMillis(100)) <= 0,
			"With eager flushing, how long acknowledgements of data received in order may wait to leave together "
					+ "(those of data out of order, and window answers, leave at once); zero sends them after every "
					+ "read burst.");

	/** Most sessions a server keeps open at once. */
	public static final KcpSetting<Integer> MAX_SESSIONS = server("maxSessions", Integer.class, 10_000, "1 or more",
			range(1, Integer.MAX_VALUE),
			"Most sessions a server keeps open at once; datagrams that would open more are dropped and counted.");

	/** Most new sessions a server admits per second; 0 means no limit. */
	public static final KcpSetting<Integer> NEW_SESSIONS_PER_SECOND = server("newSessionsPerSecond",
			Integer.class, 0, "0 (no limit) or more", range(0, Integer.MAX_VALUE),
			"Most new sessions a server admits per second (a token bucket); 0 means no limit.");

	/** How long a server remembers a closed conversation, so that its late datagrams do not reopen it. */
	public static final KcpSetting<Duration> CLOSED_SESSION_MEMORY = server("closedSessionMemory", Duration.class,
			Duration.ofSeconds(60), "zero (off) or positive, whole milliseconds", KcpSettings::wholeMillis,
			"How long a server remembers a closed conversation, so that its late datagrams are answered with a "
					+ "close signal instead of opening it again.");

	// ---- A server's defences against hostile peers (see the README's "Admission and memory" section): limits per
	// source address, the terms of unproven sessions, anti-amplification and the memory budget.

	/** Most sessions one source address (an IPv6 address by its /64 prefix) may have open at once; 0 means no limit. */
	public static final KcpSetting<Integer> MAX_SESSIONS_PER_ADDRESS = server("maxSessionsPerAddress", Integer.class,
			256, "0 (no limit) or more", range(0, Integer.MAX_VALUE),
			"Most sessions one source address (an IPv6 address by its /64 prefix) may have open at once; when full, "
					+ "its oldest unproven session makes room; 0 means no limit.");

	/** Most new sessions one source address may open per second (a token bucket); 0 means no limit. */
	public static final KcpSetting<Integer> NEW_SESSIONS_PER_ADDRESS_PER_SECOND = server(
			"newSessionsPerAddressPerSecond", Integer.class, 64, "0 (no limit) or more", range(0, Integer.MAX_VALUE),
			"Most new sessions one source address (an IPv6 address by its /64 prefix) may open per second (a token "
					+ "bucket holding one second's worth); 0 means no limit.");

	/** Idle timeout of a session whose peer has not proven yet that it receives our datagrams. */
	public static final KcpSetting<Duration> UNPROVEN_IDLE_TIMEOUT = server("unprovenIdleTimeout", Duration.class,
			Duration.ofSeconds(15), "zero (the session idle timeout applies) or positive, whole milliseconds",
			KcpSettings::wholeMillis,
			"Idle timeout of a session whose peer has not yet acknowledged data the server sent nor echoed its "
					+ "address challenge (an unproven peer); zero applies the session idle timeout.");

	/** Most bytes an unproven session may hold of received data (out-of-order data beyond it is dropped). */
	public static final KcpSetting<Integer> UNPROVEN_RECEIVE_BUDGET = server("unprovenReceiveBudget", Integer.class,
			64 << 10, "1 byte or more", range(1, Integer.MAX_VALUE),
			"Most bytes a session whose peer is unproven may hold of received data; beyond it out-of-order data is "
					+ "dropped unacknowledged (in-order data is always taken).");

	/** How many times the bytes received from an unproven peer a server sends it at most; 0 means no limit. */
	public static final KcpSetting<Integer> AMPLIFICATION_FACTOR = server("amplificationFactor", Integer.class, 3,
			"0 (no limit) or 3 or more", (value) -> value == 0 || value >= 3,
			"How many times the bytes received from an unproven peer a server sends it at most (anti-amplification, "
					+ "as QUIC); 0 means no limit.");

	/** Bytes all sessions of a server may hold in receive and send buffers together; 0 means a quarter of the heap. */
	public static final KcpSetting<Long> MEMORY_BUDGET = server("memoryBudget", Long.class, 0L,
			"0 (a quarter of the maximum heap) or a positive number of bytes", (value) -> value >= 0,
			"Bytes all sessions of a server may hold in receive and send buffers together; beyond it out-of-order "
					+ "data is dropped unacknowledged and sends fail fast, while in-order data is still delivered. 0 "
					+ "means a quarter of the JVM's maximum heap.");

	/** How long a server's event loop may wait between two polls of its sockets while it serves many clients. */
	public static final KcpSetting<Duration> READ_COALESCING = server("readCoalescing", Duration.class,
			Duration.ofNanos(500_000), "zero (off) up to 10 ms", (value) -> !value.isNegative()
					&& value.compareTo(Duration.ofMillis(10)) <= 0,
			"While the server serves many clients at once (datagrams of at least "
					+ "32 different sessions within 10 ms), its event loop waits until this long has passed since its "
					+ "previous poll of the sockets before the next, so that one wake-up reads the datagrams of many "
					+ "clients: far less CPU per message, at most this much more latency, and only under that load. "
					+ "Zero turns it off.");

	private KcpSettings() {
	}

	/** Every setting, session settings first, in a fixed order. */
	public static List<KcpSetting<?>> all() {
		return Collections.unmodifiableList(ALL);
	}

	/** The settings of one scope, in the order of {@link #all()}. */
	public static List<KcpSetting<?>> of(Scope scope) {
		return ALL.stream().filter((setting) -> setting.scope() == scope).toList();
	}

	/** The setting called {@code name} (as {@link KcpSetting#name()} spells it). */
	public static KcpSetting<?> named(String name) {
		for (KcpSetting<?> setting : ALL) {
			if (setting.name().equals(name)) {
				return setting;
			}
		}
		throw new IllegalArgumentException("No KCP setting is called '" + name + "'; see KcpSettings.all()");
	}

	private static <T> KcpSetting<T> session(String name, Class<T> type, T defaultValue, String rule,
			Predicate<T> check, String description) {
		return add(new KcpSetting<>(name, type, defaultValue, rule, check, description, Scope.SESSION, ALL.size()));
	}

	private static <T> KcpSetting<T> server(String name, Class<T> type, T defaultValue, String rule,
			Predicate<T> check, String description) {
		return add(new KcpSetting<>(name, type, defaultValue, rule, check, description, Scope.SERVER, ALL.size()));
	}

	private static <T> KcpSetting<T> add(KcpSetting<T> setting) {
		ALL.add(setting);
		return setting;
	}

	private static Predicate<Integer> range(int min, int max) {
		return (value) -> value >= min && value <= max;
	}

	/** A duration the connection's millisecond clock can represent: not negative, no fraction of a millisecond. */
	private static boolean wholeMillis(Duration value) {
		return !value.isNegative() && value.getNano() % 1_000_000 == 0;
	}

}
