package io.github.kcp.benchmarks.transport;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.core.transport.UdpOptions;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A client session sending to a server over real loopback UDP, both in this JVM: one operation sends one megabyte
 * (64 messages of 16 KiB, from the benchmark thread as an application would) and waits until the server's handler
 * has received all of it. The score in ops/s is MB/s; with {@code -prof gc}, {@code gc.alloc.rate.norm} is the heap
 * allocated per megabyte by every thread (the event loops included), so divided by 1,048,576 it is the allocation
 * per payload byte. Fast mode: nodelay 1, interval 10, resend 2, no congestion control, windows 1024, mtu 1400.
 * Netty's leak detector is off (as in kcp-tool).
 * <p>
 * Run: {@code java -jar kcp-benchmarks/target/benchmarks.jar LoopbackTransfer -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class LoopbackTransferBenchmark {

	private static final int MEGABYTE = 1 << 20;

	private static final int MESSAGE_SIZE = 16 * 1024;

	/** {@code default} ({@link UdpOptions#defaults()}) or {@code plain} (no batching, no offload). */
	@Param({ "default", "plain" })
	public String udp;

	private final AtomicLong received = new AtomicLong();

	private final byte[] message = new byte[MESSAGE_SIZE];

	private KcpServer server;

	private KcpSession client;

	private long target;

	@Setup(Level.Trial)
	public void setUp() throws Exception {
		UdpOptions options = "plain".equals(this.udp) ? UdpOptions.plain() : UdpOptions.defaults();
		KcpConfig config = KcpConfig.builder()
			.nodelay(1, 10, 2, true)
			.windowSize(1024, 1024)
			.sendBufferSize(8 << 20)
			.build();
		KcpSessionHandler counter = (session, data) -> this.received.addAndGet(data.length);
		this.server = KcpServer.builder().config(config).udpOptions(options).handler(counter).bind("127.0.0.1", 0);
		this.client = KcpClient.builder()
			.config(config)
			.udpOptions(options)
			.handler((session, data) -> {
			})
			.connect(new InetSocketAddress("127.0.0.1", this.server.localPort()));
		for (int i = 0; i < this.message.length; i++) {
			this.message[i] = (byte) (i * 31 + 7);
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws Exception {
		this.client.close().get(10, TimeUnit.SECONDS);
		this.server.shutdown(Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);
	}

	/** Sends one megabyte and waits until the server has received it; returns the bytes received so far. */
	@Benchmark
	public long megabyte() throws Exception {
		this.target += MEGABYTE;
		CompletableFuture<Void> last = null;
		for (int sent = 0; sent < MEGABYTE; sent += MESSAGE_SIZE) {
			last = this.client.sendWhenRoom(this.message, 0, MESSAGE_SIZE, Duration.ofSeconds(10));
		}
		last.get(10, TimeUnit.SECONDS);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (this.received.get() < this.target) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("The server received " + this.received.get() + " of " + this.target);
			}
			Thread.onSpinWait();
		}
		return this.received.get();
	}

}
