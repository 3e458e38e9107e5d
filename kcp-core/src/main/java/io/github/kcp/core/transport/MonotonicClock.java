package io.github.kcp.core.transport;

/**
 * The shell's clock for the connections: milliseconds from {@link System#nanoTime()}. The one place in the library
 * where KCP time is read; the connection and the engine below it only ever receive it.
 */
final class MonotonicClock {

	private MonotonicClock() {
	}

	static long nowMillis() {
		return System.nanoTime() / 1_000_000L;
	}

}
