package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.testsupport.pki.TestPki;
import io.github.kcp.testsupport.pki.TestPki.Identity;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * KCP over DTLS on loopback UDP with certificates made for the test: what a user relies on — an echo with both sides
 * verified, the peer's identity in the session before {@code onOpen}, refused certificates failing the client's
 * connect with {@link KcpHandshakeException} while the server keeps nothing, client authentication, and a reload of
 * the server's certificate that leaves live sessions alone.
 */
@Timeout(60)
class KcpDtlsTest {

	private static final KcpConfig CONFIG = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static Identity ca;

	private static Identity otherCa;

	private static Identity server;

	private static Identity client;

	private static Identity expired;

	private static Identity otherServer;

	@BeforeAll
	static void certificates() {
		ca = TestPki.authority("Test CA");
		otherCa = TestPki.authority("Other CA");
		server = TestPki.server(ca, "kcp-server");
		client = TestPki.client(ca, "kcp-client");
		expired = TestPki.expiredServer(ca, "expired-server");
		otherServer = TestPki.server(otherCa, "other-server");
	}

	private static DtlsSettings settings(@Nullable Identity identity, @Nullable Identity trusted,
			DtlsClientAuth clientAuth) {
		SSLContext context = TestPki.context(identity, trusted);
		return DtlsSettings.builder(context).clientAuth(clientAuth).handshakeTimeoutMillis(5_000).build();
	}

	private static KcpServer echoServer(DtlsSettings settings, CompletableFuture<KcpSecurityInfo> seenAtOpen) {
		return KcpServer.builder().config(CONFIG).dtls(settings).handler(new KcpSessionHandler() {
			@Override
			public void onOpen(KcpSession session) {
				seenAtOpen.complete(session.securityInfo());
			}

			@Override
			public void onMessage(KcpSession session, byte[] message) {
				session.send(message);
			}
		}).bind("127.0.0.1", 0);
	}

	private static KcpClient.Builder clientBuilder(DtlsSettings settings, LinkedBlockingQueue<String> replies) {
		return KcpClient.builder()
			.config(CONFIG)
			.dtls(settings)
			.handler((s, m) -> replies.add(new String(m, StandardCharsets.UTF_8)));
	}

	private static String echo(KcpSession session, LinkedBlockingQueue<String> replies, String text)
			throws Exception {
		session.send(text.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
		return replies.poll(10, TimeUnit.SECONDS);
	}

	private static InetSocketAddress localhost(KcpServer server) {
		return new InetSocketAddress("localhost", server.localPort());
	}

	@Test
	void echoWithBothSidesVerifiedAndPrincipalsOnBothSides() throws Exception {
		CompletableFuture<KcpSecurityInfo> serverSeen = new CompletableFuture<>();
		CompletableFuture<KcpSecurityInfo> clientSeen = new CompletableFuture<>();
		try (KcpServer kcpServer = echoServer(settings(server, ca, DtlsClientAuth.NEED), serverSeen)) {
			LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
			KcpSession session = KcpClient.builder()
				.config(CONFIG)
				.dtls(settings(client, ca, DtlsClientAuth.NONE))
				.handler(new KcpSessionHandler() {
					@Override
					public void onOpen(KcpSession s) {
						clientSeen.complete(s.securityInfo());
					}

					@Override
					public void onMessage(KcpSession s, byte[] message) {
						replies.add(new String(message, StandardCharsets.UTF_8));
					}
				})
				.connect(localhost(kcpServer));
			assertThat(echo(session, replies, "hello over dtls")).isEqualTo("hello over dtls");
			// A message larger than one datagram: fragments each fit one record within the mtu.
			String large = "x".repeat(5_000);
			assertThat(echo(session, replies, large)).isEqualTo(large);

			KcpSecurityInfo atClient = clientSeen.get(5, TimeUnit.SECONDS);
			assertThat(atClient).isNotNull();
			assertThat(atClient.protocol()).isEqualTo("DTLSv1.2");
			assertThat(atClient.peerPrincipal().getName()).isEqualTo("CN=kcp-server");
			assertThat(session.peerPrincipal()).isEqualTo(atClient.peerPrincipal());
			KcpSecurityInfo atServer = serverSeen.get(5, TimeUnit.SECONDS);
			assertThat(atServer).isNotNull();
			assertThat(atServer.peerPrincipal().getName()).isEqualTo("CN=kcp-client");
			assertThat(atServer.cipherSuite()).isEqualTo(atClient.cipherSuite());
			KcpSession serverSession = kcpServer.sessions().iterator().next();
			Principal serverSidePeer = serverSession.peerPrincipal();
			assertThat(serverSidePeer.getName()).isEqualTo("CN=kcp-client");
			// Datagrams never exceed the configured mtu: the session's engine works with the record's room.
			assertThat(session.config().mtu()).isLessThanOrEqualTo(CONFIG.mtu());
			assertThat(kcpServer.dtlsCookiesSent()).isEqualTo(1);
			assertThat(kcpServer.dtlsHandshakesCompleted()).isEqualTo(1);

			CompletableFuture<CloseReason> serverClosed = serverSession.closeFuture();
			assertThat(session.close().get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
			assertThat(serverClosed.get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
			await().atMost(5, TimeUnit.SECONDS).until(() -> onLoop(kcpServer, kcpServer::dtlsPeers) == 0);
		}
	}

	@Test
	void aSessionOpenedByAHandshakeHasAProvenPeerBeforeTheServerSendsAnyData() throws Exception {
		// The cookie exchange proved the address: an upload to a server that never answers is not held to the
		// unproven terms (a window of the unproven budget) for want of server data to acknowledge.
		LinkedBlockingQueue<KcpSession> received = new LinkedBlockingQueue<>();
		try (KcpServer kcpServer = KcpServer.builder()
			.config(CONFIG)
			.dtls(settings(server, ca, DtlsClientAuth.NONE))
			.handler((s, m) -> received.add(s))
			.bind("127.0.0.1", 0)) {
			KcpSession session = clientBuilder(settings(null, ca, DtlsClientAuth.NONE), new LinkedBlockingQueue<>())
				.connect(localhost(kcpServer));
			session.send(new byte[100]).get(10, TimeUnit.SECONDS);
			KcpSession serverSession = received.poll(10, TimeUnit.SECONDS);
			assertThat(serverSession).isNotNull();
			assertThat(serverSession.stats().payloadBytesOut()).isZero();
			assertThat(serverSession.stats().peerProven()).isTrue();
			session.close().get(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void connectAsyncDoesNotBlockAndCompletesAfterTheHandshake() throws Exception {
		try (KcpServer kcpServer = echoServer(settings(server, ca, DtlsClientAuth.NONE), new CompletableFuture<>())) {
			LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
			CompletableFuture<KcpSession> pending = clientBuilder(settings(null, ca, DtlsClientAuth.NONE), replies)
				.connectAsync(localhost(kcpServer));
			KcpSession session = pending.get(10, TimeUnit.SECONDS);
			assertThat(session.securityInfo()).isNotNull();
			assertThat(session.peerPrincipal().getName()).isEqualTo("CN=kcp-server");
			assertThat(echo(session, replies, "async")).isEqualTo("async");
			// The DTLS datagram size bounds the mtu: a larger one would not fit a record.
			assertThatThrownBy(() -> session.setMtu(1500))
				.isInstanceOf(io.github.kcp.core.connection.InvalidKcpSettingException.class);
			session.setMtu(1200);
			String large = "y".repeat(4_000);
			assertThat(echo(session, replies, large)).isEqualTo(large);
			session.close().get(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void wrongCaFailsTheConnectAndTheServerKeepsNoSession() throws Exception {
		try (KcpServer kcpServer = echoServer(settings(server, ca, DtlsClientAuth.NONE), new CompletableFuture<>())) {
			LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
			assertThatThrownBy(() -> clientBuilder(settings(null, otherCa, DtlsClientAuth.NONE), replies)
				.connect(localhost(kcpServer))).isInstanceOf(KcpHandshakeException.class)
				.hasCauseInstanceOf(javax.net.ssl.SSLException.class);
			// The client's alert ends the server's handshake: it keeps no session and no peer.
			await().atMost(10, TimeUnit.SECONDS).until(() -> kcpServer.dtlsHandshakesFailed() == 1);
			assertThat(kcpServer.sessionCount()).isZero();
			assertThat(onLoop(kcpServer, kcpServer::dtlsPeers)).isZero();
			assertThat(onLoop(kcpServer, kcpServer::dtlsHandshakesCounted)).isZero();
		}
	}

	@Test
	void expiredServerCertificateFailsTheConnect() {
		try (KcpServer kcpServer = echoServer(settings(expired, ca, DtlsClientAuth.NONE), new CompletableFuture<>())) {
			assertThatThrownBy(() -> clientBuilder(settings(null, ca, DtlsClientAuth.NONE), new LinkedBlockingQueue<>())
				.connect(localhost(kcpServer))).isInstanceOf(KcpHandshakeException.class);
			assertThat(kcpServer.sessionCount()).isZero();
		}
	}

	@Test
	void clientAuthNeedRefusesAClientWithoutCertificateAndAcceptsOneWithIt() throws Exception {
		try (KcpServer kcpServer = echoServer(settings(server, ca, DtlsClientAuth.NEED), new CompletableFuture<>())) {
			assertThatThrownBy(() -> clientBuilder(settings(null, ca, DtlsClientAuth.NONE), new LinkedBlockingQueue<>())
				.connect(localhost(kcpServer))).isInstanceOf(KcpHandshakeException.class);
			await().atMost(10, TimeUnit.SECONDS).until(() -> kcpServer.dtlsHandshakesFailed() == 1);
			assertThat(kcpServer.sessionCount()).isZero();

			LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
			KcpSession session = clientBuilder(settings(client, ca, DtlsClientAuth.NONE), replies)
				.connect(localhost(kcpServer));
			assertThat(echo(session, replies, "with certificate")).isEqualTo("with certificate");
			session.close().get(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void clientAuthWantAcceptsBothAndTellsWhoIsWho() throws Exception {
		CompletableFuture<KcpSecurityInfo> first = new CompletableFuture<>();
		try (KcpServer kcpServer = echoServer(settings(server, ca, DtlsClientAuth.WANT), first)) {
			LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
			KcpSession anonymous = clientBuilder(settings(null, ca, DtlsClientAuth.NONE), replies)
				.connect(localhost(kcpServer));
			assertThat(echo(anonymous, replies, "anonymous")).isEqualTo("anonymous");
			assertThat(first.get(5, TimeUnit.SECONDS).peerPrincipal()).isNull();

			KcpSession identified = clientBuilder(settings(client, ca, DtlsClientAuth.NONE), replies)
				.connect(localhost(kcpServer));
			assertThat(echo(identified, replies, "identified")).isEqualTo("identified");
			await().atMost(5, TimeUnit.SECONDS)
				.until(() -> kcpServer.sessions()
					.stream()
					.anyMatch((s) -> s.peerPrincipal() != null && s.peerPrincipal().getName().equals("CN=kcp-client")));
			anonymous.close().get(10, TimeUnit.SECONDS);
			identified.close().get(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void reloadedCertificateServesNewHandshakesAndLeavesLiveSessionsAlone() throws Exception {
		try (KcpServer kcpServer = echoServer(settings(server, ca, DtlsClientAuth.NONE), new CompletableFuture<>())) {
			LinkedBlockingQueue<String> oldReplies = new LinkedBlockingQueue<>();
			KcpSession old = clientBuilder(settings(null, ca, DtlsClientAuth.NONE), oldReplies)
				.connect(localhost(kcpServer));
			assertThat(echo(old, oldReplies, "before")).isEqualTo("before");

			DtlsSettings reloaded = settings(otherServer, otherCa, DtlsClientAuth.NONE);
			kcpServer.updateDtlsSettings(reloaded);
			assertThat(kcpServer.dtlsSettings()).isSameAs(reloaded);

			assertThat(echo(old, oldReplies, "after the reload")).isEqualTo("after the reload");
			LinkedBlockingQueue<String> newReplies = new LinkedBlockingQueue<>();
			KcpSession fresh = clientBuilder(settings(null, otherCa, DtlsClientAuth.NONE), newReplies)
				.connect(localhost(kcpServer));
			assertThat(fresh.peerPrincipal().getName()).isEqualTo("CN=other-server");
			assertThat(echo(fresh, newReplies, "new CA")).isEqualTo("new CA");
			assertThatThrownBy(() -> clientBuilder(settings(null, ca, DtlsClientAuth.NONE), new LinkedBlockingQueue<>())
				.connect(localhost(kcpServer))).isInstanceOf(KcpHandshakeException.class);
			assertThat(echo(old, oldReplies, "still")).isEqualTo("still");
			old.close().get(10, TimeUnit.SECONDS);
			fresh.close().get(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void theBlockingSocketsTakeDtlsThroughTheirBuilders() throws Exception {
		KcpConfig streamConfig = CONFIG.toBuilder().stream(true).build();
		try (io.github.kcp.core.socket.KcpServerSocket listening = io.github.kcp.core.socket.KcpServerSocket.bind(
				KcpServer.builder().config(streamConfig).dtls(settings(server, ca, DtlsClientAuth.NONE)),
				new InetSocketAddress("127.0.0.1", 0), 8);
				io.github.kcp.core.socket.KcpSocket socket = io.github.kcp.core.socket.KcpSocket.connect(
						KcpClient.builder().config(streamConfig).dtls(settings(null, ca, DtlsClientAuth.NONE)),
						new InetSocketAddress("localhost", listening.localPort()))) {
			assertThat(socket.session().peerPrincipal().getName()).isEqualTo("CN=kcp-server");
			socket.send("ping".getBytes(StandardCharsets.UTF_8));
			try (io.github.kcp.core.socket.KcpSocket accepted = listening.accept()) {
				assertThat(accepted.session().securityInfo()).isNotNull();
				assertThat(new String(accepted.recv(4), StandardCharsets.UTF_8)).isEqualTo("ping");
			}
		}
	}

	@Test
	void aClientThatRestartsOnTheSamePortIsLetInAgainAndItsOldSessionEnds() throws Exception {
		int port;
		try (java.net.DatagramSocket probe = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
			port = probe.getLocalPort();
		}
		InetSocketAddress local = new InetSocketAddress("127.0.0.1", port);
		try (KcpServer kcpServer = echoServer(settings(server, ca, DtlsClientAuth.NONE), new CompletableFuture<>())) {
			LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
			KcpSession first = clientBuilder(settings(null, ca, DtlsClientAuth.NONE), replies).localAddress(local)
				.connect(localhost(kcpServer));
			assertThat(echo(first, replies, "first life")).isEqualTo("first life");
			KcpSession old = kcpServer.sessions().iterator().next();
			// The client dies without a word: its socket is gone, no close_notify, no close signal.
			((EventLoopSession) first).endpoint().closeUnexpectedly();
			first.closeFuture().get(10, TimeUnit.SECONDS);
			assertThat(old.isOpen()).isTrue();

			KcpSession second = clientBuilder(settings(null, ca, DtlsClientAuth.NONE), replies).localAddress(local)
				.connect(localhost(kcpServer));
			assertThat(echo(second, replies, "second life")).isEqualTo("second life");
			assertThat(old.closeFuture().get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(kcpServer.sessionCount()).isEqualTo(1);
			assertThat(onLoop(kcpServer, kcpServer::dtlsPeers)).isEqualTo(1);
			second.close().get(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void dtlsExcludesAPacketCipherAndAServerWithoutDtlsTakesNoSettings() {
		DtlsSettings settings = settings(server, ca, DtlsClientAuth.NONE);
		PacketCipher cipher = io.github.kcp.core.crypto.PacketCiphers.create("aes-gcm",
				"0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII),
				"salt".getBytes(StandardCharsets.US_ASCII));
		assertThatThrownBy(() -> KcpServer.builder().dtls(settings).cipher(cipher).handler((s, m) -> {
		}).bind("127.0.0.1", 0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not both");
		assertThatThrownBy(() -> KcpClient.builder().dtls(settings).cipher(cipher).handler((s, m) -> {
		}).connect("127.0.0.1", 9)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not both");
		// An mtu too small for a DTLS datagram fails at build, naming the setting.
		KcpConfig tiny = CONFIG.toBuilder().mtu(200).build();
		assertThatThrownBy(() -> KcpServer.builder().config(tiny).dtls(settings).handler((s, m) -> {
		}).bind("127.0.0.1", 0)).isInstanceOf(io.github.kcp.core.connection.InvalidKcpSettingException.class)
			.hasMessageContaining("DTLS");
		assertThatThrownBy(() -> KcpClient.builder().config(tiny).dtls(settings).handler((s, m) -> {
		}).connectAsync(new InetSocketAddress("127.0.0.1", 9)))
			.isInstanceOf(io.github.kcp.core.connection.InvalidKcpSettingException.class);
		try (KcpServer plain = KcpServer.builder().handler((s, m) -> {
		}).bind("127.0.0.1", 0)) {
			assertThat(plain.dtlsSettings()).isNull();
			assertThatThrownBy(() -> plain.updateDtlsSettings(settings)).isInstanceOf(IllegalStateException.class);
		}
	}

	@Test
	void undecryptableDatagramsAreCountedNotFatal() throws Exception {
		try (KcpServer kcpServer = echoServer(settings(server, ca, DtlsClientAuth.NONE), new CompletableFuture<>());
				RawUdpPeer raw = new RawUdpPeer()) {
			raw.send(kcpServer.localAddress(),
					new byte[] { 23, (byte) 0xfe, (byte) 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 3, 1, 2, 3 });
			raw.send(kcpServer.localAddress(), "plain KCP is not DTLS".getBytes(StandardCharsets.UTF_8));
			await().atMost(5, TimeUnit.SECONDS).until(() -> kcpServer.droppedDatagrams(DropReason.DTLS_REJECTED) == 2);
			assertThat(onLoop(kcpServer, kcpServer::dtlsPeers)).isZero();
		}
	}

	static <T> T onLoop(KcpServer server, java.util.concurrent.Callable<T> read) throws Exception {
		return server.endpoint().loop().submit(read).get(5, TimeUnit.SECONDS);
	}

}
