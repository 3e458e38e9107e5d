package io.github.kcp.core.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.core.dtls.DtlsConnection;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.github.kcp.core.transport.KcpDtlsTest.onLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A DTLS server's admission on loopback UDP: hellos from sources that never return the cookie (spoofed ones cannot)
 * leave no state and draw no more bytes than they sent; a cookie is good for its own address only; a proven source
 * is then subject to the table's limits like any conversation; a handshake that stalls ends at the handshake
 * timeout and gives its place back.
 */
@Timeout(60)
class KcpDtlsAdmissionTest {

	private static final KcpConfig CONFIG = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static Identity ca;

	private static Identity server;

	private final List<AutoCloseable> resources = new ArrayList<>();

	@BeforeAll
	static void certificates() {
		ca = TestPki.authority("Test CA");
		server = TestPki.server(ca, "kcp-server");
	}

	@AfterEach
	void close() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	private DtlsSettings serverSettings(long handshakeTimeoutMillis) {
		return DtlsSettings.builder(TestPki.context(server, ca))
			.clientAuth(DtlsClientAuth.NONE)
			.handshakeTimeoutMillis(handshakeTimeoutMillis)
			.build();
	}

	private DtlsSettings clientSettings() {
		return DtlsSettings.builder(TestPki.context(null, ca)).handshakeTimeoutMillis(10_000).build();
	}

	private KcpServer start(KcpServer.Builder builder) {
		KcpServer kcpServer = builder.config(CONFIG).handler((s, m) -> s.send(m)).bind("127.0.0.1", 0);
		this.resources.add(kcpServer);
		return kcpServer;
	}

	private RawUdpPeer peer() {
		RawUdpPeer peer = new RawUdpPeer();
		this.resources.add(peer);
		return peer;
	}

	/** A genuine first ClientHello of our client (no cookie). */
	private byte[] clientHello(DtlsConnection client) {
		ByteBuffer hello = client.pollTransmit();
		byte[] bytes = new byte[hello.remaining()];
		hello.get(bytes);
		return bytes;
	}

	@Test
	void hellosWithoutTheCookieLeaveNoStateAndDrawAtMostWhatTheySent() throws Exception {
		KcpServer kcpServer = start(KcpServer.builder().dtls(serverSettings(10_000)));
		byte[] hello = clientHello(DtlsConnection.client(clientSettings(), "localhost", kcpServer.localPort(), 0));
		int sources = 20;
		int hellosEach = 25;
		List<RawUdpPeer> attackers = new ArrayList<>();
		for (int i = 0; i < sources; i++) {
			attackers.add(peer());
		}
		long sent = 0;
		for (int round = 0; round < hellosEach; round++) {
			for (RawUdpPeer attacker : attackers) {
				attacker.send(kcpServer.localAddress(), hello);
				sent += hello.length;
			}
		}
		await().atMost(10, TimeUnit.SECONDS).until(() -> kcpServer.dtlsCookiesSent() == (long) sources * hellosEach);
		long received = 0;
		for (RawUdpPeer attacker : attackers) {
			for (byte[] reply = attacker.receive(Duration.ofMillis(200)); reply != null; reply = attacker
				.receive(Duration.ofMillis(50))) {
				received += reply.length;
				assertThat(reply.length).isLessThanOrEqualTo(hello.length);
			}
		}
		// Anti-amplification towards unproven addresses: at most 3x is the rule; the gate answers with less than 1x.
		assertThat(received).isPositive().isLessThanOrEqualTo(sent);
		assertThat(onLoop(kcpServer, kcpServer::dtlsPeers)).isZero();
		assertThat(onLoop(kcpServer, kcpServer::dtlsHandshakesCounted)).isZero();
		assertThat(kcpServer.sessionCount()).isZero();
	}

	@Test
	void aCookieOpensAHandshakeFromItsOwnAddressOnlyAndAStalledHandshakeEnds() throws Exception {
		KcpServer kcpServer = start(KcpServer.builder().dtls(serverSettings(1_500)));
		DtlsConnection client = DtlsConnection.client(clientSettings(), "localhost", kcpServer.localPort(), 0);
		RawUdpPeer genuine = peer();
		RawUdpPeer forger = peer();
		genuine.send(kcpServer.localAddress(), clientHello(client));
		byte[] verifyRequest = genuine.awaitDatagram((d) -> true, Duration.ofSeconds(5));
		client.handleDatagram(0, ByteBuffer.wrap(verifyRequest));
		byte[] helloWithCookie = clientHello(client);

		// The cookie sent to one address is worthless from another: answered again, nothing kept.
		forger.send(kcpServer.localAddress(), helloWithCookie);
		byte[] answer = forger.awaitDatagram((d) -> true, Duration.ofSeconds(5));
		assertThat(answer.length).isLessThanOrEqualTo(helloWithCookie.length);
		assertThat(onLoop(kcpServer, kcpServer::dtlsPeers)).isZero();

		// From its own address it opens a handshake: state exists once the cookie returned, and only then.
		genuine.send(kcpServer.localAddress(), helloWithCookie);
		await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(kcpServer, kcpServer::dtlsPeers) == 1);
		assertThat(onLoop(kcpServer, kcpServer::dtlsHandshakesCounted)).isEqualTo(1);
		assertThat(kcpServer.dtlsCookiesSent()).isEqualTo(2);

		// The client goes silent: the handshake timeout ends it, and its place in the table is given back.
		await().atMost(10, TimeUnit.SECONDS).until(() -> kcpServer.dtlsHandshakesFailed() == 1);
		assertThat(onLoop(kcpServer, kcpServer::dtlsPeers)).isZero();
		assertThat(onLoop(kcpServer, kcpServer::dtlsHandshakesCounted)).isZero();
		assertThat(kcpServer.sessionCount()).isZero();
	}

	@Test
	void aProvenSourceIsStillSubjectToTheSessionLimits() throws Exception {
		KcpServer kcpServer = start(KcpServer.builder().dtls(serverSettings(10_000)).maxSessions(1));
		LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
		KcpSession first = KcpClient.builder()
			.config(CONFIG)
			.dtls(clientSettings())
			.handler((s, m) -> replies.add(new String(m, StandardCharsets.UTF_8)))
			.connect("localhost", kcpServer.localPort());
		first.send("one".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
		assertThat(replies.poll(10, TimeUnit.SECONDS)).isEqualTo("one");
		// The second message carries the acknowledgement of the first reply: the session is proven then.
		first.send("two".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
		assertThat(replies.poll(10, TimeUnit.SECONDS)).isEqualTo("two");
		assertThat(kcpServer.sessionCount()).isEqualTo(1);

		// The first session is proven (it acknowledged our reply), so nothing is evicted: the second is refused at
		// its cookie-bearing hello, before any handshake work, and counted.
		DtlsConnection second = DtlsConnection.client(clientSettings(), "localhost", kcpServer.localPort(), 0);
		RawUdpPeer raw = peer();
		raw.send(kcpServer.localAddress(), clientHello(second));
		second.handleDatagram(0, ByteBuffer.wrap(raw.awaitDatagram((d) -> true, Duration.ofSeconds(5))));
		raw.send(kcpServer.localAddress(), clientHello(second));
		await().atMost(5, TimeUnit.SECONDS).until(() -> kcpServer.droppedDatagrams(DropReason.SESSION_LIMIT) == 1);
		assertThat(raw.receive(Duration.ofMillis(300))).isNull();
		assertThat(onLoop(kcpServer, kcpServer::dtlsPeers)).isEqualTo(1);
		first.close().get(10, TimeUnit.SECONDS);
	}

}
