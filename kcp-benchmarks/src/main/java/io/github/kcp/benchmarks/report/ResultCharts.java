package io.github.kcp.benchmarks.report;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.IntFunction;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The charts of a run, as PNG files (JFreeChart, headless): grouped bars of us, kcp-go and TCP for bulk throughput
 * and echo p99 by loss (logarithmic scales: TCP on loopback and a lossy KCP link differ by orders of magnitude) and
 * server CPU by session count. A chart whose section has no figures is not written.
 */
final class ResultCharts {

	static final int WIDTH = 900;

	static final int HEIGHT = 480;

	/** One colour per implementation, in {@link BenchResults#IMPLS} order. */
	private static final Color[] COLORS = { new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x7f7f7f) };

	private final BenchResults results;

	ResultCharts(BenchResults results) {
		this.results = results;
	}

	/** Writes every chart that has figures into {@code dir}; returns the files written. */
	List<Path> write(Path dir) throws IOException {
		List<Path> written = new ArrayList<>();
		save(dir.resolve("bulk.png"), bulk(), written);
		save(dir.resolve("echo.png"), echo(), written);
		save(dir.resolve("sessions.png"), sessions(), written);
		return written;
	}

	private static void save(Path file, JFreeChart chart, List<Path> written) throws IOException {
		if (chart == null) {
			return;
		}
		ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
		written.add(file);
	}

	/** Bulk MB/s by loss, or null without bulk figures. */
	JFreeChart bulk() {
		return chart("bulk", "Bulk transfer (higher is better)", "MB/s (log scale)", true,
				(loss) -> loss + " % loss", "mbps");
	}

	/** Echo p99 by loss, or null without echo figures. */
	JFreeChart echo() {
		return chart("echo", "Echo round trip p99 (lower is better)", "ms (log scale)", true,
				(loss) -> loss + " % loss", "p99");
	}

	/** Server CPU with every session active, by session count, or null without session figures. */
	JFreeChart sessions() {
		return chart("sessions", "Server CPU, every session sending 1 message/s (lower is better)",
				"% of one core", false, (count) -> String.format(Locale.ROOT, "%,d sessions", count),
				"cpu_active");
	}

	private JFreeChart chart(String section, String title, String axis, boolean log, IntFunction<String> category,
			String metric) {
		List<Integer> xs = this.results.xs(section);
		DefaultCategoryDataset dataset = new DefaultCategoryDataset();
		double smallest = Double.MAX_VALUE;
		double largest = 0;
		for (int x : xs) {
			for (String impl : BenchResults.IMPLS) {
				OptionalDouble value = this.results.get(section, impl, x, metric);
				// a missing figure leaves a gap rather than a misleading zero bar
				dataset.addValue(value.isPresent() ? value.getAsDouble() : null, ResultsTable.label(impl),
						category.apply(x));
				if (value.isPresent() && value.getAsDouble() > 0) {
					smallest = Math.min(smallest, value.getAsDouble());
					largest = Math.max(largest, value.getAsDouble());
				}
			}
		}
		if (smallest == Double.MAX_VALUE) {
			return null;
		}
		JFreeChart chart = ChartFactory.createBarChart(title, null, axis, dataset, PlotOrientation.VERTICAL, true,
				false, false);
		chart.setBackgroundPaint(Color.WHITE);
		chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
		CategoryPlot plot = chart.getCategoryPlot();
		plot.setBackgroundPaint(Color.WHITE);
		plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
		BarRenderer renderer = (BarRenderer) plot.getRenderer();
		renderer.setBarPainter(new StandardBarPainter());
		renderer.setShadowVisible(false);
		renderer.setItemMargin(0.05);
		// the figure above each bar: a log scale is hard to read off
		renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}",
				new DecimalFormat("#,##0.##", DecimalFormatSymbols.getInstance(Locale.ROOT))));
		renderer.setDefaultItemLabelsVisible(true);
		renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
		for (int i = 0; i < COLORS.length; i++) {
			renderer.setSeriesPaint(i, COLORS[i]);
		}
		if (log) {
			LogAxis logAxis = new LogAxis(axis);
			// whole decades around the figures; bars grow from the bottom decade
			double floor = Math.pow(10, Math.floor(Math.log10(smallest)));
			double ceiling = Math.pow(10, Math.ceil(Math.log10(largest * 1.01)));
			logAxis.setSmallestValue(floor);
			logAxis.setRange(floor, ceiling);
			logAxis.setNumberFormatOverride(new DecimalFormat("#,##0.###", DecimalFormatSymbols.getInstance(Locale.ROOT)));
			logAxis.setTickUnit(new NumberTickUnit(1.0));
			renderer.setBase(floor);
			plot.setRangeAxis(logAxis);
		}
		else {
			((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(true);
		}
		return chart;
	}

}
