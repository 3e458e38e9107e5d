/**
 * The benchmark suite's report: reads the figures {@code run-bench-suite.sh} collected and writes the Markdown
 * tables and the charts of {@code docs/benchmarks}.
 */
@NullMarked
package io.github.kcp.benchmarks.report;

import org.jspecify.annotations.NullMarked;
