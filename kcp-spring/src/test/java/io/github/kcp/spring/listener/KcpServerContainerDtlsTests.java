package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.security.auth.x500.X500Principal;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpStreamFraming;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.integration.ip.tcp.serializer.TcpCodecs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * The DTLS settings of {@link KcpServerContainer} and {@link KcpTemplate} without the transport: what is kept, what
 * is refused before anything is bound, and that a framed session still tells who its peer is. The handshakes
 * themselves are tested end to end in the Boot module.
 */
@Timeout(30)
class KcpServerContainerDtlsTests {

	@Test
	void settingsAreKeptAndReplacedForNewHandshakes() throws Exception {
		KcpServerContainer container = new KcpServerContainer(new KcpHandlerRegistry());
		assertThat(container.getDtlsSettings()).isNull();
		DtlsSettings first = settings(DtlsClientAuth.NEED);
		container.setDtlsSettings(first);
		assertThat(container.getDtlsSettings()).isSameAs(first);
		DtlsSettings reloaded = settings(DtlsClientAuth.NEED);
		container.updateDtlsSettings(reloaded);
		assertThat(container.getDtlsSettings()).isSameAs(reloaded);
	}

	@Test
	void aServerWithoutDtlsCannotBeSwitchedToItWhileConfigured() throws Exception {
		KcpServerContainer container = new KcpServerContainer(new KcpHandlerRegistry());
		DtlsSettings settings = settings(DtlsClientAuth.NONE);
		assertThatIllegalStateException().isThrownBy(() -> container.updateDtlsSettings(settings))
			.withMessageContaining("does not use DTLS");
	}

	@Test
	void dtlsAndAPacketCipherTogetherFailTheStartNamingBoth() throws Exception {
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		registry.register(KcpHandlerEndpoint.of("echo", new Echo(), Echo.class.getDeclaredMethod("echo", String.class)));
		KcpServerContainer container = new KcpServerContainer(registry);
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.setPacketCipher(PacketCiphers.of(CipherMode.AES_GCM, "key".getBytes(), "salt".getBytes()));
		container.setDtlsSettings(settings(DtlsClientAuth.NONE));
		assertThatIllegalStateException().isThrownBy(container::start)
			.withMessageContaining("DTLS")
			.withMessageContaining("aes-gcm");
		assertThat(container.isRunning()).isFalse();
		assertThat(container.getServer()).isNull();
	}

	@Test
	void aTemplateWithDtlsAndAPacketCipherRefusesToOpenASession() throws Exception {
		try (KcpTemplate template = new KcpTemplate(KcpConfig.defaults(), KcpMessageConverters.create())) {
			template.setPacketCipher(PacketCiphers.of(CipherMode.AES_GCM, "key".getBytes(), "salt".getBytes()));
			template.setDtlsSettings(settings(DtlsClientAuth.NONE));
			assertThatIllegalStateException()
				.isThrownBy(() -> template.sendBlocking(new InetSocketAddress("127.0.0.1", 9), null, "hello"))
				.withMessageContaining("DTLS")
				.withMessageContaining("aes-gcm");
			assertThat(template.getSecurityInfo(new InetSocketAddress("127.0.0.1", 9))).isNull();
		}
	}

	@Test
	void aFramedSessionTellsWhoItsPeerIs() {
		KcpSession session = mock(KcpSession.class);
		KcpSecurityInfo security = new KcpSecurityInfo("DTLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
				new X500Principal("CN=alice"), List.of());
		when(session.securityInfo()).thenReturn(security);
		FramedSession framed = new FramedSession(session, KcpStreamFraming.of(TcpCodecs.lengthHeader4()));
		assertThat(framed.securityInfo()).isSameAs(security);
		assertThat(framed.peerPrincipal()).isEqualTo(new X500Principal("CN=alice"));
	}

	private static DtlsSettings settings(DtlsClientAuth clientAuth) throws Exception {
		return DtlsSettings.builder(dtlsContext()).clientAuth(clientAuth).build();
	}

	private static SSLContext dtlsContext() throws NoSuchAlgorithmException, KeyManagementException {
		SSLContext context = SSLContext.getInstance("DTLS");
		context.init(null, null, null);
		return context;
	}

	static class Echo {

		String echo(String text) {
			return text;
		}

	}

}
