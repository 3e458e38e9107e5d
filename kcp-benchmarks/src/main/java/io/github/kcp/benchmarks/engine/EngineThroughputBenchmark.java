package io.github.kcp.benchmarks.engine;

import java.util.concurrent.TimeUnit;

import io.github.kcp.core.protocol.Kcp;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Bulk throughput of two engines joined in memory (no sockets, no loss): one operation moves one megabyte from
 * sender to receiver, acknowledged, so the score in ops/s is MB/s and {@code gc.alloc.rate.norm} (with
 * {@code -prof gc}) is bytes allocated per megabyte. Configuration: mtu 1400, windows 1024, nodelay 1, interval
 * 10, resend 2, congestion control off.
 * <p>
 * Run: {@code java -jar kcp-benchmarks/target/benchmarks.jar EngineThroughput -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EngineThroughputBenchmark {

	private static final int MEGABYTE = 1 << 20;

	/** Bytes per {@code send} call: one segment's payload, or a larger message split into fragments. */
	@Param({ "1376", "16384" })
	public int messageSize;

	/** Whether the engines run in stream mode. */
	@Param({ "false", "true" })
	public boolean stream;

	private Kcp sender;

	private Kcp receiver;

	private InMemoryWire forward;

	private InMemoryWire backward;

	private byte[] message;

	private byte[] receiveBuffer;

	private int now;

	@Setup(Level.Trial)
	public void setUp() {
		this.forward = new InMemoryWire(4096, 1400);
		this.backward = new InMemoryWire(4096, 1400);
		this.sender = configure(new Kcp(0x4b4350, this.forward));
		this.receiver = configure(new Kcp(0x4b4350, this.backward));
		this.message = new byte[this.messageSize];
		for (int i = 0; i < this.message.length; i++) {
			this.message[i] = (byte) (i * 31 + 7);
		}
		this.receiveBuffer = new byte[Math.max(this.messageSize, 1400) * 2];
	}

	private Kcp configure(Kcp kcp) {
		kcp.setMtu(1400);
		kcp.setWindowSize(1024, 1024);
		kcp.setNoDelay(1, 10, 2, true);
		kcp.setStream(this.stream);
		return kcp;
	}

	/** Moves one megabyte from sender to receiver and returns the bytes received (so nothing is optimised away). */
	@Benchmark
	public long transferOneMegabyte() {
		long sent = 0;
		long received = 0;
		int rounds = 0;
		while (received < MEGABYTE) {
			while (sent < MEGABYTE && this.sender.waitSnd() < 2048) {
				this.sender.send(this.message, 0, this.message.length);
				sent += this.message.length;
			}
			this.sender.flush(this.now);
			this.forward.deliverTo(this.receiver, this.now);
			int size;
			while ((size = this.receiver.receive(this.receiveBuffer, 0, this.receiveBuffer.length)) >= 0) {
				received += size;
			}
			this.receiver.flushAcks(this.now);
			this.backward.deliverTo(this.sender, this.now);
			this.now++;
			if (++rounds > 1_000_000) {
				throw new IllegalStateException("No progress: " + received + " bytes received");
			}
		}
		// A send may overshoot the megabyte; drain it so every operation starts from the same state.
		while (this.sender.waitSnd() > 0 || this.receiver.peekSize() >= 0) {
			this.sender.flush(this.now);
			this.forward.deliverTo(this.receiver, this.now);
			while (this.receiver.receive(this.receiveBuffer, 0, this.receiveBuffer.length) >= 0) {
				// discard the overshoot
			}
			this.receiver.flushAcks(this.now);
			this.backward.deliverTo(this.sender, this.now);
			this.now++;
		}
		return received;
	}

}
