package io.github.kcp.benchmarks.tool;

import java.util.Optional;

/**
 * Measures how busy a process was over a window: CPU time consumed (user + system, all threads) divided by the
 * wall time, in percent of one core. Reads the operating system's accounting through {@link ProcessHandle}, so it
 * works for any process the tool may inspect (a JVM, the kcp-go peer) and costs the measured process nothing.
 */
final class CpuMeter {

	private final ProcessHandle process;

	private long startCpuNanos;

	private long startWallNanos;

	private CpuMeter(ProcessHandle process) {
		this.process = process;
	}

	/** A meter of the process with this id, if it exists and reports its CPU time. */
	static Optional<CpuMeter> of(long pid) {
		return ProcessHandle.of(pid).map(CpuMeter::new).filter((meter) -> meter.cpuNanos() >= 0);
	}

	/** A meter of this JVM. */
	static CpuMeter self() {
		return new CpuMeter(ProcessHandle.current());
	}

	/** Starts a window. */
	CpuMeter start() {
		this.startCpuNanos = cpuNanos();
		this.startWallNanos = System.nanoTime();
		return this;
	}

	/** Percent of one core used since {@link #start()}, or -1 if the process is gone. */
	double percentSinceStart() {
		long cpu = cpuNanos();
		long wall = System.nanoTime() - this.startWallNanos;
		if (cpu < 0 || this.startCpuNanos < 0 || wall <= 0) {
			return -1;
		}
		return 100.0 * (cpu - this.startCpuNanos) / wall;
	}

	private long cpuNanos() {
		return this.process.info().totalCpuDuration().map((d) -> d.toNanos()).orElse(-1L);
	}

}
