package io.github.kcp.core.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code openssl s_client -dtls1_2} (Debian's openssl) against our {@link KcpServer} with DTLS, over loopback UDP:
 * OpenSSL passes our cookie gate and completes the handshake with the server's own stage, then carries a hand-made
 * KCP segment (written to its standard input as raw bytes) to a session that opens with the handshake's identity, and
 * brings the server's echo back (raw bytes on its standard output). Proof that what the transport puts on the wire is
 * standard DTLS, at the transport level (the layer's own interop is {@code DtlsOpenSslInteropTest}). Skipped when
 * {@code openssl} is not installed; the process is stopped by its handle (its PID).
 */
@Timeout(60)
class KcpDtlsOpenSslInteropTest {

	private static final Identity CA = TestPki.authority("Interop CA");

	private static final Identity SERVER = TestPki.server(CA, "kcp-server");

	@TempDir
	static Path pem;

	private Process openssl;

	@BeforeAll
	static void openSslIsInstalled() throws Exception {
		boolean installed;
		try {
			Process version = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
			installed = version.waitFor(10, TimeUnit.SECONDS) && version.exitValue() == 0;
		}
		catch (IOException ex) {
			installed = false;
		}
		Assumptions.assumeTrue(installed,
				"openssl is not installed (Debian: apt-get install openssl); the transport's interop test is skipped");
		TestPki.writeCertificates(pem.resolve("ca.pem"), CA.certificate());
	}

	@AfterEach
	void stop() throws InterruptedException {
		if (this.openssl != null) {
			this.openssl.destroy();
			if (!this.openssl.waitFor(5, TimeUnit.SECONDS)) {
				this.openssl.destroyForcibly();
			}
		}
	}

	@Test
	void openSslClientCarriesAKcpSegmentToOurServerAndItsEchoBack() throws Exception {
		CompletableFuture<String> received = new CompletableFuture<>();
		CompletableFuture<KcpSecurityInfo> security = new CompletableFuture<>();
		DtlsSettings settings = DtlsSettings.builder(TestPki.context(SERVER, CA)).build();
		try (KcpServer server = KcpServer.builder()
			.config(KcpConfig.builder().nodelay(1, 10, 2, true).build())
			.dtls(settings)
			.handler((session, message) -> {
				security.complete(session.securityInfo());
				received.complete(new String(message, StandardCharsets.UTF_8));
				session.send(message);
			})
			.bind("127.0.0.1", 0)) {
			this.openssl = new ProcessBuilder("openssl", "s_client", "-dtls1_2", "-connect",
					"127.0.0.1:" + server.localPort(), "-CAfile", pem.resolve("ca.pem").toString(),
					"-verify_return_error", "-quiet")
				.redirectError(ProcessBuilder.Redirect.DISCARD)
				.start();
			ByteArrayOutputStream output = new ByteArrayOutputStream();
			Thread reader = new Thread(() -> copy(this.openssl.getInputStream(), output), "openssl-stdout");
			reader.setDaemon(true);
			reader.start();

			await().atMost(20, TimeUnit.SECONDS).until(() -> server.dtlsHandshakesCompleted() == 1);
			assertThat(server.dtlsCookiesSent()).isEqualTo(1);

			byte[] payload = "kcp via openssl".getBytes(StandardCharsets.UTF_8);
			OutputStream stdin = this.openssl.getOutputStream();
			stdin.write(RawUdpPeer.push(0x4b435031, 0, payload));
			stdin.flush();

			assertThat(received.get(20, TimeUnit.SECONDS)).isEqualTo("kcp via openssl");
			assertThat(security.get(1, TimeUnit.SECONDS).protocol()).isEqualTo("DTLSv1.2");
			// The echo comes back inside a DTLS record that OpenSSL decrypts: its payload is on s_client's stdout.
			await().atMost(20, TimeUnit.SECONDS).until(() -> contains(output, payload));
			// OpenSSL does not speak KCP: it never acknowledges the echo, so there is nothing to drain.
			server.shutdown(java.time.Duration.ofMillis(100)).get(10, TimeUnit.SECONDS);
		}
	}

	private static void copy(InputStream in, ByteArrayOutputStream out) {
		byte[] buffer = new byte[4096];
		try {
			for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
				synchronized (out) {
					out.write(buffer, 0, n);
				}
			}
		}
		catch (IOException ex) {
			// The process was stopped.
		}
	}

	private static boolean contains(ByteArrayOutputStream output, byte[] wanted) {
		byte[] bytes;
		synchronized (output) {
			bytes = output.toByteArray();
		}
		outer: for (int i = 0; i + wanted.length <= bytes.length; i++) {
			for (int j = 0; j < wanted.length; j++) {
				if (bytes[i + j] != wanted[j]) {
					continue outer;
				}
			}
			return true;
		}
		return false;
	}

}
