package io.github.kcp.testsupport.interop;

import java.time.Duration;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Smoke test of the kcp-go peer against itself (Go to Go over loopback): every role pair once, so that a failing
 * Java-to-Go interop test can be blamed on the Java side. Skipped where Go or kcp-go is not installed.
 */
@Timeout(60)
class GoPeerSelfTest {

	private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

	private static final Duration LINE_TIMEOUT = Duration.ofSeconds(10);

	private static final int BULK_BYTES = 2 * 1024 * 1024;

	@BeforeAll
	static void buildPeer() {
		GoPeer.assumeAvailable();
		GoPeer.build();
	}

	@ParameterizedTest(name = "stream mode {0}")
	@ValueSource(strings = { "0", "1" })
	void echoClientAgainstEchoServer(String stream) {
		try (GoPeer server = GoPeer.start("echo-server", "--port", "0", "--stream", stream);
				GoPeer client = GoPeer.start("echo-client", "--port", port(server), "--count", "200", "--size",
						"1000", "--stream", stream, "--timeout-seconds", "20")) {
			assertThat(client.waitFor(CLIENT_TIMEOUT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).contains("200 ok, 0 bad");
		}
	}

	@Test
	void sourceClientIntoSinkServer() {
		try (GoPeer server = GoPeer.start("sink-server", "--port", "0");
				GoPeer client = GoPeer.start("source-client", "--port", port(server), "--bytes",
						String.valueOf(BULK_BYTES), "--timeout-seconds", "20")) {
			assertThat(client.waitFor(CLIENT_TIMEOUT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript())
				.contains("verified " + BULK_BYTES + " bytes")
				.anyMatch((line) -> line.matches("MB/s: \\d+\\.\\d\\d"))
				.anyMatch((line) -> line.matches(BULK_BYTES + " bytes in \\d+ ms"));
			// the Java generator agrees with the Go one
			String expected = "received " + BULK_BYTES + " bytes, sha256 "
					+ DeterministicContent.hex(DeterministicContent.streamDigest(BULK_BYTES)) + ", content ok";
			server.awaitLine(expected, LINE_TIMEOUT);
		}
	}

	@Test
	void sinkClientFromSourceServer() {
		try (GoPeer server = GoPeer.start("source-server", "--port", "0");
				GoPeer client = GoPeer.start("sink-client", "--port", port(server), "--bytes",
						String.valueOf(BULK_BYTES), "--timeout-seconds", "20")) {
			assertThat(client.waitFor(CLIENT_TIMEOUT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript())
				.contains("verified " + BULK_BYTES + " bytes")
				.anyMatch((line) -> line.startsWith("MB/s: "));
			server.awaitLine("verified " + BULK_BYTES + " bytes", LINE_TIMEOUT);
		}
	}

	@Test
	void bulkClientIntoBulkServer() {
		int bytes = 1024 * 1024;
		try (GoPeer server = GoPeer.start("bulk-server", "--port", "0");
				GoPeer client = GoPeer.start("bulk-client", "--port", port(server), "--bytes",
						String.valueOf(bytes), "--timeout-seconds", "20")) {
			assertThat(client.waitFor(CLIENT_TIMEOUT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript())
				.anyMatch((line) -> line.matches("MB/s: \\d+\\.\\d\\d"))
				.anyMatch((line) -> line.matches(bytes + " bytes in \\d+ ms"));
			server.awaitLine((line) -> line.matches("received " + bytes + " bytes in \\d+ ms"), LINE_TIMEOUT);
		}
	}

	@Test
	void rttClientAgainstEchoServer() {
		try (GoPeer server = GoPeer.start("echo-server", "--port", "0");
				GoPeer client = GoPeer.start("rtt-client", "--port", port(server), "--count", "50", "--size", "64",
						"--interval-ms", "5", "--timeout-seconds", "20")) {
			assertThat(client.waitFor(CLIENT_TIMEOUT)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript())
				.contains("50 ok, 0 bad")
				.anyMatch((line) -> line.matches("p50 [\\d.]+ ms, p90 [\\d.]+ ms, p99 [\\d.]+ ms, max [\\d.]+ ms"));
		}
	}

	@Test
	void clientFailsWhenNobodyAnswers() {
		// a server that is gone: its port is free again, nothing answers
		int port;
		try (GoPeer server = GoPeer.start("echo-server", "--port", "0")) {
			port = server.port();
		}
		try (GoPeer client = GoPeer.start("echo-client", "--port", String.valueOf(port), "--count", "3", "--size",
				"10", "--timeout-seconds", "1")) {
			assertThat(client.waitFor(CLIENT_TIMEOUT)).as(client.transcript()).isEqualTo(1);
			assertThat(client.lines()).as(client.transcript()).contains("0 ok, 3 bad");
		}
	}

	@Test
	void serverStopsWhenItsStdinCloses() {
		GoPeer server = GoPeer.start("echo-server", "--port", "0");
		server.close();
		assertThat(server.isAlive()).isFalse();
		assertThat(server.errorOutput()).contains("standard input closed");
	}

	private static String port(GoPeer server) {
		return String.valueOf(server.port());
	}

}
