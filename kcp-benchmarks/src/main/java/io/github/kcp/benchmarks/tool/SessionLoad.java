package io.github.kcp.benchmarks.tool;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * The {@code sessions-client} role (and {@code tcp-sessions-client}): many connections to one echo server, each
 * sending one message every {@code --interval-ms}, spread evenly over the interval, and then the same connections
 * held idle. With {@code --ramp-seconds R} the connections start sending one after another over the first R seconds
 * of the warm-up, as clients arriving over time: thousands of sessions opening in the same second is another test
 * (a burst of new sessions), not the steady state this one measures. It reports what a server holding many sessions costs:
 * <ol>
 * <li>active: round-trip percentiles of the messages sent in the measured window (after the warm-up), and the
 * server's CPU use in that window ({@code --server-pid});</li>
 * <li>idle: after sending stops and every echo is back, it prints {@code idle: N sessions open, settling S s} (the
 * moment for a script to take the server's memory) and then measures the server's CPU use with all sessions idle.</li>
 * </ol>
 * Message {@code k} of connection {@code i} carries {@code k} and its send time ({@link System#nanoTime()}) in its
 * first 16 bytes and a filler derived from both; echoes are read as a stream, checked and timed.
 */
final class SessionLoad {

	/** Bytes at the start of every message: the sequence number and the send time. */
	static final int HEADER_BYTES = 16;

	/** How long the echoes of the last messages may take once sending stops; later ones count as missing. */
	static final int DRAIN_SECONDS = 5;

	private final ToolOptions options;

	private final Console console;

	private final LoadTransport transport;

	private final int count;

	private final int size;

	private final Connection[] connections;

	private final LatencyRecorder rtts;

	private final AtomicLong echoed = new AtomicLong();

	private final AtomicLong echoedMeasured = new AtomicLong();

	private final AtomicLong bad = new AtomicLong();

	private final AtomicInteger answered = new AtomicInteger();

	private final AtomicInteger closed = new AtomicInteger();

	/** The measured window, in {@link System#nanoTime()}: messages sent within it are timed. */
	private volatile long measureFrom = Long.MAX_VALUE;

	private volatile long measureUntil = Long.MAX_VALUE;

	SessionLoad(ToolOptions options, Console console, LoadTransport transport) {
		this.options = options;
		this.console = console;
		this.transport = transport;
		this.count = options.sessions;
		this.size = options.size;
		this.connections = new Connection[this.count];
		long perConnection = (long) Math.ceil(options.measureSeconds * 1000.0 / options.intervalMs) + 1;
		this.rtts = new LatencyRecorder((int) Math.min(Integer.MAX_VALUE - 8, perConnection * this.count));
	}

	/** Runs the phases; returns the exit status. */
	int run() {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(this.options.timeoutSeconds);
		try {
			return runPhases(deadline);
		}
		finally {
			this.transport.close();
		}
	}

	private int runPhases(long deadline) {
		String role = this.options.role;
		long openStart = System.nanoTime();
		for (int i = 0; i < this.count; i++) {
			this.connections[i] = new Connection(i);
			try {
				this.transport.open(i, this.connections[i]);
			}
			catch (IOException | RuntimeException ex) {
				return this.console.fail("%s: opening connection %d: %s", role, i, ex.getMessage());
			}
		}
		this.console.err("%s: opened %d connections in %d ms", role, this.count,
				(System.nanoTime() - openStart) / 1_000_000);

		CpuMeter server = serverMeter();
		CpuMeter self = CpuMeter.self();
		Sent sent = sendAll(deadline, server, self);
		double serverActive = (server != null) ? server.percentSinceStart() : -1;
		double clientActive = self.percentSinceStart();
		if (sent == null) {
			return this.console.fail("%s: deadline passed while sending", role);
		}
		boolean drained = awaitEchoes(sent.total, deadline);

		long missing = sent.measured - this.echoedMeasured.get();
		this.console.out("sessions: %d opened, %d answered", this.count, this.answered.get());
		this.console.out("sent %d, echoed %d, missing %d, bad %d, refused %d", sent.measured,
				this.echoedMeasured.get(), missing, this.bad.get(), sent.refused);
		double[] sorted = this.rtts.sortedMillis();
		if (sorted.length > 0) {
			this.console.out("p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms", Roles.percentile(sorted, 50),
					Roles.percentile(sorted, 90), Roles.percentile(sorted, 99), sorted[sorted.length - 1]);
		}
		if (serverActive >= 0) {
			this.console.out("server cpu active: %.1f %%", serverActive);
		}
		this.console.out("client cpu active: %.1f %%", clientActive);
		if (!drained) {
			this.console.err("%s: %d of %d echoes still missing after the drain", role, sent.total - this.echoed.get(),
					sent.total);
		}

		if (this.options.settleSeconds > 0 || this.options.idleMeasureSeconds > 0) {
			this.console.out("idle: %d sessions open, settling %d s", this.count - this.closed.get(),
					this.options.settleSeconds);
			if (!sleepUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(this.options.settleSeconds), deadline)) {
				return this.console.fail("%s: deadline passed while settling", role);
			}
			if (server != null && this.options.idleMeasureSeconds > 0) {
				server.start();
				if (!sleepUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(this.options.idleMeasureSeconds),
						deadline)) {
					return this.console.fail("%s: deadline passed while idle", role);
				}
				this.console.out("server cpu idle: %.1f %%", server.percentSinceStart());
			}
		}

		if (this.answered.get() < this.count || missing > 0 || this.bad.get() > 0 || sent.refused > 0
				|| this.closed.get() > 0 || sorted.length == 0) {
			return this.console.fail("%s: %d of %d sessions answered, %d missing, %d bad, %d refused, %d closed",
					role, this.answered.get(), this.count, missing, this.bad.get(), sent.refused, this.closed.get());
		}
		return KcpTool.EXIT_OK;
	}

	private @Nullable CpuMeter serverMeter() {
		if (this.options.serverPid <= 0) {
			return null;
		}
		CpuMeter meter = CpuMeter.of(this.options.serverPid).orElse(null);
		if (meter == null) {
			this.console.err("%s: no CPU time readable for process %d: server CPU not measured", this.options.role,
					this.options.serverPid);
		}
		return meter;
	}

	/**
	 * Sends message after message, connection after connection, each due at {@code start + j * interval / count},
	 * through the warm-up and the measured window; starts the CPU meters when the measured window begins.
	 * @return what was sent, or {@code null} if the deadline passed
	 */
	private @Nullable Sent sendAll(long deadline, @Nullable CpuMeter server, CpuMeter self) {
		long interval = TimeUnit.MILLISECONDS.toNanos(this.options.intervalMs);
		long ramp = TimeUnit.SECONDS.toNanos(this.options.rampSeconds);
		long start = System.nanoTime();
		this.measureFrom = start + TimeUnit.SECONDS.toNanos(this.options.warmupSeconds);
		this.measureUntil = this.measureFrom + TimeUnit.SECONDS.toNanos(this.options.measureSeconds);
		long total = 0;
		long measured = 0;
		long refused = 0;
		boolean measuring = false;
		// bounded: the due time grows with j and the loop ends when it passes the measured window
		for (long j = 0;; j++) {
			long due = start + (j * interval) / this.count;
			if (due >= this.measureUntil) {
				break;
			}
			if (!measuring && due >= this.measureFrom) {
				measuring = true;
				if (server != null) {
					server.start();
				}
				self.start();
			}
			long wait;
			while ((wait = due - System.nanoTime()) > 0) {
				LockSupport.parkNanos(wait);
			}
			if (System.nanoTime() - deadline > 0) {
				return null;
			}
			int index = (int) (j % this.count);
			if (due - start < ramp / this.count * index) {
				// not started yet: the sessions join one after another over the ramp
				continue;
			}
			Connection connection = this.connections[index];
			long now = System.nanoTime();
			byte[] message = connection.nextMessage(now);
			if (this.transport.send(connection.index, message)) {
				connection.sent();
				total++;
				// the same test as the echo side's, on the same send time
				if (isMeasured(now)) {
					measured++;
				}
			}
			else {
				refused++;
			}
		}
		return new Sent(total, measured, refused);
	}

	private boolean isMeasured(long sentAt) {
		return sentAt - this.measureFrom >= 0 && sentAt - this.measureUntil < 0;
	}

	private record Sent(long total, long measured, long refused) {
	}

	/** Waits (bounded by the drain time and the deadline) until every accepted message came back. */
	private boolean awaitEchoes(long total, long deadline) {
		long until = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_SECONDS));
		while (this.echoed.get() < total && this.closed.get() == 0) {
			if (System.nanoTime() - until > 0) {
				return false;
			}
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
		}
		return this.echoed.get() >= total;
	}

	private static boolean sleepUntil(long until, long deadline) {
		if (until - deadline > 0) {
			return false;
		}
		long wait;
		while ((wait = until - System.nanoTime()) > 0) {
			LockSupport.parkNanos(wait);
		}
		return true;
	}

	/** Filler byte {@code at} of message {@code seq} of connection {@code index}. */
	static byte filler(int index, long seq, int at) {
		return (byte) (at * 31 + index * 7 + seq);
	}

	/**
	 * One connection: its send sequence (scheduler thread only) and the reassembly of its echo stream (the
	 * transport's thread for this connection only).
	 */
	private final class Connection implements LoadTransport.Receiver {

		final int index;

		private long nextSeq;

		private final byte[] frame = new byte[SessionLoad.this.size];

		private int filled;

		private long expectedSeq;

		private boolean hasAnswered;

		Connection(int index) {
			this.index = index;
		}

		byte[] nextMessage(long now) {
			byte[] message = new byte[SessionLoad.this.size];
			putLong(message, 0, this.nextSeq);
			putLong(message, 8, now);
			for (int at = HEADER_BYTES; at < message.length; at++) {
				message[at] = filler(this.index, this.nextSeq, at);
			}
			return message;
		}

		void sent() {
			this.nextSeq++;
		}

		@Override
		public void received(byte[] data, int offset, int length) {
			int at = offset;
			int end = offset + length;
			while (at < end) {
				int n = Math.min(end - at, this.frame.length - this.filled);
				System.arraycopy(data, at, this.frame, this.filled, n);
				this.filled += n;
				at += n;
				if (this.filled == this.frame.length) {
					this.filled = 0;
					onEcho(System.nanoTime());
				}
			}
		}

		private void onEcho(long now) {
			long seq = getLong(this.frame, 0);
			long sentAt = getLong(this.frame, 8);
			boolean intact = seq == this.expectedSeq;
			for (int at = HEADER_BYTES; intact && at < this.frame.length; at++) {
				intact = this.frame[at] == filler(this.index, seq, at);
			}
			this.expectedSeq = seq + 1;
			SessionLoad.this.echoed.incrementAndGet();
			if (!intact) {
				SessionLoad.this.bad.incrementAndGet();
				return;
			}
			if (!this.hasAnswered) {
				this.hasAnswered = true;
				SessionLoad.this.answered.incrementAndGet();
			}
			if (isMeasured(sentAt)) {
				SessionLoad.this.rtts.record(now - sentAt);
				SessionLoad.this.echoedMeasured.incrementAndGet();
			}
		}

		@Override
		public void closed(String why) {
			if (SessionLoad.this.closed.incrementAndGet() <= 3) {
				SessionLoad.this.console.err("%s: connection %d closed: %s", SessionLoad.this.options.role,
						this.index, why);
			}
		}

	}

	private static void putLong(byte[] b, int at, long v) {
		for (int i = 7; i >= 0; i--) {
			b[at + i] = (byte) v;
			v >>>= 8;
		}
	}

	private static long getLong(byte[] b, int at) {
		long v = 0;
		for (int i = 0; i < 8; i++) {
			v = (v << 8) | (b[at + i] & 0xff);
		}
		return v;
	}

}
