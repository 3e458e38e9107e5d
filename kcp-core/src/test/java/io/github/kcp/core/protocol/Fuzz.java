package io.github.kcp.core.protocol;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A small seeded property runner for the fuzz suites (no dependency): runs a property over many cases, each a pure
 * function of its own 64-bit seed, and names the seed of a failing case so that it can be replayed alone.
 * <p>
 * System properties (all optional): {@code kcp.fuzz.seed} the base seed (default fixed, so the build is
 * reproducible), {@code kcp.fuzz.cases} a multiplier of every property's default case count (default 1),
 * {@code kcp.fuzz.seconds} a time budget per property instead of a count, and {@code kcp.fuzz.replay} one case seed
 * to run alone. {@code kcp-core/fuzz.sh} sets them for a long run.
 */
final class Fuzz {

	private static final long DEFAULT_SEED = 0x5EED_0F_FC9L;

	private Fuzz() {
	}

	/**
	 * Runs {@code property} for {@code defaultCases} cases (times {@code kcp.fuzz.cases}), or for
	 * {@code kcp.fuzz.seconds}, or once for {@code kcp.fuzz.replay}.
	 * @return the number of cases run
	 * @throws AssertionError naming the failing case's seed, with the failure as its cause
	 */
	static long check(String name, int defaultCases, Consumer<SplittableRandom> property) {
		String replay = System.getProperty("kcp.fuzz.replay");
		if (replay != null && !replay.isBlank()) {
			long seed = parseSeed(replay);
			runCase(name, seed, property);
			return 1;
		}
		long base = parseSeed(System.getProperty("kcp.fuzz.seed", Long.toString(DEFAULT_SEED)));
		long multiplier = Long.parseLong(System.getProperty("kcp.fuzz.cases", "1").trim());
		long seconds = Long.parseLong(System.getProperty("kcp.fuzz.seconds", "0").trim());
		long cases = (seconds > 0) ? Long.MAX_VALUE : defaultCases * multiplier;
		long stopAt = System.nanoTime() + seconds * 1_000_000_000L;
		SplittableRandom seeds = new SplittableRandom(base ^ name.hashCode());
		long begin = System.nanoTime();
		long run = 0;
		while (run < cases && (seconds <= 0 || System.nanoTime() - stopAt < 0)) {
			runCase(name, seeds.nextLong(), property);
			run++;
		}
		System.out.printf("fuzz %s: %d cases in %d ms (base seed %#x)%n", name, run,
				(System.nanoTime() - begin) / 1_000_000, base);
		return run;
	}

	/** A seed in decimal or, with 0x, in hexadecimal, all 64 bits (as the failure messages print them). */
	private static long parseSeed(String text) {
		String trimmed = text.trim();
		return trimmed.startsWith("0x") ? Long.parseUnsignedLong(trimmed.substring(2), 16) : Long.parseLong(trimmed);
	}

	private static void runCase(String name, long seed, Consumer<SplittableRandom> property) {
		try {
			property.accept(new SplittableRandom(seed));
		}
		catch (Throwable failure) {
			throw new AssertionError("Property '" + name + "' failed for case seed " + String.format("%#x", seed)
					+ "; replay it alone with -Dkcp.fuzz.replay=" + String.format("%#x", seed) + " -Dtest="
					+ "<this test>#<this method>: " + failure, failure);
		}
	}

}
