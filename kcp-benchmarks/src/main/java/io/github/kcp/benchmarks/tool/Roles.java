package io.github.kcp.benchmarks.tool;

import java.io.EOFException;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.github.kcp.testsupport.interop.DeterministicContent;
import org.jspecify.annotations.Nullable;

/**
 * The protocols of every role, on any {@link Conn}: server session bodies serve one connection until it ends,
 * client bodies run once and return the exit status. Output lines are the kcp-go peer's, word for word.
 */
final class Roles {

	private final ToolOptions options;

	private final Console console;

	Roles(ToolOptions options, Console console) {
		this.options = options;
		this.console = console;
	}

	// ------------------------------------------------------------------ server sessions

	/** Serves one connection with the server role's protocol until the peer closes or goes idle. */
	void serve(Conn conn) {
		switch (this.options.baseRole()) {
			case "echo-server" -> echoSession(conn);
			case "sink-server" -> sinkSession(conn);
			case "source-server" -> sourceSession(conn);
			case "bulk-server" -> bulkSession(conn);
			default -> throw new IllegalStateException("Not a server role: " + this.options.role);
		}
	}

	/** Writes back every byte it reads, in the pieces it reads them. */
	void echoSession(Conn conn) {
		byte[] buffer = new byte[DeterministicContent.CHUNK_BYTES];
		long total = 0;
		try {
			int n;
			while ((n = conn.read(buffer, 0, buffer.length)) >= 0) {
				conn.write(buffer, 0, n);
				total += n;
			}
			this.console.err("echo: %s closed after %d bytes", conn.describe(), total);
		}
		catch (IOException ex) {
			this.console.err("echo: %s ended after %d bytes: %s", conn.describe(), total, ex.getMessage());
		}
	}

	private void sinkSession(Conn conn) {
		try {
			while (true) {
				long n = readHeader(conn);
				if (n < 0) {
					this.console.err("sink: %s closed", conn.describe());
					return;
				}
				StreamCheck check = readStream(conn, n);
				conn.write(check.digest);
				String content = (check.mismatch < 0) ? "content ok"
						: "content differs at offset " + check.mismatch;
				this.console.out("received %d bytes, sha256 %s, %s", n, DeterministicContent.hex(check.digest), content);
			}
		}
		catch (IOException ex) {
			this.console.err("sink: %s: %s", conn.describe(), ex.getMessage());
		}
	}

	private void sourceSession(Conn conn) {
		try {
			while (true) {
				long n = readHeader(conn);
				if (n < 0) {
					this.console.err("source: %s closed", conn.describe());
					return;
				}
				byte[] sum = writeStream(conn, n);
				byte[] got = new byte[DeterministicContent.DIGEST_BYTES];
				try {
					conn.readFully(got, 0, got.length);
				}
				catch (IOException ex) {
					this.console.err("source: %s: reading digest: %s", conn.describe(), ex.getMessage());
					this.console.out("mismatch %d bytes: no digest received", n);
					return;
				}
				if (Arrays.equals(got, sum)) {
					this.console.out("verified %d bytes", n);
				}
				else {
					this.console.out("mismatch %d bytes: expected %s got %s", n, DeterministicContent.hex(sum), DeterministicContent.hex(got));
				}
			}
		}
		catch (IOException ex) {
			this.console.err("source: %s: %s", conn.describe(), ex.getMessage());
		}
	}

	private void bulkSession(Conn conn) {
		byte[] buffer = new byte[DeterministicContent.CHUNK_BYTES];
		try {
			while (true) {
				long n = readHeader(conn);
				if (n < 0) {
					this.console.err("bulk: %s closed", conn.describe());
					return;
				}
				long start = System.nanoTime();
				for (long done = 0; done < n;) {
					int got = conn.read(buffer, 0, (int) Math.min(buffer.length, n - done));
					if (got < 0) {
						throw new EOFException("Closed after " + done + " of " + n + " bytes");
					}
					done += got;
				}
				conn.write(new byte[] { 1 });
				this.console.out("received %d bytes in %d ms", n, (System.nanoTime() - start) / 1_000_000);
			}
		}
		catch (IOException ex) {
			this.console.err("bulk: %s: %s", conn.describe(), ex.getMessage());
		}
	}

	// ------------------------------------------------------------------ clients

	/** Runs the client role's protocol once; returns the exit status. */
	int runClient(Conn conn) {
		return switch (this.options.baseRole()) {
			case "echo-client" -> echoClient(conn);
			case "source-client" -> sourceClient(conn);
			case "sink-client" -> sinkClient(conn);
			case "bulk-client" -> bulkClient(conn);
			case "rtt-client" -> rttClient(conn);
			default -> throw new IllegalStateException("Not a client role: " + this.options.role);
		};
	}

	/** Sends count messages of size bytes from a second thread and checks the echoed stream. */
	private int echoClient(Conn conn) {
		int count = this.options.count;
		int size = this.options.size;
		AtomicReference<@Nullable IOException> writeError = new AtomicReference<>();
		Thread writer = new Thread(() -> {
			for (int k = 0; k < count; k++) {
				try {
					conn.write(DeterministicContent.message(k, size));
				}
				catch (IOException ex) {
					writeError.set(new IOException("writing message " + k + ": " + ex.getMessage(), ex));
					return;
				}
			}
		}, "kcp-tool-writer");
		writer.setDaemon(true);
		writer.start();
		int ok = 0;
		byte[] buffer = new byte[size];
		for (int k = 0; k < count; k++) {
			try {
				conn.readFully(buffer, 0, size);
			}
			catch (IOException ex) {
				this.console.err("echo-client: reading message %d: %s", k, ex.getMessage());
				break;
			}
			if (Arrays.equals(buffer, DeterministicContent.message(k, size))) {
				ok++;
			}
			else {
				this.console.err("echo-client: message %d came back altered", k);
			}
		}
		IOException failedWrite = writeError.get();
		if (failedWrite != null) {
			this.console.err("echo-client: %s", failedWrite.getMessage());
		}
		int bad = count - ok;
		this.console.out("%d ok, %d bad", ok, bad);
		return (bad == 0) ? KcpTool.EXIT_OK : KcpTool.EXIT_FAILED;
	}

	private int sourceClient(Conn conn) {
		long n = this.options.bytes;
		long start = System.nanoTime();
		byte[] sum;
		byte[] got = new byte[DeterministicContent.DIGEST_BYTES];
		try {
			conn.write(DeterministicContent.lengthHeader(n));
			sum = writeStream(conn, n);
		}
		catch (IOException ex) {
			return this.console.fail("source-client: %s", ex.getMessage());
		}
		try {
			conn.readFully(got, 0, got.length);
		}
		catch (IOException ex) {
			return this.console.fail("source-client: reading digest: %s", ex.getMessage());
		}
		long elapsed = System.nanoTime() - start;
		if (!Arrays.equals(got, sum)) {
			this.console.out("mismatch: expected %s got %s", DeterministicContent.hex(sum), DeterministicContent.hex(got));
			return KcpTool.EXIT_FAILED;
		}
		this.console.out("verified %d bytes", n);
		printThroughput(n, elapsed);
		return KcpTool.EXIT_OK;
	}

	private int sinkClient(Conn conn) {
		long n = this.options.bytes;
		long start = System.nanoTime();
		StreamCheck check;
		try {
			conn.write(DeterministicContent.lengthHeader(n));
			check = readStream(conn, n);
		}
		catch (IOException ex) {
			return this.console.fail("sink-client: %s", ex.getMessage());
		}
		long elapsed = System.nanoTime() - start;
		try {
			conn.write(check.digest);
		}
		catch (IOException ex) {
			return this.console.fail("sink-client: writing digest: %s", ex.getMessage());
		}
		// No linger needed (--linger-ms is accepted for compatibility): closing waits for the acknowledgement.
		if (check.mismatch >= 0) {
			this.console.out("mismatch at offset %d", check.mismatch);
			return KcpTool.EXIT_FAILED;
		}
		this.console.out("verified %d bytes", n);
		printThroughput(n, elapsed);
		return KcpTool.EXIT_OK;
	}

	private int bulkClient(Conn conn) {
		long warmup = this.options.warmupBytes;
		if (warmup > 0) {
			try {
				bulkTransfer(conn, warmup);
			}
			catch (IOException ex) {
				return this.console.fail("bulk-client: warm-up transfer: %s", ex.getMessage());
			}
			this.console.err("bulk-client: warm-up of %d bytes done", warmup);
		}
		long n = this.options.bytes;
		long start = System.nanoTime();
		try {
			bulkTransfer(conn, n);
		}
		catch (IOException ex) {
			return this.console.fail("bulk-client: %s", ex.getMessage());
		}
		printThroughput(n, System.nanoTime() - start);
		return KcpTool.EXIT_OK;
	}

	/** One bulk transfer: the length header, n bytes of the stream, then the server's one-byte reply. */
	private static void bulkTransfer(Conn conn, long n) throws IOException {
		conn.write(DeterministicContent.lengthHeader(n));
		writeStream(conn, n, null);
		try {
			conn.readFully(new byte[1], 0, 1);
		}
		catch (IOException ex) {
			throw new IOException("waiting for the reply: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Sends one message every interval-ms from a second thread and times each echo; with {@code --warmup W}, a
	 * first round of W messages (echoed, verified, not timed) lets both ends reach steady state.
	 */
	private int rttClient(Conn conn) {
		int count = this.options.count;
		if (this.options.jitWarmup > 0) {
			int warmed;
			try {
				warmed = pingPong(conn, this.options.jitWarmup);
			}
			catch (IOException ex) {
				this.console.out("%d ok, %d bad", 0, count);
				return this.console.fail("rtt-client: JIT warm-up: %s", ex.getMessage());
			}
			this.console.err("rtt-client: JIT warm-up of %d messages done", warmed);
		}
		if (this.options.warmup > 0) {
			RttRound warmup = rttRound(conn, this.options.warmup);
			if (warmup.ok() != this.options.warmup) {
				this.console.out("%d ok, %d bad", 0, count);
				return this.console.fail("rtt-client: warm-up: only %d of %d messages came back intact",
						warmup.ok(), this.options.warmup);
			}
			this.console.err("rtt-client: warm-up of %d messages done", this.options.warmup);
		}
		RttRound round = rttRound(conn, count);
		int ok = round.ok();
		this.console.out("%d ok, %d bad", ok, count - ok);
		if (ok == 0) {
			this.console.out("failed: no round trip measured");
			return KcpTool.EXIT_FAILED;
		}
		double[] sorted = Arrays.copyOf(round.rtts(), ok);
		Arrays.sort(sorted);
		this.console.out("p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms", percentile(sorted, 50),
				percentile(sorted, 90), percentile(sorted, 99), sorted[sorted.length - 1]);
		return (ok == count) ? KcpTool.EXIT_OK : KcpTool.EXIT_FAILED;
	}

	/**
	 * Sends up to {@code count} indexed messages one after the other, each when the echo of the last came back, for
	 * at most {@link KcpTool#JIT_WARMUP_MAX_NANOS}; returns how many went.
	 */
	private int pingPong(Conn conn, int count) throws IOException {
		int size = this.options.size;
		byte[] buffer = new byte[size];
		long until = System.nanoTime() + KcpTool.JIT_WARMUP_MAX_NANOS;
		for (int k = 0; k < count; k++) {
			if (System.nanoTime() - until > 0) {
				return k;
			}
			byte[] message = DeterministicContent.indexedMessage(k, size);
			conn.write(message);
			conn.readFully(buffer, 0, size);
			if (!Arrays.equals(buffer, message)) {
				throw new IOException("message " + k + " came back altered");
			}
		}
		return count;
	}

	/** Sends {@code count} indexed messages, paced by interval-ms, and reads their echoes in order. */
	private RttRound rttRound(Conn conn, int count) {
		int size = this.options.size;
		long intervalNanos = this.options.intervalMs * 1_000_000L;
		AtomicLongArray sent = new AtomicLongArray(count);
		long start = System.nanoTime();
		Thread writer = new Thread(() -> {
			for (int k = 0; k < count; k++) {
				// paced against the start, so a slow write does not shift every later message
				long due = start + k * intervalNanos;
				long wait;
				while ((wait = due - System.nanoTime()) > 0) {
					LockSupport.parkNanos(wait);
				}
				byte[] message = DeterministicContent.indexedMessage(k, size);
				sent.set(k, System.nanoTime());
				try {
					conn.write(message);
				}
				catch (IOException ex) {
					this.console.err("rtt-client: writing message %d: %s", k, ex.getMessage());
					return;
				}
			}
		}, "kcp-tool-rtt-writer");
		writer.setDaemon(true);
		writer.start();
		double[] rtts = new double[count];
		int ok = 0;
		byte[] buffer = new byte[size];
		for (int k = 0; k < count; k++) {
			try {
				conn.readFully(buffer, 0, size);
			}
			catch (IOException ex) {
				this.console.err("rtt-client: reading message %d: %s", k, ex.getMessage());
				break;
			}
			long now = System.nanoTime();
			if (!Arrays.equals(buffer, DeterministicContent.indexedMessage(k, size))) {
				this.console.err("rtt-client: message %d came back altered", k);
				continue;
			}
			rtts[ok++] = (now - sent.get(k)) / 1e6;
		}
		try {
			// the writer is done once every echo came back; after a failure it ends with the connection
			writer.join(TimeUnit.SECONDS.toMillis(1));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return new RttRound(rtts, ok);
	}

	/** Round-trip times in ms of the {@code ok} messages that came back intact (first {@code ok} entries). */
	private record RttRound(double[] rtts, int ok) {
	}

	/** Nearest-rank percentile of sorted values, as the Go peer computes it. */
	static double percentile(double[] sorted, double p) {
		int rank = (int) Math.ceil(p / 100 * sorted.length);
		return sorted[Math.max(rank, 1) - 1];
	}

	private void printThroughput(long n, long elapsedNanos) {
		double seconds = Math.max(elapsedNanos, 1) / 1e9;
		this.console.out("%d bytes in %d ms", n, elapsedNanos / 1_000_000);
		this.console.out("MB/s: %.2f", n / 1e6 / seconds);
	}

	// ------------------------------------------------------------------ content

	/** Reads the 8-byte length header; -1 if the peer closed before sending one. */
	private static long readHeader(Conn conn) throws IOException {
		byte[] header = new byte[DeterministicContent.HEADER_BYTES];
		int first = conn.read(header, 0, header.length);
		if (first < 0) {
			return -1;
		}
		conn.readFully(header, first, header.length - first);
		long n = DeterministicContent.readLength(header);
		if (n < 0) {
			throw new IOException("Length header " + Long.toUnsignedString(n) + " is too large");
		}
		return n;
	}

	/** Writes bytes 0..n-1 of the bulk stream and returns their SHA-256. */
	private static byte[] writeStream(Conn conn, long n) throws IOException {
		MessageDigest sha = DeterministicContent.sha256();
		writeStream(conn, n, sha);
		return sha.digest();
	}

	/**
	 * Writes bytes 0..n-1 of the bulk stream, hashing them into {@code sha} when it is not null. The bulk role passes
	 * null: its server checks nothing, so a digest would be work the throughput figure does not need.
	 */
	private static void writeStream(Conn conn, long n, MessageDigest sha) throws IOException {
		byte[] pattern = DeterministicContent.pattern();
		for (long off = 0; off < n;) {
			int k = (int) Math.min(DeterministicContent.CHUNK_BYTES, n - off);
			int from = DeterministicContent.patternIndex(off);
			try {
				conn.write(pattern, from, k);
			}
			catch (IOException ex) {
				throw new IOException("writing at offset " + off + " of " + n + ": " + ex.getMessage(), ex);
			}
			if (sha != null) {
				sha.update(pattern, from, k);
			}
			off += k;
		}
	}

	/** Reads exactly n bytes, returning their SHA-256 and the offset of the first byte that is not the stream's. */
	private static StreamCheck readStream(Conn conn, long n) throws IOException {
		MessageDigest sha = DeterministicContent.sha256();
		byte[] buffer = new byte[DeterministicContent.CHUNK_BYTES];
		long mismatch = -1;
		for (long off = 0; off < n;) {
			int want = (int) Math.min(buffer.length, n - off);
			int k;
			try {
				k = conn.read(buffer, 0, want);
			}
			catch (IOException ex) {
				throw new IOException("reading at offset " + off + " of " + n + ": " + ex.getMessage(), ex);
			}
			if (k < 0) {
				throw new EOFException("reading at offset " + off + " of " + n + ": closed by the peer");
			}
			if (mismatch < 0) {
				mismatch = DeterministicContent.firstStreamMismatch(buffer, 0, k, off);
			}
			sha.update(buffer, 0, k);
			off += k;
		}
		return new StreamCheck(sha.digest(), mismatch);
	}

	private record StreamCheck(byte[] digest, long mismatch) {
	}

}
