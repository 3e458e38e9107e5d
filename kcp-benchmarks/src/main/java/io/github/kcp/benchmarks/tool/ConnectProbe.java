package io.github.kcp.benchmarks.tool;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;

/**
 * The {@code connect-client} role: opens {@code --count} sessions to an echo server one after another, each on a new
 * socket, and times two things per session — {@code connect} (returns at once for plain KCP and a packet cipher; the
 * DTLS handshake with {@code --dtls}) and the first echo of one {@code --size} message after it (the time a new
 * client waits before its first reply). Each session is aborted after its echo. Prints the median, p90 and maximum
 * of both. {@code --warmup W} first opens W sessions the same way, untimed (a JVM's first handshakes run cold code).
 */
final class ConnectProbe {

	private final ToolOptions options;

	private final Console console;

	ConnectProbe(ToolOptions options, Console console) {
		this.options = options;
		this.console = console;
	}

	int run(KcpConfig config) throws ToolUsageException, InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(this.options.timeoutSeconds);
		double[] connect = new double[this.options.count];
		double[] firstEcho = new double[this.options.count];
		byte[] message = new byte[this.options.size];
		Arrays.fill(message, (byte) 'k');
		int total = this.options.warmup + this.options.count;
		for (int i = 0; i < total; i++) {
			CompletableFuture<byte[]> echoed = new CompletableFuture<>();
			long start = System.nanoTime();
			KcpSession session;
			try {
				session = KcpClient.builder()
					.config(config)
					.cipher(this.options.packetCipher())
					.dtls(this.options.dtlsSettings())
					.udpOptions(this.options.udpOptions())
					.handler((KcpSessionHandler) (s, reply) -> echoed.complete(reply))
					.connect(this.options.host, this.options.port);
			}
			catch (KcpException ex) {
				return this.console.fail("connect-client: session %d: %s", i + 1, ex.getMessage());
			}
			long connected = System.nanoTime();
			session.send(message);
			try {
				byte[] reply = echoed.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
				if (!Arrays.equals(reply, message)) {
					session.abort();
					return this.console.fail("connect-client: session %d: the echo differs", i + 1);
				}
			}
			catch (ExecutionException | TimeoutException ex) {
				session.abort();
				return this.console.fail("connect-client: session %d: no echo before the deadline", i + 1);
			}
			long done = System.nanoTime();
			session.abort();
			if (i >= this.options.warmup) {
				connect[i - this.options.warmup] = (connected - start) / 1e6;
				firstEcho[i - this.options.warmup] = (done - start) / 1e6;
			}
		}
		Arrays.sort(connect);
		Arrays.sort(firstEcho);
		this.console.out("%d sessions", this.options.count);
		this.console.out("connect: median %.3f ms, p90 %.3f ms, max %.3f ms", Roles.percentile(connect, 50),
				Roles.percentile(connect, 90), connect[connect.length - 1]);
		this.console.out("first echo: median %.3f ms, p90 %.3f ms, max %.3f ms", Roles.percentile(firstEcho, 50),
				Roles.percentile(firstEcho, 90), firstEcho[firstEcho.length - 1]);
		return KcpTool.EXIT_OK;
	}

}
