package io.github.kcp.benchmarks.tool;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * kcp-tool servers say what they drop: with {@code --stats S} a {@code server: ...} line of sessions, evictions and
 * dropped datagrams by reason every S seconds and at exit; and a server that fails (an Error on its event loop) ends
 * the role with exit status 1 at once.
 */
@Timeout(60)
class KcpToolServerStatsTest {

	private static final Duration WAIT = Duration.ofSeconds(20);

	@Test
	void aServerWithStatsPrintsItsDropsByReasonPeriodicallyAndAtExit() throws Exception {
		RunningTool server = RunningTool.start("echo-server", "--port", "0", "--stats", "1");
		try (DatagramSocket socket = new DatagramSocket()) {
			// Too short to be KCP: dropped and counted as MALFORMED.
			byte[] junk = { 1, 2, 3 };
			socket.send(new DatagramPacket(junk, junk.length, InetAddress.getLoopbackAddress(), server.port()));
			await().atMost(WAIT)
				.until(() -> server.errorOutput().contains("server: sessions=0 evicted=0 handlerFailures=0 "
						+ "dropped={MALFORMED=1}"));
		}
		finally {
			server.close();
		}
		assertThat(server.exitStatus(Duration.ZERO)).isZero();
		String[] errors = server.errorOutput().split("\n");
		assertThat(errors[errors.length - 1]).as("the last line, at exit")
			.isEqualTo("server: sessions=0 evicted=0 handlerFailures=0 dropped={MALFORMED=1}");
	}

	@Test
	void aServerThatFailsEndsTheRoleWithExitStatusOne() throws Exception {
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		KcpTool tool = new KcpTool(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
				new PrintStream(err, true, StandardCharsets.UTF_8), InputStream.nullInputStream());
		KcpServer server = KcpServer.builder().handler((session, message) -> {
			throw new OutOfMemoryError("simulated: no room for the reply");
		}).bind("127.0.0.1", 0);
		ToolOptions options = ToolOptions.parse("echo-server", "--port", "0");
		CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> {
			try {
				return tool.serveUntilStopped(options, server);
			}
			catch (InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
		});
		KcpSession client = KcpClient.builder()
			.config(KcpConfig.defaults())
			.handler((session, message) -> {
			})
			.connect(server.localAddress());
		try {
			client.send(new byte[] { 42 });
			assertThat(status.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(KcpTool.EXIT_FAILED);
			assertThat(err.toString(StandardCharsets.UTF_8))
				.contains("echo-server: server failed: java.lang.OutOfMemoryError: simulated: no room for the reply");
		}
		finally {
			client.abort();
		}
	}

}
