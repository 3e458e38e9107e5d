package io.github.kcp.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a run's report: {@code results.md} and the PNG charts beside it.
 *
 * <pre class="code">
 * java -cp kcp-benchmarks/target/benchmarks.jar io.github.kcp.benchmarks.report.BenchReport results.tsv docs/benchmarks
 * </pre>
 */
public final class BenchReport {

	private BenchReport() {
	}

	/**
	 * Reads {@code args[0]} (the suite's results) and writes the report into the folder {@code args[1]}.
	 * @param args the results file and the output folder
	 */
	public static void main(String[] args) throws IOException {
		if (args.length != 2) {
			System.err.println("usage: BenchReport RESULTS.tsv OUTPUT_DIR");
			System.exit(2);
		}
		System.setProperty("java.awt.headless", "true");
		List<Path> written = write(BenchResults.read(Path.of(args[0])), Path.of(args[1]));
		written.forEach((file) -> System.out.println("wrote " + file));
	}

	/** Writes {@code results.md} and the charts into {@code dir}; returns the files written. */
	static List<Path> write(BenchResults results, Path dir) throws IOException {
		Files.createDirectories(dir);
		Path markdown = dir.resolve("results.md");
		Files.writeString(markdown, new ResultsTable(results).markdown(), StandardCharsets.UTF_8);
		List<Path> charts = new ResultCharts(results).write(dir);
		return java.util.stream.Stream.concat(java.util.stream.Stream.of(markdown), charts.stream()).toList();
	}

}
