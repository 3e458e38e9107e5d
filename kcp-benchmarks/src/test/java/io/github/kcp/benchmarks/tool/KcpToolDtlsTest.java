package io.github.kcp.benchmarks.tool;

import java.nio.file.Path;
import java.time.Duration;

import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * kcp-tool's {@code --dtls} flags with PEM files made for the test: an echo with both sides verified, a client that
 * trusts another CA fails, {@code --dtls-insecure} connects without trust, and the flags refuse what cannot work.
 */
@Timeout(60)
class KcpToolDtlsTest {

	private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

	@TempDir
	static Path pem;

	private static String ca;

	private static String otherCa;

	private static String serverCert;

	private static String serverKey;

	private static String clientCert;

	private static String clientKey;

	@BeforeAll
	static void files() throws Exception {
		Identity authority = TestPki.authority("Tool CA");
		Identity other = TestPki.authority("Other CA");
		Identity server = TestPki.server(authority, "kcp-tool-server");
		Identity client = TestPki.client(authority, "kcp-tool-client");
		ca = TestPki.writeCertificates(pem.resolve("ca.pem"), authority.certificate()).toString();
		otherCa = TestPki.writeCertificates(pem.resolve("other-ca.pem"), other.certificate()).toString();
		serverCert = TestPki.writeCertificates(pem.resolve("server.pem"), server.chain()).toString();
		serverKey = TestPki.writeKey(pem.resolve("server.key"), server).toString();
		clientCert = TestPki.writeCertificates(pem.resolve("client.pem"), client.chain()).toString();
		clientKey = TestPki.writeKey(pem.resolve("client.key"), client).toString();
	}

	private static RunningTool server(String clientAuth) {
		return RunningTool.start("echo-server", "--port", "0", "--dtls", "--cert", serverCert, "--key", serverKey,
				"--ca", ca, "--client-auth", clientAuth);
	}

	private static String port(RunningTool server) {
		return String.valueOf(server.port());
	}

	@Test
	void echoOverDtlsWithBothSidesVerified() {
		try (RunningTool server = server("need")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, "echo-client", "--port", port(server), "--count",
					"200", "--size", "3000", "--dtls", "--cert", clientCert, "--key", clientKey, "--ca", ca);
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).containsExactly("200 ok, 0 bad");
			assertThat(client.errorOutput()).contains("DTLSv1.2").contains("server CN=kcp-tool-server");
		}
	}

	@Test
	void aClientThatTrustsAnotherCaFailsAndOneWithoutCertificateIsRefused() {
		try (RunningTool server = server("need")) {
			RunningTool distrusting = RunningTool.runToEnd(CLIENT_TIMEOUT, "echo-client", "--port", port(server),
					"--count", "1", "--dtls", "--cert", clientCert, "--key", clientKey, "--ca", otherCa);
			assertThat(distrusting.exitStatus(Duration.ZERO)).as(distrusting.transcript()).isEqualTo(1);
			assertThat(distrusting.errorOutput()).contains("DTLS handshake");
			RunningTool anonymous = RunningTool.runToEnd(CLIENT_TIMEOUT, "echo-client", "--port", port(server),
					"--count", "1", "--dtls", "--ca", ca);
			assertThat(anonymous.exitStatus(Duration.ZERO)).as(anonymous.transcript()).isEqualTo(1);
		}
	}

	@Test
	void connectClientTimesHandshakesAndFirstEchoes() {
		try (RunningTool server = RunningTool.start("echo-server", "--port", "0", "--dtls", "--cert", serverCert,
				"--key", serverKey, "--new-sessions-per-address", "0")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, "connect-client", "--port", port(server),
					"--count", "5", "--size", "64", "--dtls", "--ca", ca);
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).hasSize(3).first().isEqualTo("5 sessions");
			assertThat(client.lines().get(1)).matches("^connect: median \\d+\\.\\d{3} ms, p90 .* ms, max .* ms$");
			assertThat(client.lines().get(2)).matches("^first echo: median \\d+\\.\\d{3} ms, p90 .* ms, max .* ms$");
		}
	}

	@Test
	void insecureClientConnectsWithoutTrust() {
		try (RunningTool server = server("none")) {
			RunningTool client = RunningTool.runToEnd(CLIENT_TIMEOUT, "echo-client", "--port", port(server), "--count",
					"20", "--dtls", "--dtls-insecure");
			assertThat(client.exitStatus(Duration.ZERO)).as(client.transcript()).isZero();
			assertThat(client.lines()).as(client.transcript()).containsExactly("20 ok, 0 bad");
		}
	}

	@Test
	void flagsThatCannotWorkAreRefused() {
		assertThatThrownBy(() -> ToolOptions.parse("echo-server", "--port", "0", "--dtls")).isInstanceOf(
				ToolUsageException.class).hasMessageContaining("--cert");
		assertThatThrownBy(() -> ToolOptions.parse("echo-server", "--port", "0", "--dtls", "--cert", serverCert,
				"--key", serverKey, "--crypto", "aes-gcm")).isInstanceOf(ToolUsageException.class)
			.hasMessageContaining("replaces the packet cipher");
		assertThatThrownBy(() -> ToolOptions.parse("echo-client", "--port", "1", "--ca", ca))
			.isInstanceOf(ToolUsageException.class).hasMessageContaining("need --dtls");
		assertThatThrownBy(() -> ToolOptions.parse("echo-server", "--port", "0", "--dtls", "--cert", serverCert,
				"--key", serverCert)).isInstanceOf(ToolUsageException.class).hasMessageContaining("PKCS#8");
		assertThatThrownBy(() -> ToolOptions.parse("echo-server", "--port", "0", "--dtls", "--cert", serverCert,
				"--key", serverKey, "--client-auth", "maybe")).isInstanceOf(ToolUsageException.class)
			.hasMessageContaining("none, want or need");
	}

}
