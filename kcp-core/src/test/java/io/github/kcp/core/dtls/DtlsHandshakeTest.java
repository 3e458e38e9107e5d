package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;

import io.github.kcp.testsupport.pki.TestPki;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Handshakes between a client {@link DtlsConnection} and the server side (gate and connections) on a
 * loss-free simulated link in virtual time, with certificates made for the test: who is authenticated, what
 * fails and how, and what the application sees.
 */
class DtlsHandshakeTest {

	private static final TestPki.Identity CA = TestPki.authority("Test CA");

	private static final TestPki.Identity OTHER_CA = TestPki.authority("Other CA");

	private static final TestPki.Identity SERVER = TestPki.server(CA, "server");

	private static final TestPki.Identity CLIENT = TestPki.client(CA, "client");

	private static final long BOUND = 120_000;

	@Test
	void mutualAuthenticationGivesEachSideThePeersPrincipalAndTheSuite() {
		DtlsSimulation sim = simulation(DtlsClientAuth.NEED, TestPki.context(SERVER, CA));
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", clientSettings(TestPki.context(CLIENT, CA)), "localhost");

		sim.runUntil(() -> client.done() && serverConnection(sim, client).state() != DtlsConnection.State.HANDSHAKING, BOUND);

		DtlsEvent.HandshakeCompleted atClient = completed(client.events);
		assertThat(atClient.peerPrincipal()).hasToString("CN=server");
		assertThat(atClient.protocol()).isEqualTo("DTLSv1.2");
		assertThat(atClient.cipherSuite()).startsWith("TLS_ECDHE_").containsAnyOf("_GCM_", "_CHACHA20_POLY1305_");
		assertThat(atClient.peerCertificates()).hasSize(2);
		DtlsEvent.HandshakeCompleted atServer = completed(sim.server.events(client.source));
		assertThat(atServer.peerPrincipal()).hasToString("CN=client");
		assertThat(atServer.cipherSuite()).isEqualTo(atClient.cipherSuite());
		assertThat(client.connection.peerPrincipal()).hasToString("CN=server");
		assertThat(serverConnection(sim, client).peerPrincipal()).hasToString("CN=client");
	}

	@Test
	void applicationDatagramsTravelEncryptedAndComeBackWhole() {
		List<byte[]> wire = new ArrayList<>();
		DtlsSimulation sim = simulation(DtlsClientAuth.NONE, TestPki.context(SERVER, CA));
		sim.tap((now, source, toServer, datagram) -> {
			byte[] bytes = new byte[datagram.remaining()];
			datagram.get(bytes);
			wire.add(bytes);
		});
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", clientSettings(TestPki.context(null, CA)), "localhost");
		sim.runUntil(client::done, BOUND);
		assertThat(client.connection.state()).isEqualTo(DtlsConnection.State.ESTABLISHED);

		byte[] secret = "a KCP datagram that must not be readable on the wire".getBytes(StandardCharsets.US_ASCII);
		sim.clientSend(client, ByteBuffer.wrap(secret));
		sim.runUntil(() -> !client.received.isEmpty(), BOUND);

		assertThat(bytes(client.received.get(0))).isEqualTo(secret);
		assertThat(wire).noneMatch((datagram) -> new String(datagram, StandardCharsets.ISO_8859_1)
			.contains("must not be readable"));
		assertThat(completed(sim.server.events(client.source)).peerPrincipal()).as("anonymous client").isNull();
	}

	@Test
	void clientThatDoesNotTrustTheServersIssuerFailsAndSoDoesTheServer() {
		DtlsSimulation sim = simulation(DtlsClientAuth.NONE, TestPki.context(SERVER, CA));
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", clientSettings(TestPki.context(null, OTHER_CA)), "localhost");

		sim.runUntil(() -> client.done() && serverDone(sim, client), BOUND);

		assertThat(client.connection.state()).isEqualTo(DtlsConnection.State.FAILED);
		assertThat(failure(client.events)).hasStackTraceContaining("PKIX path");
		// The client's fatal alert ends the server's handshake at once, not at its timeout
		assertThat(serverConnection(sim, client).state()).isEqualTo(DtlsConnection.State.FAILED);
		assertThat(sim.now() - 1_000_000).isLessThan(DtlsSettings.DEFAULT_HANDSHAKE_TIMEOUT_MILLIS);
	}

	@Test
	void expiredServerCertificateFailsTheHandshake() {
		SSLContext expired = TestPki.context(TestPki.expiredServer(CA, "expired"), CA);
		DtlsSimulation sim = simulation(DtlsClientAuth.NONE, expired);
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", clientSettings(TestPki.context(null, CA)), "localhost");

		sim.runUntil(client::done, BOUND);

		assertThat(client.connection.state()).isEqualTo(DtlsConnection.State.FAILED);
		assertThat(failure(client.events)).hasStackTraceContaining("expired");
	}

	@Test
	void requiredClientCertificateMissingFailsOnBothSides() {
		DtlsSimulation sim = simulation(DtlsClientAuth.NEED, TestPki.context(SERVER, CA));
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", clientSettings(TestPki.context(null, CA)), "localhost");

		sim.runUntil(() -> client.done() && serverDone(sim, client), BOUND);

		assertThat(serverConnection(sim, client).state()).isEqualTo(DtlsConnection.State.FAILED);
		assertThat(failure(sim.server.events(client.source))).hasStackTraceContaining("certificate");
		assertThat(client.connection.state()).isEqualTo(DtlsConnection.State.FAILED);
	}

	@Test
	void requiredClientCertificateFromAnUntrustedIssuerFails() {
		DtlsSimulation sim = simulation(DtlsClientAuth.NEED, TestPki.context(SERVER, CA));
		TestPki.Identity stranger = TestPki.client(OTHER_CA, "stranger");
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", clientSettings(TestPki.context(stranger, CA)), "localhost");

		sim.runUntil(() -> client.done() && serverDone(sim, client), BOUND);

		assertThat(serverConnection(sim, client).state()).isEqualTo(DtlsConnection.State.FAILED);
		assertThat(client.connection.state()).isEqualTo(DtlsConnection.State.FAILED);
	}

	@Test
	void wantedClientCertificateMayBeAbsent() {
		DtlsSimulation sim = simulation(DtlsClientAuth.WANT, TestPki.context(SERVER, CA));
		DtlsSimulation.Client anonymous = sim.connect("10.0.0.1:5000", clientSettings(TestPki.context(null, CA)), "localhost");
		DtlsSimulation.Client named = sim.connect("10.0.0.2:5000", clientSettings(TestPki.context(CLIENT, CA)), "localhost");

		sim.runUntil(() -> anonymous.done() && named.done() && serverDone(sim, anonymous) && serverDone(sim, named), BOUND);

		assertThat(completed(sim.server.events(anonymous.source)).peerPrincipal()).isNull();
		assertThat(completed(sim.server.events(named.source)).peerPrincipal()).hasToString("CN=client");
	}

	@Test
	void hostnameVerificationRefusesACertificateForAnotherName() {
		DtlsSimulation sim = simulation(DtlsClientAuth.NONE, TestPki.context(SERVER, CA));
		SSLContext trusting = TestPki.context(null, CA);
		DtlsSimulation.Client checked = sim.connect("10.0.0.1:5000", clientSettings(trusting), "kcp.example.org");
		DtlsSimulation.Client unchecked = sim.connect("10.0.0.2:5000",
				DtlsSettings.builder(trusting).verifyHostname(false).initialRetransmitTimeoutMillis(200).build(),
				"kcp.example.org");
		DtlsSimulation.Client byAddress = sim.connect("10.0.0.3:5000", clientSettings(trusting), "127.0.0.1");

		sim.runUntil(() -> checked.done() && unchecked.done() && byAddress.done(), BOUND);

		assertThat(failure(checked.events)).hasStackTraceContaining("kcp.example.org");
		assertThat(unchecked.connection.state()).isEqualTo(DtlsConnection.State.ESTABLISHED);
		assertThat(byAddress.connection.state()).isEqualTo(DtlsConnection.State.ESTABLISHED);
	}

	@Test
	void everyDatagramFitsTheDatagramSizeAndTheLargestPlaintextFillsOneRecord() {
		int size = 512; // smaller than the server's certificate flight: the engine must fragment it
		SSLContext serverContext = TestPki.context(SERVER, CA);
		DtlsSettings serverSettings = DtlsSettings.builder(serverContext).clientAuth(DtlsClientAuth.NEED).maxDatagramSize(size).build();
		DtlsSimulation sim = new DtlsSimulation(new DtlsTestServer(serverSettings, DtlsCookieGate.create(new SecureRandom())), 1);
		DtlsSettings settings = DtlsSettings.builder(TestPki.context(CLIENT, CA)).maxDatagramSize(size).build();
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", settings, "localhost");
		sim.runUntil(client::done, BOUND);

		int max = client.connection.maxPlaintextSize();
		assertThat(client.connection.cipherSuite()).contains("_GCM_");
		assertThat(max).isEqualTo(size - 37).isEqualTo(size - client.connection.recordOverhead());
		assertThat(settings.maxRecordOverhead()).isGreaterThanOrEqualTo(client.connection.recordOverhead());
		sim.clientSend(client, ByteBuffer.allocate(max));
		sim.runUntil(() -> !client.received.isEmpty(), BOUND);

		assertThat(client.received.get(0).remaining()).isEqualTo(max);
		assertThat(sim.largestDatagram).isEqualTo(size);
		assertThatIllegalArgumentException().isThrownBy(() -> client.connection.send(ByteBuffer.allocate(max + 1)))
			.withMessageContaining("mtu must be at most " + max);
	}

	@Test
	void sendBeforeTheHandshakeCompletesIsRefused() {
		DtlsConnection connection = DtlsConnection.client(clientSettings(TestPki.context(null, CA)), "localhost", 4433, 0);

		assertThatIllegalStateException().isThrownBy(() -> connection.send(ByteBuffer.allocate(10)))
			.withMessageContaining("HANDSHAKING");
		assertThat(connection.pollTransmit()).as("the ClientHello").isNotNull();
	}

	@Test
	void closeNotifyReachesThePeer() {
		DtlsSimulation sim = simulation(DtlsClientAuth.NONE, TestPki.context(SERVER, CA));
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", clientSettings(TestPki.context(null, CA)), "localhost");
		sim.runUntil(() -> client.done() && serverDone(sim, client), BOUND);

		sim.clientClose(client);
		sim.runUntil(() -> serverConnection(sim, client).state() == DtlsConnection.State.CLOSED, BOUND);

		assertThat(sim.server.events(client.source)).last().isInstanceOf(DtlsEvent.Closed.class);
		assertThat(client.connection.state()).isEqualTo(DtlsConnection.State.CLOSED);
		assertThatIllegalStateException().isThrownBy(() -> client.connection.send(ByteBuffer.allocate(1)));
	}

	static DtlsSimulation simulation(DtlsClientAuth clientAuth, SSLContext serverContext) {
		DtlsSettings settings = DtlsSettings.builder(serverContext).clientAuth(clientAuth).initialRetransmitTimeoutMillis(200).build();
		return new DtlsSimulation(new DtlsTestServer(settings, DtlsCookieGate.create(new SecureRandom())), 42);
	}

	static DtlsSettings clientSettings(SSLContext context) {
		return DtlsSettings.builder(context).initialRetransmitTimeoutMillis(200).build();
	}

	static DtlsConnection serverConnection(DtlsSimulation sim, DtlsSimulation.Client client) {
		DtlsConnection connection = sim.server.connection(client.source);
		assertThat(connection).as("server connection for " + client.source).isNotNull();
		return connection;
	}

	static boolean serverDone(DtlsSimulation sim, DtlsSimulation.Client client) {
		DtlsConnection connection = sim.server.connection(client.source);
		return connection != null && connection.state() != DtlsConnection.State.HANDSHAKING;
	}

	static DtlsEvent.HandshakeCompleted completed(List<DtlsEvent> events) {
		return events.stream().filter(DtlsEvent.HandshakeCompleted.class::isInstance).map(DtlsEvent.HandshakeCompleted.class::cast)
			.findFirst().orElseThrow(() -> new AssertionError("No HandshakeCompleted in " + events));
	}

	static Throwable failure(List<DtlsEvent> events) {
		return events.stream().filter(DtlsEvent.HandshakeFailed.class::isInstance).map((e) -> (Throwable) ((DtlsEvent.HandshakeFailed) e).cause())
			.findFirst().orElseThrow(() -> new AssertionError("No HandshakeFailed in " + events));
	}

	static byte[] bytes(ByteBuffer buffer) {
		byte[] bytes = new byte[buffer.remaining()];
		buffer.duplicate().get(bytes);
		return bytes;
	}

}
