package io.github.kcp.benchmarks.tool;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Where a role reports: result lines on standard output (what scripts and tests parse, flushed at once) and
 * diagnostics on standard error. Numbers are always formatted with {@link Locale#ROOT}.
 */
final class Console {

	private final PrintStream out;

	private final PrintStream err;

	Console(PrintStream out, PrintStream err) {
		this.out = out;
		this.err = err;
	}

	/** A result line on standard output. */
	void out(String format, Object... args) {
		String line = String.format(Locale.ROOT, format, args);
		synchronized (this.out) {
			this.out.println(line);
			this.out.flush();
		}
	}

	/** A diagnostic line on standard error. */
	void err(String format, Object... args) {
		String line = String.format(Locale.ROOT, format, args);
		synchronized (this.err) {
			this.err.println(line);
			this.err.flush();
		}
	}

	/** Reports a client failure as the Go peer does ({@code failed: ...} on stdout) and returns exit status 1. */
	int fail(String format, Object... args) {
		String message = String.format(Locale.ROOT, format, args);
		err("%s", message);
		out("failed: %s", message);
		return KcpTool.EXIT_FAILED;
	}

}
