package io.github.kcp.core.transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import io.github.kcp.testsupport.relay.LinkImpairment;
import io.github.kcp.testsupport.relay.LossyUdpRelay;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DTLS handshakes through a lossy link (the seeded {@link LossyUdpRelay}, loss both ways, jitter that reorders):
 * every handshake completes with retransmitted flights, then the session echoes. The handshake's own loss behaviour
 * is tested in virtual time over 60 seeds in {@code DtlsLossTest}; this proves the transport drives the timers and
 * flights. Retransmission starts at 100 ms here (RFC 6347's 1 s would make the test slow, not different).
 */
@Timeout(120)
class KcpDtlsLossTest {

	private static final KcpConfig CONFIG = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	@ParameterizedTest(name = "{0} % loss")
	@CsvSource({ "10, 11", "30, 31" })
	void handshakesCompleteAndEchoThroughLoss(int lossPercent, long seed) throws Exception {
		Identity ca = TestPki.authority("Loss CA");
		Identity server = TestPki.server(ca, "kcp-server");
		Identity client = TestPki.client(ca, "kcp-client");
		DtlsSettings serverSettings = DtlsSettings.builder(TestPki.context(server, ca))
			.clientAuth(io.github.kcp.core.dtls.DtlsClientAuth.NEED)
			.initialRetransmitTimeoutMillis(100)
			.maxRetransmitTimeoutMillis(1_000)
			.handshakeTimeoutMillis(60_000)
			.build();
		DtlsSettings clientSettings = DtlsSettings.builder(TestPki.context(client, ca))
			.verifyHostname(false)
			.initialRetransmitTimeoutMillis(100)
			.maxRetransmitTimeoutMillis(1_000)
			.handshakeTimeoutMillis(60_000)
			.build();
		LinkImpairment link = LinkImpairment.builder()
			.loss(lossPercent / 100.0)
			.delay(Duration.ofMillis(5))
			.jitter(Duration.ofMillis(5))
			.seed(seed)
			.build();
		try (KcpServer kcpServer = KcpServer.builder()
			.config(CONFIG)
			.dtls(serverSettings)
			.handler((s, m) -> s.send(m))
			.bind("127.0.0.1", 0); LossyUdpRelay relay = LossyUdpRelay.start(kcpServer.localAddress(), link)) {
			int handshakes = 5;
			for (int i = 0; i < handshakes; i++) {
				LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
				KcpSession session = KcpClient.builder()
					.config(CONFIG)
					.dtls(clientSettings)
					.handler((s, m) -> replies.add(new String(m, StandardCharsets.UTF_8)))
					.connect(relay.localAddress());
				assertThat(session.peerPrincipal().getName()).isEqualTo("CN=kcp-server");
				String text = "through " + lossPercent + " % loss, " + i;
				session.send(text.getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
				assertThat(replies.poll(30, TimeUnit.SECONDS)).isEqualTo(text);
				session.abort();
			}
			assertThat(kcpServer.dtlsHandshakesCompleted()).isGreaterThanOrEqualTo(handshakes);
			assertThat(relay.stats().droppedByLoss()).isPositive();
			// The aborted clients' signals may have been lost: no need to wait for those sessions to time out.
			kcpServer.shutdown(Duration.ofMillis(100)).get(10, TimeUnit.SECONDS);
		}
	}

}
