package io.github.kcp.benchmarks.report;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The report's files: the Markdown and one PNG chart per section that has figures. */
class ResultChartsTest {

	@BeforeAll
	static void headless() {
		System.setProperty("java.awt.headless", "true");
	}

	@Test
	void writesTheMarkdownAndAChartPerSectionWithFigures(@TempDir Path dir) throws IOException {
		BenchResults results = BenchResults.parse(List.of("bulk\tus\t0\tmbps\t60", "bulk\tkcp-go\t0\tmbps\t120",
				"bulk\ttcp\t0\tmbps\t900", "echo\tus\t10\tp99\t30", "echo\tkcp-go\t10\tp99\t45",
				"sessions\tus\t1000\tanswered\t1000"));
		List<Path> written = BenchReport.write(results, dir);
		// the sessions section has no CPU figure: no sessions chart rather than an empty one
		assertThat(written).containsExactly(dir.resolve("results.md"), dir.resolve("bulk.png"),
				dir.resolve("echo.png"));
		for (String chart : List.of("bulk.png", "echo.png")) {
			BufferedImage image = ImageIO.read(dir.resolve(chart).toFile());
			assertThat(image).as(chart).isNotNull();
			assertThat(image.getWidth()).isEqualTo(ResultCharts.WIDTH);
			assertThat(image.getHeight()).isEqualTo(ResultCharts.HEIGHT);
		}
		assertThat(Files.readString(dir.resolve("results.md"))).contains("![bulk](bulk.png)", "![echo p99](echo.png)");
	}

	@Test
	void aMissingFigureLeavesAGapNotAZeroBar() {
		BenchResults results = BenchResults.parse(List.of("bulk\tus\t0\tmbps\t60", "bulk\tkcp-go\t0\tmbps\tn/a"));
		var dataset = new ResultCharts(results).bulk().getCategoryPlot().getDataset();
		assertThat(dataset.getValue(ResultsTable.label("us"), "0 % loss")).isEqualTo(60.0);
		assertThat(dataset.getValue(ResultsTable.label("kcp-go"), "0 % loss")).isNull();
	}

}
