package io.github.kcp.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.integration.KcpIntegrationDefaults;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code dtls} profile secures the demo with certificates: files like those the README's openssl commands make
 * (a CA, and the desk's certificate for localhost and 127.0.0.1 with its key) in {@code demo.dtls.directory}; the
 * desk answers its own client over DTLS, and the raw desk and the telemetry flow require client certificates too.
 */
@SpringBootTest(properties = { "kcp.server.port=0", "demo.raw.port=0", "demo.telemetry.port=0",
		"demo.client.enabled=false" })
@ActiveProfiles("dtls")
@Timeout(60)
class DemoApplicationDtlsTests {

	@TempDir
	static Path directory;

	@Autowired
	private KcpTemplate template;

	@Autowired
	private DeskClient client;

	@Autowired
	@Qualifier("rawDeskServer")
	private KcpServerContainer rawDesk;

	@Autowired
	private KcpIntegrationDefaults integrationDefaults;

	@DynamicPropertySource
	static void certificates(DynamicPropertyRegistry registry) {
		registry.add("demo.dtls.directory", () -> {
			if (!Files.exists(directory.resolve("desk.pem"))) {
				try {
					Identity authority = TestPki.authority("KCP demo CA");
					Identity desk = TestPki.server(authority, "kcp-desk");
					TestPki.writeCertificates(directory.resolve("ca.pem"), authority.certificate());
					TestPki.writeCertificates(directory.resolve("desk.pem"), desk.chain());
					TestPki.writeKey(directory.resolve("desk-key.pem"), desk);
				}
				catch (IOException ex) {
					throw new UncheckedIOException(ex);
				}
			}
			return directory.toString();
		});
	}

	@Test
	void theDeskAnswersItsClientOverDtls() {
		assertThat(this.template.getPacketCipher().overhead()).as("no packet cipher").isZero();
		assertThat(this.template.sendAndReceiveBlocking(this.client.target(), "quote.price.KCP", "", String.class,
				Duration.ofSeconds(10))).startsWith("KCP ");
		assertThat(this.client.runRound().symbols()).hasSize(4);
		KcpSecurityInfo security = this.template.getSecurityInfo(this.client.target());
		assertThat(security).isNotNull();
		assertThat(security.protocol()).isEqualTo("DTLSv1.2");
		assertThat(security.peerPrincipal().getName()).isEqualTo("CN=kcp-desk");
	}

	@Test
	void theRawDeskAndTheTelemetryFlowRequireClientCertificatesToo() {
		assertThat(this.rawDesk.getDtlsSettings()).isNotNull();
		assertThat(this.rawDesk.getDtlsSettings().clientAuth()).isEqualTo(DtlsClientAuth.NEED);
		assertThat(this.integrationDefaults.serverDtls()).isNotNull();
		assertThat(this.integrationDefaults.clientDtls()).isNotNull();
	}

}
