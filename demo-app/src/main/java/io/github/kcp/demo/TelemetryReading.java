package io.github.kcp.demo;

import java.nio.charset.StandardCharsets;

/**
 * One reading of a sensor, as a telemetry peer sends it: a line {@code "<sensor> <value>"}.
 *
 * @param sensor the sensor's name
 * @param value the reading
 */
public record TelemetryReading(String sensor, double value) {

	/**
	 * Reads a line.
	 * @param line the bytes of {@code "<sensor> <value>"}, UTF-8
	 * @return the reading
	 * @throws IllegalArgumentException if the line is not a reading
	 */
	public static TelemetryReading parse(byte[] line) {
		String text = new String(line, StandardCharsets.UTF_8).trim();
		int space = text.indexOf(' ');
		if (space < 1) {
			throw new IllegalArgumentException("Not a reading (expected \"<sensor> <value>\"): " + text);
		}
		return new TelemetryReading(text.substring(0, space), Double.parseDouble(text.substring(space + 1).trim()));
	}

}
