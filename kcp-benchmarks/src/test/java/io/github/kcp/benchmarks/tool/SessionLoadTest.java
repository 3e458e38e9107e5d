package io.github.kcp.benchmarks.tool;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The many-sessions roles in-process over loopback: every session answered, echoes timed and checked, the server's
 * CPU measured active and idle (the server runs in this JVM, so {@code --server-pid} is this process), and a server
 * that does not echo fails the run.
 */
@Timeout(90)
class SessionLoadTest {

	private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

	private static final Pattern SENT = Pattern
		.compile("^sent (\\d+), echoed (\\d+), missing 0, bad 0, refused 0$");

	private static final Pattern CPU = Pattern.compile("^server cpu (active|idle): \\d+\\.\\d %$");

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "echo-server, sessions-client", "tcp-sessions-server, tcp-sessions-client" })
	void everySessionIsAnsweredTimedAndTheServerMeasured(String serverRole, String clientRole) {
		try (RunningTool server = RunningTool.start(serverRole, "--port", "0")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, clientRole, "--port",
					String.valueOf(server.port()), "--sessions", "20", "--size", "64", "--interval-ms", "100",
					"--ramp-seconds", "1", "--warmup-seconds", "1", "--measure-seconds", "2", "--settle-seconds", "1",
					"--idle-measure-seconds", "1", "--server-pid", String.valueOf(ProcessHandle.current().pid()),
					"--timeout-seconds", "40");
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			List<String> lines = client.lines();
			assertThat(lines).as(client.transcript())
				.contains("sessions: 20 opened, 20 answered", "idle: 20 sessions open, settling 1 s")
				.anyMatch((line) -> KcpToolTest.PERCENTILES.matcher(line).matches())
				.anyMatch((line) -> line.startsWith("server cpu active: ") && CPU.matcher(line).matches())
				.anyMatch((line) -> line.startsWith("server cpu idle: ") && CPU.matcher(line).matches());
			Matcher sent = lines.stream()
				.map(SENT::matcher)
				.filter(Matcher::matches)
				.findFirst()
				.orElseThrow(() -> new AssertionError("no 'sent' line\n" + client.transcript()));
			// 20 sessions x 10 messages a second x 2 measured seconds, less what the scheduler lost to a busy machine
			assertThat(Long.parseLong(sent.group(1))).as(client.transcript()).isBetween(200L, 400L);
			assertThat(sent.group(2)).isEqualTo(sent.group(1));
		}
	}

	@Test
	void aServerThatDoesNotEchoFailsTheRun() {
		// the bulk server reads the first 8 bytes of each session as a length header and then waits for that much
		try (RunningTool server = RunningTool.start("bulk-server", "--port", "0")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, "sessions-client", "--port",
					String.valueOf(server.port()), "--sessions", "5", "--size", "64", "--interval-ms", "100",
					"--warmup-seconds", "1", "--measure-seconds", "1", "--timeout-seconds", "30");
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isEqualTo(KcpTool.EXIT_FAILED);
			assertThat(client.lines()).as(client.transcript())
				.contains("sessions: 5 opened, 0 answered")
				.anyMatch((line) -> line.startsWith("failed: sessions-client: 0 of 5 sessions answered"));
		}
	}

}
