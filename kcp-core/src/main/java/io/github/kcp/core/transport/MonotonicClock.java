package io.github.kcp.core.transport;

/**
 * The engine's clock: milliseconds from {@link System#nanoTime()}, truncated to 32 bits. The engine compares
 * times by the sign of their difference, so the wrap every 49 days is harmless.
 */
final class MonotonicClock {

	private MonotonicClock() {
	}

	static int nowMillis() {
		return (int) (System.nanoTime() / 1_000_000L);
	}

}
