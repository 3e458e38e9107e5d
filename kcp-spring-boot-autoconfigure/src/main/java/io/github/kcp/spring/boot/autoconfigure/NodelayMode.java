package io.github.kcp.spring.boot.autoconfigure;

import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * The value of {@code kcp.nodelay}: ikcp's nodelay mode. Written {@code false}/{@code 0}, {@code true}/{@code 1} or
 * {@code 2} in properties (see {@link #of(Object)}).
 */
public enum NodelayMode {

	/** Mode 0: minimum RTO 100 ms; each timeout adds the whole RTO estimate to the segment's RTO. */
	OFF(0),

	/** Mode 1 (aiokcp's default): minimum RTO 30 ms; each timeout adds half the RTO estimate. */
	ON(1),

	/**
	 * Mode 2, ikcp's: the sessions' engine (tuned mode) treats it as {@link #ON}. Only the engine's exact ikcp mode
	 * backs off differently, growing the RTO by half the RTT-based estimate rather than by half the segment's own
	 * RTO. Accepted so that a peer's ikcp settings can be copied as they are.
	 */
	FAST(2);

	/** The values a property may have, as the messages and the README write them. */
	public static final String VALUES = "false (or 0), true (or 1), or 2";

	private final int mode;

	NodelayMode(int mode) {
		this.mode = mode;
	}

	/** The mode number ikcp and {@link io.github.kcp.core.connection.KcpConfig#nodelay()} use. */
	public int mode() {
		return this.mode;
	}

	/**
	 * Reads a property value.
	 * @param value {@code true}, {@code false}, {@code on}, {@code off}, {@code 0}, {@code 1}, {@code 2}, or the
	 * constant names, as text, boolean or number
	 * @return the mode
	 * @throws IllegalArgumentException for anything else, listing the values
	 */
	public static NodelayMode of(@Nullable Object value) {
		String text = (value != null) ? value.toString().trim().toLowerCase(Locale.ROOT) : "";
		return switch (text) {
			case "false", "off", "0" -> OFF;
			case "true", "on", "1" -> ON;
			case "2", "fast" -> FAST;
			default -> throw new IllegalArgumentException(
					"'" + value + "' is not a nodelay mode; expected " + VALUES);
		};
	}

}
