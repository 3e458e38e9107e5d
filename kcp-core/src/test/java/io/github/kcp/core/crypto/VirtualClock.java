package io.github.kcp.core.crypto;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A wall clock that moves only when a test moves it (microsecond resolution). */
final class VirtualClock extends Clock {

	private volatile long micros;

	VirtualClock(Instant start) {
		this.micros = start.getEpochSecond() * 1_000_000L + start.getNano() / 1000;
	}

	static VirtualClock atNow() {
		return new VirtualClock(Instant.parse("2026-12-06T10:00:00Z"));
	}

	void advance(Duration duration) {
		this.micros += duration.toNanos() / 1000;
	}

	@Override
	public Instant instant() {
		return Instant.ofEpochSecond(Math.floorDiv(this.micros, 1_000_000L), Math.floorMod(this.micros, 1_000_000L) * 1000);
	}

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		return this;
	}

}
