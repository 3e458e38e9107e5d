package io.github.kcp.testsupport.interop;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * Builds and runs the kcp-go peer ({@code kcp-test-support/src/main/go/kcppeer/main.go}, built against the Debian
 * package {@code golang-github-xtaci-kcp-dev}, kcp-go 5.6.1) for interop tests and benchmarks.
 *
 * <p>Typical use:
 * <pre>{@code
 * GoPeer.assumeAvailable();
 * try (GoPeer server = GoPeer.start("echo-server", "--port", "0")) {
 *     // connect a Java KCP client to 127.0.0.1:server.port() ...
 * }
 * }</pre>
 *
 * <p>Roles and their flags are documented at the top of {@code main.go}; {@link DeterministicContent} reproduces
 * its content generators. Every process is started with {@code --watch-stdin 1}, so it exits by itself when
 * {@link #close()} closes its standard input or when this JVM dies. {@link #close()} only ever stops the process
 * this instance started.
 */
public final class GoPeer implements AutoCloseable {

	/** Where the Debian package installs the kcp-go sources (GOPATH mode). */
	public static final Path KCP_GO_SOURCES = Path.of("/usr/share/gocode/src/github.com/xtaci/kcp-go");

	/** The GOPATH used for the build. */
	public static final String GOPATH = "/usr/share/gocode";

	static final String INSTALL_HINT = "Go / kcp-go not installed: run `apt-get install golang-go "
			+ "golang-github-xtaci-kcp-dev` to enable kcp-go interop tests";

	private static final String MODULE = "kcp-test-support";

	private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(180);

	private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(20);

	private static final Duration DESTROY_GRACE = Duration.ofSeconds(2);

	private static final Pattern LISTENING = Pattern.compile("^listening on (.+):(\\d+)$");

	private static final int MAX_STDERR_CHARS = 64 * 1024;

	private static @Nullable Path binary;

	private static @Nullable RuntimeException buildFailure;

	private final String description;

	private final Process process;

	private final OutputStream stdin;

	private final List<String> stdoutLines = new ArrayList<>();

	private final StringBuilder stderr = new StringBuilder();

	private final Thread stdoutPump;

	private final Thread stderrPump;

	private volatile int port = -1;

	private GoPeer(String description, Process process) {
		this.description = description;
		this.process = process;
		this.stdin = process.getOutputStream();
		this.stdoutPump = pump(process.getInputStream(), "stdout", this::addStdoutLine);
		this.stderrPump = pump(process.getErrorStream(), "stderr", this::addStderrLine);
	}

	// ------------------------------------------------------------------ availability and build

	/** Whether {@code go} is on the PATH and the kcp-go sources are installed. */
	public static boolean isAvailable() {
		return findGo().isPresent() && Files.isDirectory(KCP_GO_SOURCES);
	}

	/**
	 * Skips the calling test (JUnit assumption) when Go or kcp-go is not installed. When they are installed, a
	 * failing build is not a reason to skip: {@link #build()} throws.
	 */
	public static void assumeAvailable() {
		Assumptions.assumeTrue(isAvailable(), INSTALL_HINT);
	}

	/**
	 * Builds the peer once per JVM into {@code target/go-peer/kcppeer} of the kcp-test-support module and returns its
	 * path.
	 * A binary newer than {@code main.go} is reused. Throws if the build fails or takes longer than 180 s.
	 */
	public static synchronized Path build() {
		if (binary != null) {
			return binary;
		}
		if (buildFailure != null) {
			throw buildFailure;
		}
		try {
			binary = doBuild();
			return binary;
		}
		catch (RuntimeException ex) {
			buildFailure = ex;
			throw ex;
		}
	}

	/**
	 * The kcp-test-support module directory, which holds the peer's source: the working directory when its own tests
	 * run, its child when run from the root, or its sibling when run from another module (kcp-core and
	 * kcp-benchmarks test against the peer).
	 */
	static Path moduleDir() {
		Path cwd = Path.of("").toAbsolutePath();
		List<Path> candidates = new ArrayList<>();
		candidates.add(cwd);
		candidates.add(cwd.resolve(MODULE));
		if (cwd.getParent() != null) {
			candidates.add(cwd.getParent().resolve(MODULE));
		}
		for (Path candidate : candidates) {
			if (Files.isRegularFile(candidate.resolve(sourceRelative()))) {
				return candidate;
			}
		}
		throw new IllegalStateException("Cannot find " + MODULE + "/" + sourceRelative() + " from " + cwd);
	}

	private static Path sourceRelative() {
		return Path.of("src", "main", "go", "kcppeer", "main.go");
	}

	private static Path doBuild() {
		Path go = findGo().orElseThrow(() -> new IllegalStateException(INSTALL_HINT));
		if (!Files.isDirectory(KCP_GO_SOURCES)) {
			throw new IllegalStateException(INSTALL_HINT);
		}
		Path module = moduleDir();
		Path source = module.resolve(sourceRelative());
		Path outDir = module.resolve("target").resolve("go-peer");
		Path out = outDir.resolve("kcppeer");
		try {
			Files.createDirectories(outDir);
			if (Files.isExecutable(out)
					&& Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(source)) > 0) {
				return out;
			}
			Path tmp = outDir.resolve("kcppeer.tmp" + ProcessHandle.current().pid());
			Path log = outDir.resolve("build.log");
			ProcessBuilder pb = new ProcessBuilder(go.toString(), "build", "-o", tmp.toString(), "main.go")
				.directory(source.getParent().toFile())
				.redirectErrorStream(true)
				.redirectOutput(log.toFile());
			Map<String, String> env = pb.environment();
			env.remove("GOFLAGS");
			env.put("GO111MODULE", "off");
			env.put("GOPATH", GOPATH);
			env.put("GOCACHE", module.resolve("target").resolve("go-cache").toString());
			// Hermetic: no user go.env, no cgo (no C compiler needed), never any toolchain or module download.
			env.put("GOENV", "off");
			env.put("CGO_ENABLED", "0");
			env.put("GOTOOLCHAIN", "local");
			env.put("GOPROXY", "off");
			Process build = pb.start();
			build.getOutputStream().close();
			if (!build.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
				build.destroyForcibly();
				build.waitFor(10, TimeUnit.SECONDS);
				throw new IllegalStateException("go build of " + source + " timed out after " + BUILD_TIMEOUT
						+ ":\n" + readQuietly(log));
			}
			if (build.exitValue() != 0) {
				throw new IllegalStateException("go build of " + source + " failed with exit code "
						+ build.exitValue() + ":\n" + readQuietly(log));
			}
			Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
			return out;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot build the kcp-go peer from " + source, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while building the kcp-go peer", ex);
		}
	}

	private static Optional<Path> findGo() {
		String path = System.getenv("PATH");
		if (path == null) {
			return Optional.empty();
		}
		for (String dir : path.split(Pattern.quote(File.pathSeparator))) {
			if (dir.isEmpty()) {
				continue;
			}
			Path candidate = Path.of(dir, "go");
			if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
				return Optional.of(candidate.toAbsolutePath());
			}
		}
		return Optional.empty();
	}

	private static String readQuietly(Path file) {
		try {
			return Files.readString(file, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			return "(cannot read " + file + ": " + ex + ")";
		}
	}

	// ------------------------------------------------------------------ processes

	/**
	 * Builds the peer if needed and starts {@code kcppeer role args...}. For server roles (names ending in
	 * {@code -server}) this waits up to 20 s for the {@code listening on HOST:PORT} line; see {@link #port()}.
	 * @param role the role, e.g. {@code "echo-server"} or {@code "source-client"}
	 * @param args the flags, e.g. {@code "--port", "0"}
	 * @return the running peer; close it
	 */
	public static GoPeer start(String role, String... args) {
		Path exe = build();
		List<String> command = new ArrayList<>();
		command.add(exe.toString());
		command.add(role);
		command.addAll(Arrays.asList(args));
		command.add("--watch-stdin");
		command.add("1");
		String description = role + " " + String.join(" ", args);
		Process process;
		try {
			process = new ProcessBuilder(command).start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + command, ex);
		}
		GoPeer peer = new GoPeer(description, process);
		if (role.endsWith("-server")) {
			try {
				peer.awaitListening();
			}
			catch (RuntimeException | Error ex) {
				peer.close();
				throw ex;
			}
		}
		return peer;
	}

	private void awaitListening() {
		String line = awaitLine(l -> LISTENING.matcher(l).matches(), LISTEN_TIMEOUT);
		Matcher m = LISTENING.matcher(line);
		m.matches();
		this.port = Integer.parseInt(m.group(2));
	}

	/** The UDP port a server role printed in its {@code listening on HOST:PORT} line. */
	public int port() {
		if (this.port < 0) {
			throw new IllegalStateException(this.description + " has not printed a listening line");
		}
		return this.port;
	}

	/**
	 * Waits for the process to exit and returns its exit code. On timeout the process is destroyed and an
	 * {@link AssertionError} carrying its output is thrown.
	 */
	public int waitFor(Duration timeout) {
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				close();
				throw new AssertionError(this.description + " did not exit within " + timeout + "\n" + transcript());
			}
			// let the pumps drain what the process printed last
			this.stdoutPump.join(5000);
			this.stderrPump.join(5000);
			return this.process.exitValue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for " + this.description, ex);
		}
	}

	/** Waits for the process to exit (see {@link #waitFor(Duration)}) and returns all it printed on stdout. */
	public String awaitOutput(Duration timeout) {
		waitFor(timeout);
		return output();
	}

	/**
	 * Waits until the process prints a stdout line matching {@code condition} and returns it; throws an
	 * {@link AssertionError} with the transcript if the process exits or the timeout elapses first.
	 */
	public String awaitLine(Predicate<String> condition, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		int seen = 0;
		synchronized (this.stdoutLines) {
			while (true) {
				for (; seen < this.stdoutLines.size(); seen++) {
					String line = this.stdoutLines.get(seen);
					if (condition.test(line)) {
						return line;
					}
				}
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					throw new AssertionError("No expected line from " + this.description + " within " + timeout
							+ "\n" + transcript());
				}
				if (!this.stdoutPump.isAlive()) {
					throw new AssertionError(this.description + " ended its output (exit "
							+ exitCodeText() + ") without the expected line\n" + transcript());
				}
				try {
					this.stdoutLines.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException("Interrupted while waiting for " + this.description, ex);
				}
			}
		}
	}

	/** Waits until the process prints exactly {@code line} on stdout (see {@link #awaitLine(Predicate, Duration)}). */
	public String awaitLine(String line, Duration timeout) {
		return awaitLine(line::equals, timeout);
	}

	/** Everything printed on stdout so far, one line per line. */
	public String output() {
		synchronized (this.stdoutLines) {
			return this.stdoutLines.isEmpty() ? "" : String.join("\n", this.stdoutLines) + "\n";
		}
	}

	/** The stdout lines printed so far. */
	public List<String> lines() {
		synchronized (this.stdoutLines) {
			return List.copyOf(this.stdoutLines);
		}
	}

	/** What the process printed on stderr so far (the last 64 KiB). */
	public String errorOutput() {
		synchronized (this.stderr) {
			return this.stderr.toString();
		}
	}

	/** The command, exit state, stdout and stderr, for assertion messages. */
	public String transcript() {
		return "--- " + this.description + " (exit " + exitCodeText() + ")\n--- stdout:\n" + output()
				+ "--- stderr:\n" + errorOutput();
	}

	public boolean isAlive() {
		return this.process.isAlive();
	}

	public long pid() {
		return this.process.pid();
	}

	private String exitCodeText() {
		return this.process.isAlive() ? "still running" : String.valueOf(this.process.exitValue());
	}

	/**
	 * Stops the process this instance started: closes its stdin (the peer exits by itself), then
	 * {@link Process#destroy()} and, after a grace period, {@link Process#destroyForcibly()}.
	 */
	@Override
	public void close() {
		try {
			this.stdin.close();
		}
		catch (IOException ex) {
			// already gone
		}
		try {
			if (!this.process.waitFor(200, TimeUnit.MILLISECONDS)) {
				this.process.destroy();
				if (!this.process.waitFor(DESTROY_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
					this.process.destroyForcibly();
					this.process.waitFor(5, TimeUnit.SECONDS);
				}
			}
			// keep what it printed last for transcripts
			this.stdoutPump.join(1000);
			this.stderrPump.join(1000);
		}
		catch (InterruptedException ex) {
			this.process.destroyForcibly();
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public String toString() {
		return "GoPeer[" + this.description + ", pid " + this.process.pid() + "]";
	}

	private void addStdoutLine(String line) {
		synchronized (this.stdoutLines) {
			this.stdoutLines.add(line);
			this.stdoutLines.notifyAll();
		}
	}

	private void addStderrLine(String line) {
		synchronized (this.stderr) {
			this.stderr.append(line).append('\n');
			if (this.stderr.length() > MAX_STDERR_CHARS) {
				this.stderr.delete(0, this.stderr.length() - MAX_STDERR_CHARS);
			}
		}
	}

	private Thread pump(InputStream in, String name, Consumer<String> sink) {
		Thread thread = new Thread(() -> {
			try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
				String line;
				while ((line = reader.readLine()) != null) {
					sink.accept(line);
				}
			}
			catch (IOException ex) {
				// process gone
			}
			finally {
				synchronized (this.stdoutLines) {
					this.stdoutLines.notifyAll();
				}
			}
		}, "go-peer-" + name + "-" + this.process.pid());
		thread.setDaemon(true);
		thread.start();
		return thread;
	}

}
