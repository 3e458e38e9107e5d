package io.github.kcp.benchmarks.tool;

import java.time.Duration;

import io.github.kcp.testsupport.interop.DeterministicContent;
import io.github.kcp.testsupport.interop.GoPeer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kcp-tool and the kcp-go peer stand in for each other: every role pair, kcp-tool as the server with the Go client
 * and the other way round, with the same output lines on both sides. Skipped where Go or kcp-go is absent.
 */
@Timeout(90)
class KcpToolGoInteropTest {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final int BYTES = 1 << 20;

	@BeforeAll
	static void buildPeer() {
		GoPeer.assumeAvailable();
		GoPeer.build();
	}

	// ------------------------------------------------------------------ Go client, kcp-tool server

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(strings = { "0", "1" })
	void goEchoClientWithToolServer(String stream) {
		try (RunningTool server = RunningTool.start("echo-server", "--port", "0", "--stream", stream);
				GoPeer client = GoPeer.start("echo-client", "--port", port(server), "--count", "300", "--size", "3500",
						"--stream", stream, "--timeout-seconds", "30")) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).containsExactly("300 ok, 0 bad");
		}
	}

	@Test
	void goSourceClientWithToolSinkServer() {
		try (RunningTool server = RunningTool.start("sink-server", "--port", "0");
				GoPeer client = GoPeer.start("source-client", "--port", port(server), "--bytes", String.valueOf(BYTES),
						"--timeout-seconds", "30")) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).contains("verified " + BYTES + " bytes");
			server.awaitLine(("received " + BYTES + " bytes, sha256 "
					+ DeterministicContent.hex(DeterministicContent.streamDigest(BYTES)) + ", content ok")::equals, WAIT);
		}
	}

	@Test
	void goSinkClientWithToolSourceServer() {
		try (RunningTool server = RunningTool.start("source-server", "--port", "0");
				GoPeer client = GoPeer.start("sink-client", "--port", port(server), "--bytes", String.valueOf(BYTES),
						"--timeout-seconds", "30")) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).contains("verified " + BYTES + " bytes");
			server.awaitLine(("verified " + BYTES + " bytes")::equals, WAIT);
		}
	}

	@Test
	void goBulkAndRttClientsWithToolServers() {
		try (RunningTool bulk = RunningTool.start("bulk-server", "--port", "0");
				RunningTool echo = RunningTool.start("echo-server", "--port", "0");
				GoPeer bulkClient = GoPeer.start("bulk-client", "--port", port(bulk), "--bytes",
						String.valueOf(BYTES), "--warmup-bytes", "100000", "--timeout-seconds", "30")) {
			assertThat(bulkClient.waitFor(WAIT)).as(bulkClient.transcript()).isZero();
			assertThat(bulkClient.lines()).as(bulkClient.transcript())
				.anyMatch((line) -> KcpToolTest.MB_PER_S.matcher(line).matches());
			bulk.awaitLine((line) -> line.matches("received " + BYTES + " bytes in \\d+ ms"), WAIT);
			try (GoPeer rttClient = GoPeer.start("rtt-client", "--port", port(echo), "--count", "100", "--size", "64",
					"--interval-ms", "2", "--warmup", "20", "--timeout-seconds", "30")) {
				assertThat(rttClient.waitFor(WAIT)).as(rttClient.transcript()).isZero();
				assertThat(rttClient.lines()).as(rttClient.transcript())
					.contains("100 ok, 0 bad")
					.anyMatch((line) -> KcpToolTest.PERCENTILES.matcher(line).matches());
			}
		}
	}

	// ------------------------------------------------------------------ kcp-tool client, Go server

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(strings = { "0", "1" })
	void toolEchoClientWithGoServer(String stream) {
		try (GoPeer server = GoPeer.start("echo-server", "--port", "0", "--stream", stream)) {
			RunningTool client = RunningTool.runToEnd(WAIT, "echo-client", "--port", port(server), "--count", "300",
					"--size", "3500", "--stream", stream);
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).containsExactly("300 ok, 0 bad");
		}
	}

	@Test
	void toolSourceClientWithGoSinkServer() {
		try (GoPeer server = GoPeer.start("sink-server", "--port", "0")) {
			RunningTool client = RunningTool.runToEnd(WAIT, "source-client", "--port", port(server), "--bytes",
					String.valueOf(BYTES));
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).contains("verified " + BYTES + " bytes");
			server.awaitLine((line) -> line.startsWith("received " + BYTES + " bytes, sha256 ")
					&& line.endsWith(", content ok"), WAIT);
		}
	}

	@Test
	void toolSinkClientWithGoSourceServer() {
		try (GoPeer server = GoPeer.start("source-server", "--port", "0")) {
			RunningTool client = RunningTool.runToEnd(WAIT, "sink-client", "--port", port(server), "--bytes",
					String.valueOf(BYTES));
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).contains("verified " + BYTES + " bytes");
			server.awaitLine("verified " + BYTES + " bytes", WAIT);
		}
	}

	@Test
	void toolBulkAndRttClientsWithGoServers() {
		try (GoPeer bulk = GoPeer.start("bulk-server", "--port", "0");
				GoPeer echo = GoPeer.start("echo-server", "--port", "0")) {
			RunningTool bulkClient = RunningTool.runToEnd(WAIT, "bulk-client", "--port", port(bulk), "--bytes",
					String.valueOf(BYTES), "--warmup-bytes", "100000");
			assertThat(bulkClient.exitStatus(Duration.ZERO)).as(bulkClient.transcript()).isZero();
			assertThat(bulkClient.lines()).as(bulkClient.transcript())
				.anyMatch((line) -> KcpToolTest.MB_PER_S.matcher(line).matches());
			bulk.awaitLine((line) -> line.matches("received " + BYTES + " bytes in \\d+ ms"), WAIT);
			RunningTool rttClient = RunningTool.runToEnd(WAIT, "rtt-client", "--port", port(echo), "--count", "100",
					"--size", "64", "--interval-ms", "2", "--warmup", "20");
			assertThat(rttClient.exitStatus(Duration.ZERO)).as(rttClient.transcript()).isZero();
			assertThat(rttClient.lines()).as(rttClient.transcript())
				.contains("100 ok, 0 bad")
				.anyMatch((line) -> KcpToolTest.PERCENTILES.matcher(line).matches());
		}
	}

	private static String port(RunningTool server) {
		return String.valueOf(server.port());
	}

	private static String port(GoPeer server) {
		return String.valueOf(server.port());
	}

}
