package io.github.kcp.benchmarks.tool;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kcp-tool's roles against each other in-process over loopback, KCP and TCP: what a user reads off the output lines
 * (and what scripts parse) and the exit status.
 */
@Timeout(60)
class KcpToolTest {

	private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

	static final Pattern MB_PER_S = Pattern.compile("^MB/s: (\\d+\\.\\d\\d)$");

	static final Pattern PERCENTILES = Pattern
		.compile("^p50 (\\d+\\.\\d{3}) ms, p90 (\\d+\\.\\d{3}) ms, p99 (\\d+\\.\\d{3}) ms, max (\\d+\\.\\d{3}) ms$");

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(strings = { "0", "1" })
	void echoClientVerifiesEveryEcho(String stream) {
		try (RunningTool server = RunningTool.start("echo-server", "--port", "0", "--stream", stream)) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, "echo-client", "--port", port(server),
					"--count", "300", "--size", "3000", "--stream", stream);
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).containsExactly("300 ok, 0 bad");
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "aes-gcm", "aes-cbc-hmac" })
	void echoIsEncryptedEndToEnd(String crypto) {
		String[] cipher = { "--crypto", crypto, "--key", "hex:000102030405060708090a0b0c0d0e0f", "--salt",
				"kcp-tool test" };
		try (RunningTool server = RunningTool.start(concat(new String[] { "echo-server", "--port", "0" }, cipher))) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT,
					concat(new String[] { "echo-client", "--port", port(server), "--count", "50", "--size", "1000" },
							cipher));
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).containsExactly("50 ok, 0 bad");
		}
	}

	@Test
	void echoClientWithTheWrongKeyGetsNothingBackAndFails() {
		try (RunningTool server = RunningTool.start("echo-server", "--port", "0", "--crypto", "aes-gcm", "--key",
				"right", "--salt", "s")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, "echo-client", "--port", port(server),
					"--count", "5", "--size", "100", "--timeout-seconds", "1", "--crypto", "aes-gcm", "--key", "wrong",
					"--salt", "s");
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isEqualTo(KcpTool.EXIT_FAILED);
			assertThat(client.lines()).as(client.transcript()).containsExactly("0 ok, 5 bad");
		}
	}

	@Test
	void echoClientFailsWhenNobodyAnswers() {
		int port;
		try (RunningTool server = RunningTool.start("echo-server", "--port", "0")) {
			port = server.port();
		}
		RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, "echo-client", "--port", String.valueOf(port),
				"--count", "3", "--size", "10", "--timeout-seconds", "1");
		assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isEqualTo(KcpTool.EXIT_FAILED);
		assertThat(client.lines()).as(client.transcript()).containsExactly("0 ok, 3 bad");
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "", "tcp-" })
	void bulkClientPrintsThroughput(String transport) {
		int bytes = 1_000_000;
		try (RunningTool server = RunningTool.start(transport + "bulk-server", "--port", "0")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, transport + "bulk-client", "--port",
					port(server), "--bytes", String.valueOf(bytes), "--warmup-bytes", "100000");
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).hasSize(2);
			assertThat(client.lines().get(0)).matches(bytes + " bytes in \\d+ ms");
			Matcher mbps = MB_PER_S.matcher(client.lines().get(1));
			assertThat(mbps.matches()).as(client.transcript()).isTrue();
			assertThat(Double.parseDouble(mbps.group(1))).isPositive();
			// the warm-up transfer and the measured one, each reported by the server
			server.awaitLine((line) -> line.matches("received 100000 bytes in \\d+ ms"), Duration.ofSeconds(5));
			server.awaitLine((line) -> line.matches("received " + bytes + " bytes in \\d+ ms"), Duration.ofSeconds(5));
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "", "tcp-" })
	void rttClientPrintsOrderedPercentiles(String transport) {
		try (RunningTool server = RunningTool.start(transport + "echo-server", "--port", "0")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, transport + "rtt-client", "--port",
					port(server), "--count", "100", "--size", "64", "--interval-ms", "2", "--warmup", "20");
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).hasSize(2).first().isEqualTo("100 ok, 0 bad");
			Matcher m = PERCENTILES.matcher(client.lines().get(1));
			assertThat(m.matches()).as(client.transcript()).isTrue();
			double p50 = Double.parseDouble(m.group(1));
			double p90 = Double.parseDouble(m.group(2));
			double p99 = Double.parseDouble(m.group(3));
			double max = Double.parseDouble(m.group(4));
			assertThat(p50).isPositive().isLessThanOrEqualTo(p90);
			assertThat(p90).isLessThanOrEqualTo(p99);
			assertThat(p99).isLessThanOrEqualTo(max);
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "", "tcp-" })
	void sourceAndSinkVerifyTheContentBothWays(String transport) {
		int bytes = 1_500_000;
		try (RunningTool sink = RunningTool.start(transport + "sink-server", "--port", "0");
				RunningTool source = RunningTool.start(transport + "source-server", "--port", "0")) {
			RunningTool up = RunningTool.runToEnd(CLIENT_TIMEOUT, transport + "source-client", "--port", port(sink),
					"--bytes", String.valueOf(bytes));
			assertThat(up.exitStatus(Duration.ZERO)).as(up.transcript()).isZero();
			assertThat(up.lines()).as(up.transcript()).contains("verified " + bytes + " bytes");
			sink.awaitLine((line) -> line.startsWith("received " + bytes + " bytes, sha256 ")
					&& line.endsWith(", content ok"), Duration.ofSeconds(5));
			RunningTool down = RunningTool.runToEnd(CLIENT_TIMEOUT, transport + "sink-client", "--port",
					port(source), "--bytes", String.valueOf(bytes));
			assertThat(down.exitStatus(Duration.ZERO)).as(down.transcript()).isZero();
			assertThat(down.lines()).as(down.transcript()).contains("verified " + bytes + " bytes");
			source.awaitLine(("verified " + bytes + " bytes")::equals, Duration.ofSeconds(5));
		}
	}

	@Test
	void serverStopsAfterSeconds() {
		RunningTool server = RunningTool.start("echo-server", "--port", "0", "--seconds", "1");
		assertThat(server.exitStatus(Duration.ofSeconds(10))).isZero();
		assertThat(server.errorOutput()).contains("echo-server: 1 seconds elapsed, exiting");
	}

	@Test
	void echoPassesThroughTheLossyRelay() {
		try (RunningTool server = RunningTool.start("echo-server", "--port", "0");
				RunningTool relay = RunningTool.start("relay", "--listen", "0", "--target",
						"127.0.0.1:" + port(server), "--loss", "0.1", "--delay-ms", "5")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, "echo-client", "--port", port(relay),
					"--count", "200", "--size", "2000");
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).containsExactly("200 ok, 0 bad");
		}
	}

	private static String port(RunningTool server) {
		return String.valueOf(server.port());
	}

	private static String[] concat(String[] first, String[] second) {
		String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
		System.arraycopy(second, 0, all, first.length, second.length);
		return all;
	}

}
