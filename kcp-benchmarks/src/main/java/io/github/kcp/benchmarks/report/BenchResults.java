package io.github.kcp.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeSet;

/**
 * The figures of one suite run, as {@code run-bench-suite.sh} writes them: one tab-separated line per figure,
 * {@code section impl x metric value} (for example {@code echo us 10 p99 2.75}: our p99 round trip at 10 % loss), and
 * {@code meta key value} lines that describe the run. A value that could not be measured is {@code n/a}; lines
 * starting with {@code #} are comments.
 */
final class BenchResults {

	/** The implementations, in the order of every table and chart. */
	static final List<String> IMPLS = List.of("us", "kcp-go", "tcp");

	private final Map<String, String> meta = new LinkedHashMap<>();

	private final Map<String, Double> values = new LinkedHashMap<>();

	private final Map<String, TreeSet<Integer>> xs = new LinkedHashMap<>();

	/** Reads a results file. */
	static BenchResults read(Path file) throws IOException {
		return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
	}

	/**
	 * Parses results lines.
	 * @throws IllegalArgumentException naming the first line that is not a figure, a meta line or a comment
	 */
	static BenchResults parse(List<String> lines) {
		BenchResults results = new BenchResults();
		int number = 0;
		for (String line : lines) {
			number++;
			if (line.isBlank() || line.startsWith("#")) {
				continue;
			}
			String[] f = line.split("\t", -1);
			if (f[0].equals("meta") && f.length == 3) {
				results.meta.put(f[1], f[2]);
				continue;
			}
			if (f.length != 5) {
				throw new IllegalArgumentException("Line " + number + " is not 'section impl x metric value' "
						+ "separated by tabs: '" + line + "'");
			}
			int x;
			try {
				x = Integer.parseInt(f[2]);
			}
			catch (NumberFormatException ex) {
				throw new IllegalArgumentException("Line " + number + ": x must be a whole number but was '" + f[2]
						+ "'");
			}
			results.xs.computeIfAbsent(f[0], (k) -> new TreeSet<>()).add(x);
			if (f[4].equals("n/a") || f[4].isEmpty()) {
				continue;
			}
			try {
				results.values.put(key(f[0], f[1], x, f[3]), Double.parseDouble(f[4]));
			}
			catch (NumberFormatException ex) {
				throw new IllegalArgumentException("Line " + number + ": value must be a number or n/a but was '"
						+ f[4] + "'");
			}
		}
		return results;
	}

	private static String key(String section, String impl, int x, String metric) {
		return section + '\t' + impl + '\t' + x + '\t' + metric;
	}

	/** A figure, if it was measured. */
	OptionalDouble get(String section, String impl, int x, String metric) {
		Double value = this.values.get(key(section, impl, x, metric));
		return (value != null) ? OptionalDouble.of(value) : OptionalDouble.empty();
	}

	/** The x values (loss percentages, session counts) a section has figures for, ascending. */
	List<Integer> xs(String section) {
		TreeSet<Integer> set = this.xs.get(section);
		return (set != null) ? new ArrayList<>(set) : Collections.emptyList();
	}

	/** A meta value, or {@code fallback}. */
	String meta(String key, String fallback) {
		return this.meta.getOrDefault(key, fallback);
	}

}
