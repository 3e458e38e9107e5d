package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.net.ssl.SSLContext;

import io.github.kcp.testsupport.pki.TestPki;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Handshakes over a lossy, jittery simulated link in virtual time, each seed a different pattern of loss:
 * every handshake completes on both sides because lost flights are retransmitted on the doubling timer, the
 * final flight is sent again when the peer repeats its own, and afterwards datagrams flow both ways.
 */
class DtlsLossTest {

	private static final TestPki.Identity CA = TestPki.authority("Test CA");

	private static final SSLContext SERVER = TestPki.context(TestPki.server(CA, "server"), CA);

	private static final SSLContext CLIENT = TestPki.context(TestPki.client(CA, "client"), CA);

	private static final int SEEDS = 60;

	@ParameterizedTest(name = "{0} loss")
	@CsvSource({ "0.10", "0.30" })
	void everyHandshakeCompletesDespiteLossAndDataFlowsAfterwards(double loss) {
		DtlsSettings serverSettings = DtlsSettings.builder(SERVER).clientAuth(DtlsClientAuth.NEED)
			.handshakeTimeoutMillis(120_000).build();
		DtlsSettings clientSettings = DtlsSettings.builder(CLIENT).handshakeTimeoutMillis(120_000).build();
		long[] times = new long[SEEDS];
		long retransmissions = 0;
		long lost = 0;
		for (int seed = 0; seed < SEEDS; seed++) {
			DtlsSimulation sim = new DtlsSimulation(
					new DtlsTestServer(serverSettings, DtlsCookieGate.create(new SecureRandom())), seed)
				.loss(loss).delay(20, 10);
			DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", clientSettings, "localhost");

			try {
				times[seed] = sim.runUntil(() -> client.done() && DtlsHandshakeTest.serverDone(sim, client), 120_000);
			}
			catch (AssertionError ex) {
				throw new AssertionError("Seed " + seed + ": " + ex.getMessage(), ex);
			}

			DtlsConnection server = DtlsHandshakeTest.serverConnection(sim, client);
			assertThat(client.connection.state()).as("client, seed %d: %s", seed, client.events).isEqualTo(DtlsConnection.State.ESTABLISHED);
			assertThat(server.state()).as("server, seed %d", seed).isEqualTo(DtlsConnection.State.ESTABLISHED);
			assertThat(server.peerPrincipal()).hasToString("CN=client");
			// Without an ARQ above, the client repeats its datagram until the echo comes back
			for (int attempt = 0; client.received.isEmpty(); attempt++) {
				assertThat(attempt).as("echo attempts, seed %d", seed).isLessThan(100);
				sim.clientSend(client, ByteBuffer.wrap(new byte[] { 1, 2, 3 }));
				sim.runFor(200);
			}
			assertThat(DtlsHandshakeTest.bytes(client.received.get(0))).containsExactly(1, 2, 3);
			retransmissions += client.connection.retransmissions() + server.retransmissions();
			lost += sim.datagramsLost;
		}
		Arrays.sort(times);
		System.out.printf("DTLS handshake at %.0f %% loss, %d seeds, 20+-10 ms one way: median %d ms, p90 %d ms, max %d ms;"
				+ " %d datagrams lost, %d flights retransmitted%n", loss * 100, SEEDS, times[SEEDS / 2],
				times[SEEDS * 9 / 10], times[SEEDS - 1], lost, retransmissions);
		assertThat(lost).as("the link lost datagrams").isPositive();
		assertThat(retransmissions).as("lost flights were retransmitted").isPositive();
	}

}
