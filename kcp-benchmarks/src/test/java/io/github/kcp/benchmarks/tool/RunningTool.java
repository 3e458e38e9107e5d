package io.github.kcp.benchmarks.tool;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test support: one {@link KcpTool} role running in-process on its own thread, with its standard output captured
 * line by line (so a test can wait for {@code listening on HOST:PORT}) and its standard error kept for failure
 * messages. {@link #close()} stops a server role and waits for it to return.
 */
final class RunningTool implements AutoCloseable {

	private static final Pattern LISTENING = Pattern.compile("^listening on (.+):(\\d+)$");

	private final String description;

	private final KcpTool tool;

	private final List<String> lines = new ArrayList<>();

	private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

	private final CompletableFuture<Integer> exit = new CompletableFuture<>();

	private RunningTool(String... args) {
		this.description = "kcp-tool " + String.join(" ", args);
		PrintStream out = new PrintStream(new LineCollector(), true, StandardCharsets.UTF_8);
		PrintStream err = new PrintStream(this.errBytes, true, StandardCharsets.UTF_8);
		// tests never pass --watch-stdin: only stop() ends a server role
		this.tool = new KcpTool(out, err, InputStream.nullInputStream());
		Thread thread = new Thread(() -> {
			try {
				this.exit.complete(this.tool.run(args));
			}
			catch (Throwable ex) {
				this.exit.completeExceptionally(ex);
			}
			finally {
				synchronized (this.lines) {
					this.lines.notifyAll();
				}
			}
		}, "kcp-tool-under-test");
		thread.setDaemon(true);
		thread.start();
	}

	/** Starts a role; a server role is returned once it printed its listening line (within 20 s). */
	static RunningTool start(String... args) {
		RunningTool running = new RunningTool(args);
		if (args[0].endsWith("-server") || args[0].equals("relay")) {
			try {
				running.awaitLine((line) -> LISTENING.matcher(line).matches(), Duration.ofSeconds(20));
			}
			catch (RuntimeException | Error ex) {
				running.close();
				throw ex;
			}
		}
		return running;
	}

	/** Runs a client role to its end (bounded by {@code timeout}) and returns it, exited. */
	static RunningTool runToEnd(Duration timeout, String... args) {
		RunningTool running = new RunningTool(args);
		running.exitStatus(timeout);
		return running;
	}

	/** The port of the {@code listening on HOST:PORT} line. */
	int port() {
		for (String line : lines()) {
			Matcher m = LISTENING.matcher(line);
			if (m.matches()) {
				return Integer.parseInt(m.group(2));
			}
		}
		throw new IllegalStateException(this.description + " printed no listening line\n" + transcript());
	}

	/** The exit status, waiting up to {@code timeout} for the role to end. */
	int exitStatus(Duration timeout) {
		try {
			return this.exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			throw new AssertionError(this.description + " did not end within " + timeout + "\n" + transcript());
		}
		catch (ExecutionException ex) {
			throw new AssertionError(this.description + " threw\n" + transcript(), ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("interrupted", ex);
		}
	}

	/** Waits for a standard output line matching {@code condition}. */
	String awaitLine(Predicate<String> condition, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		int seen = 0;
		synchronized (this.lines) {
			while (true) {
				for (; seen < this.lines.size(); seen++) {
					if (condition.test(this.lines.get(seen))) {
						return this.lines.get(seen);
					}
				}
				long left = deadline - System.nanoTime();
				if (left <= 0 || this.exit.isDone()) {
					throw new AssertionError("No expected line from " + this.description
							+ (this.exit.isDone() ? " before it ended" : " within " + timeout) + "\n" + transcript());
				}
				try {
					this.lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new AssertionError("interrupted", ex);
				}
			}
		}
	}

	/** The standard output lines so far. */
	List<String> lines() {
		synchronized (this.lines) {
			return List.copyOf(this.lines);
		}
	}

	/** Standard error so far. */
	String errorOutput() {
		synchronized (this.errBytes) {
			return this.errBytes.toString(StandardCharsets.UTF_8);
		}
	}

	/** The command, its output and its diagnostics, for assertion messages. */
	String transcript() {
		return "--- " + this.description + "\n--- stdout:\n" + String.join("\n", lines()) + "\n--- stderr:\n"
				+ errorOutput();
	}

	@Override
	public void close() {
		this.tool.stop();
		exitStatus(Duration.ofSeconds(15));
	}

	@Override
	public String toString() {
		return this.description;
	}

	/** Collects written bytes into lines. */
	private final class LineCollector extends OutputStream {

		private final ByteArrayOutputStream current = new ByteArrayOutputStream();

		@Override
		public void write(int b) {
			synchronized (RunningTool.this.lines) {
				if (b == '\n') {
					String line = this.current.toString(StandardCharsets.UTF_8);
					RunningTool.this.lines.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
					this.current.reset();
					RunningTool.this.lines.notifyAll();
				}
				else {
					this.current.write(b);
				}
			}
		}

	}

}
