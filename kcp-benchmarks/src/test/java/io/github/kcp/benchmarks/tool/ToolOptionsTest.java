package io.github.kcp.benchmarks.tool;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSettings;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.transport.UdpOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The command line of kcp-tool: the kcp-go peer's flags and defaults, and usage errors that say what is wrong.
 */
class ToolOptionsTest {

	@Test
	void defaultsAreFastModeAsTheGoPeer() throws Exception {
		ToolOptions options = ToolOptions.parse("echo-client", "--port", "9000");
		KcpConfig config = options.kcpConfig();
		assertThat(options.host).isEqualTo("127.0.0.1");
		assertThat(config.nodelay()).isEqualTo(1);
		assertThat(config.interval()).isEqualTo(10);
		assertThat(config.resend()).isEqualTo(2);
		assertThat(config.congestionControl()).isFalse();
		assertThat(config.sendWindow()).isEqualTo(1024);
		assertThat(config.receiveWindow()).isEqualTo(1024);
		assertThat(config.mtu()).isEqualTo(1400);
		assertThat(config.stream()).isFalse();
		assertThat(options.packetCipher()).isSameAs(PacketCipher.NONE);
	}

	@Test
	void everyKnobReachesTheSessionConfiguration() throws Exception {
		ToolOptions options = ToolOptions.parse("bulk-server", "--port", "0", "--host", "::1", "--nodelay", "0",
				"--interval", "20", "--resend", "0", "--nc", "0", "--sndwnd", "64", "--rcvwnd", "256", "--mtu", "1200",
				"--stream", "1");
		KcpConfig config = options.kcpConfig();
		assertThat(options.host).isEqualTo("::1");
		assertThat(config.nodelay()).isZero();
		assertThat(config.interval()).isEqualTo(20);
		assertThat(config.resend()).isZero();
		assertThat(config.congestionControl()).isTrue();
		assertThat(config.sendWindow()).isEqualTo(64);
		assertThat(config.receiveWindow()).isEqualTo(256);
		assertThat(config.mtu()).isEqualTo(1200);
		assertThat(config.stream()).isTrue();
	}

	@Test
	void udpFlagsReachTheSocketOptions() throws Exception {
		assertThat(ToolOptions.parse("bulk-server", "--port", "0").udpOptions()).isEqualTo(UdpOptions.defaults());
		UdpOptions options = ToolOptions.parse("bulk-server", "--port", "0", "--batch", "0", "--gso", "0", "--gro", "1")
			.udpOptions();
		assertThat(options.batchedReads()).isFalse();
		assertThat(options.batchedWrites()).isFalse();
		assertThat(options.segmentationOffload()).isFalse();
		assertThat(options.receiveOffload()).isTrue();
	}

	@Test
	void flagsAreWrittenAsGoFlagsAccepts() throws Exception {
		ToolOptions options = ToolOptions.parse("rtt-client", "-port=9000", "--count=5", "-size", "64", "--stream",
				"--interval-ms", "5", "--warmup", "10");
		assertThat(options.port).isEqualTo(9000);
		assertThat(options.count).isEqualTo(5);
		assertThat(options.size).isEqualTo(64);
		assertThat(options.stream).as("a switch without a value").isEqualTo(1);
		assertThat(options.intervalMs).isEqualTo(5);
		assertThat(options.warmup).isEqualTo(10);
	}

	@Test
	void cryptoKeyAndSaltTakeTextOrHex() throws Exception {
		PacketCipher gcm = ToolOptions
			.parse("echo-server", "--port", "0", "--crypto", "aes-gcm", "--key", "hex:00ff10", "--salt", "salt")
			.packetCipher();
		assertThat(gcm.name()).isEqualTo("aes-gcm");
		PacketCipher cbc = ToolOptions
			.parse("echo-server", "--port", "0", "--crypto", "aes-cbc-hmac", "--key", "secret", "--salt", "hex:0102")
			.packetCipher();
		assertThat(cbc.name()).isEqualTo("aes-cbc-hmac");
	}

	@Test
	void tcpAndRelayRolesAreKnown() throws Exception {
		assertThat(ToolOptions.parse("tcp-bulk-client", "--port", "1", "--bytes", "10").isTcp()).isTrue();
		assertThat(ToolOptions.parse("tcp-echo-server", "--port", "0").baseRole()).isEqualTo("echo-server");
		assertThat(ToolOptions.parse("relay", "--listen", "0", "--target", "127.0.0.1:9000").relayTarget().getPort())
			.isEqualTo(9000);
	}

	@Test
	void sessionsClientFlagsReachTheOptions() throws Exception {
		ToolOptions options = ToolOptions.parse("sessions-client", "--port", "9000", "--sessions", "10000",
				"--size", "64", "--interval-ms", "1000", "--ramp-seconds", "10", "--warmup-seconds", "15",
				"--measure-seconds", "20", "--settle-seconds", "8", "--idle-measure-seconds", "10", "--server-pid",
				"4242", "--timeout-seconds", "120");
		assertThat(options.isSessionLoad()).isTrue();
		assertThat(options.isTcp()).isFalse();
		assertThat(options.sessions).isEqualTo(10_000);
		assertThat(options.rampSeconds).isEqualTo(10);
		assertThat(options.warmupSeconds).isEqualTo(15);
		assertThat(options.measureSeconds).isEqualTo(20);
		assertThat(options.settleSeconds).isEqualTo(8);
		assertThat(options.idleMeasureSeconds).isEqualTo(10);
		assertThat(options.serverPid).isEqualTo(4242);
		assertThat(options.kcpConfig().interval()).as("fast mode, as every KCP role").isEqualTo(10);
		assertThat(ToolOptions.parse("tcp-sessions-client", "--port", "9000").isSessionLoad()).isTrue();
		ToolOptions server = ToolOptions.parse("tcp-sessions-server", "--port", "0");
		assertThat(server.isServer()).isTrue();
		assertThat(server.isSessionLoad()).isFalse();
	}

	@Test
	void serversTakeTheLimitsPerSourceAddressAndAStatsPeriod() throws Exception {
		ToolOptions defaults = ToolOptions.parse("echo-server", "--port", "0");
		assertThat(defaults.maxSessionsPerAddress).isEqualTo(KcpSettings.MAX_SESSIONS_PER_ADDRESS.defaultValue());
		assertThat(defaults.newSessionsPerAddress)
			.isEqualTo(KcpSettings.NEW_SESSIONS_PER_ADDRESS_PER_SECOND.defaultValue());
		assertThat(defaults.stats).isZero();
		ToolOptions options = ToolOptions.parse("echo-server", "--port", "0", "--max-sessions-per-address", "0",
				"--new-sessions-per-address", "1000", "--stats", "5");
		assertThat(options.maxSessionsPerAddress).isZero();
		assertThat(options.newSessionsPerAddress).isEqualTo(1000);
		assertThat(options.stats).isEqualTo(5);
		assertThat(ToolOptions.parse("echo-server", "--port", "0", "--stats").stats).as("a switch: 1").isEqualTo(1);
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', textBlock = """
			''                                              | The first argument must be a role
			--port 9000                                     | The first argument must be a role
			ping-client --port 9000                         | Unknown role 'ping-client'
			echo-client --port 9000 --colour red            | Unknown flag '--colour'
			echo-client --port                              | Flag '--port' needs a value
			echo-client --port nine                         | Flag '--port' needs a whole number but was 'nine'
			echo-client --port 9000 --bytes 1e6             | Flag '--bytes' needs a whole number but was '1e6'
			echo-client --count 3                           | --port is required
			echo-client --port 0                            | --port is required (0..65535; 0, a free port, for servers only)
			echo-server --port 70000                        | --port is required
			echo-client --port 9000 extra                   | Unexpected argument 'extra'
			echo-client --port 9000 --size 0                | --count and --size must be positive
			rtt-client --port 9000 --size 4                 | rtt-client needs --size >= 8
			bulk-client --port 9000 --bytes -1              | must not be negative
			echo-client --port 9000 --nc 2                  | --nc and --stream take 0 or 1
			echo-client --port 9000 --gso 2                 | --batch, --gso and --gro take 0 or 1
			echo-client --port 9000 --mtu 10                | --mtu must be 50..65507 bytes but was 10
			echo-client --port 9000 --interval 1            | --interval must be 10..5000 ms but was 1
			echo-client --port 9000 --sndwnd 0              | --sndwnd must be 1..65535 segments but was 0
			echo-client --port 9000 --mtu 60 --crypto aes-gcm --key k --salt s | --mtu must be 78..65507 bytes
			echo-client --port 9000 --crypto rot13          | --crypto must be none, aes-cbc-hmac or aes-gcm but was 'rot13'
			echo-client --port 9000 --crypto aes-gcm        | --crypto aes-gcm needs --key and --salt
			echo-client --port 9000 --crypto aes-gcm --key hex:zz --salt s | 'hex:'
			relay --listen 0                                | relay needs --target HOST:PORT
			relay --listen 0 --target nowhere               | --target must be HOST:PORT
			relay --listen 0 --target 127.0.0.1:1 --loss 2  | --loss is a probability within 0..1
			sessions-client --port 9000 --sessions 0        | --sessions must be within 1..100000 but was 0
			sessions-client --port 9000 --sessions 100001   | --sessions must be within 1..100000
			sessions-client --port 9000 --size 8            | sessions-client needs --size >= 16
			sessions-client --port 9000 --interval-ms 0     | sessions-client needs --interval-ms >= 1
			sessions-client --port 9000 --measure-seconds 0 | --measure-seconds must be positive
			sessions-client --port 9000 --warmup-seconds -1 | must be within 0..3600
			sessions-client --port 9000 --warmup-seconds 2 --ramp-seconds 3 | --ramp-seconds must be within 0..--warmup-seconds (2)
			sessions-client --port 9000 --measure-seconds 60 | --timeout-seconds (60) must exceed the phases (65 s
			sessions-client --port 9000 --crypto aes-gcm --key k --salt s | sessions-client sends plain KCP
			tcp-sessions-client --port 0                    | --port is required
			echo-server --port 0 --stats -1                 | --stats, --max-sessions-per-address and --new-sessions-per-address must not be negative
			echo-server --port 0 --max-sessions-per-address -1 | must not be negative
			""")
	void usageErrorsSayWhatIsWrong(String commandLine, String expected) {
		String[] args = commandLine.isEmpty() ? new String[0] : commandLine.trim().split("\\s+");
		assertThatExceptionOfType(ToolUsageException.class).isThrownBy(() -> ToolOptions.parse(args))
			.withMessageContaining(expected);
	}

	@Test
	void usageErrorExitsWithStatus2AndAHintOnStandardError() {
		RunningTool tool = RunningTool.runToEnd(java.time.Duration.ofSeconds(10), "echo-client", "--prot", "9000");
		assertThat(tool.exitStatus(java.time.Duration.ZERO)).isEqualTo(KcpTool.EXIT_USAGE);
		assertThat(tool.errorOutput()).contains("kcp-tool: Unknown flag '--prot'")
			.contains("Run 'kcp-tool --help' for usage.");
		assertThat(tool.lines()).isEmpty();
	}

	@Test
	void helpListsEveryRoleAndKnob() {
		RunningTool tool = RunningTool.runToEnd(java.time.Duration.ofSeconds(10), "--help");
		assertThat(tool.exitStatus(java.time.Duration.ZERO)).isZero();
		String help = String.join("\n", tool.lines());
		assertThat(help).contains("sessions-client", "tcp-sessions-server", "--sessions", "--ramp-seconds",
				"--measure-seconds", "--settle-seconds", "--idle-measure-seconds", "--server-pid");
		assertThat(help).contains("echo-server", "echo-client", "bulk-server", "bulk-client", "rtt-client",
				"tcp-", "--nodelay", "--interval", "--resend", "--nc", "--sndwnd", "--rcvwnd", "--mtu", "--stream",
				"--crypto", "--key", "--salt", "--host", "hex:");
	}

}
