package io.github.kcp.spring.support;

import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

import javax.security.auth.x500.X500Principal;

import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.core.MethodParameter;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * The identity a DTLS peer proved reaches handler methods: the {@link KcpHeaders#PEER_PRINCIPAL} and
 * {@link KcpHeaders#CIPHER_SUITE} headers of {@link KcpMessages}, and {@code Principal} / {@code X509Certificate[]}
 * parameters resolved by {@link KcpMessageHandlerMethodFactory}; nothing (null) without DTLS or a client certificate.
 */
class KcpPeerIdentityTests {

	private static final X500Principal ALICE = new X500Principal("CN=alice,O=Desk");

	private static final String SUITE = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";

	private final KcpMessageHandlerMethodFactory factory = new KcpMessageHandlerMethodFactory(
			KcpMessageConverters.create());

	@Test
	void aDtlsSessionPutsThePeerAndTheSuiteIntoTheHeaders() {
		Message<byte[]> message = KcpMessages.of(session(withClientCertificate()), bytes("hi"));
		assertThat(message.getHeaders().get(KcpHeaders.PEER_PRINCIPAL)).isEqualTo(ALICE);
		assertThat(message.getHeaders().get(KcpHeaders.CIPHER_SUITE)).isEqualTo(SUITE);
	}

	@Test
	void aPlainSessionHasNeitherHeader() {
		Message<byte[]> message = KcpMessages.of(session(null), bytes("hi"));
		assertThat(message.getHeaders()).doesNotContainKeys(KcpHeaders.PEER_PRINCIPAL, KcpHeaders.CIPHER_SUITE);
	}

	@Test
	void aDtlsPeerWithoutCertificateHasTheSuiteButNoPrincipal() {
		Message<byte[]> message = KcpMessages.of(session(withoutClientCertificate()), bytes("hi"));
		assertThat(message.getHeaders()).doesNotContainKey(KcpHeaders.PEER_PRINCIPAL);
		assertThat(message.getHeaders().get(KcpHeaders.CIPHER_SUITE)).isEqualTo(SUITE);
	}

	@Test
	void principalParametersGetThePeerNextToTheConvertedPayload() throws Exception {
		KcpSession session = session(withClientCertificate());
		assertThat(invoke("greet", session, "hi")).isEqualTo("hi CN=alice,O=Desk");
		assertThat(invoke("x500", session, "hi")).isEqualTo("x500 CN=alice,O=Desk");
		assertThat(invoke("optional", session, "hi")).isEqualTo("optional CN=alice,O=Desk");
		assertThat(invoke("header", session, "hi")).isEqualTo("header CN=alice,O=Desk " + SUITE);
	}

	@Test
	void principalParametersAreNullWithoutDtlsOrCertificate() throws Exception {
		for (KcpSession session : List.of(session(null), session(withoutClientCertificate()))) {
			assertThat(invoke("greet", session, "hi")).isEqualTo("hi nobody");
			assertThat(invoke("optional", session, "hi")).isEqualTo("optional empty");
			assertThat(invoke("chain", session, "hi")).isEqualTo("no chain");
		}
	}

	@Test
	void certificateParametersGetThePeersChainLeafFirst() throws Exception {
		assertThat(invoke("chain", session(withClientCertificate()), "hi")).isEqualTo("chain of 2, leaf CN=alice,O=Desk");
	}

	@Test
	void identityParametersAreNeverThePayload() throws Exception {
		// One String payload beside a Principal and a certificate chain: the method is valid and gets the text.
		assertThat(invoke("all", session(withClientCertificate()), "text")).isEqualTo("text/CN=alice,O=Desk/2");
	}

	@Test
	void aPrincipalAnnotatedAsPayloadOrHeaderIsLeftToSpringsResolvers() throws Exception {
		Method method = Handlers.class.getDeclaredMethod("annotated", Principal.class, Principal.class, Principal.class);
		assertThat(KcpPeerIdentityArgumentResolver.isPeerIdentity(new MethodParameter(method, 0))).as("@Payload")
			.isFalse();
		assertThat(KcpPeerIdentityArgumentResolver.isPeerIdentity(new MethodParameter(method, 1))).as("@Header")
			.isFalse();
		assertThat(KcpPeerIdentityArgumentResolver.isPeerIdentity(new MethodParameter(method, 2))).as("plain")
			.isTrue();
	}

	private @Nullable Object invoke(String name, KcpSession session, String payload) throws Exception {
		Method method = null;
		for (Method candidate : Handlers.class.getDeclaredMethods()) {
			if (candidate.getName().equals(name)) {
				method = candidate;
			}
		}
		InvocableHandlerMethod invocable = this.factory.createInvocableHandlerMethod(new Handlers(), method);
		return invocable.invoke(KcpMessages.of(session, bytes(payload)), session);
	}

	private static KcpSecurityInfo withClientCertificate() {
		X509Certificate leaf = mock(X509Certificate.class);
		when(leaf.getSubjectX500Principal()).thenReturn(ALICE);
		X509Certificate authority = mock(X509Certificate.class);
		return new KcpSecurityInfo("DTLSv1.2", SUITE, ALICE, List.of(leaf, authority));
	}

	private static KcpSecurityInfo withoutClientCertificate() {
		return new KcpSecurityInfo("DTLSv1.2", SUITE, null, List.of());
	}

	private static KcpSession session(@Nullable KcpSecurityInfo security) {
		KcpSession session = mock(KcpSession.class);
		when(session.conv()).thenReturn(7);
		when(session.remoteAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 5000));
		when(session.localAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 9700));
		when(session.securityInfo()).thenReturn(security);
		return session;
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	@SuppressWarnings("unused")
	static class Handlers {

		@KcpHandler
		String greet(String text, @Nullable Principal peer) {
			return text + " " + ((peer != null) ? peer.getName() : "nobody");
		}

		@KcpHandler
		String x500(@Nullable X500Principal peer) {
			return "x500 " + ((peer != null) ? peer.getName() : "nobody");
		}

		@KcpHandler
		String optional(Optional<Principal> peer) {
			return "optional " + peer.map(Principal::getName).orElse("empty");
		}

		@KcpHandler
		String header(@Header(KcpHeaders.PEER_PRINCIPAL) Principal peer,
				@Header(KcpHeaders.CIPHER_SUITE) String suite) {
			return "header " + peer.getName() + " " + suite;
		}

		@KcpHandler
		String chain(X509Certificate @Nullable [] chain) {
			return (chain == null) ? "no chain"
					: "chain of " + chain.length + ", leaf " + chain[0].getSubjectX500Principal().getName();
		}

		void annotated(@Payload Principal payload, @Header(KcpHeaders.PEER_PRINCIPAL) Principal header,
				Principal peer) {
		}

		@KcpHandler
		String all(Principal peer, String text, X509Certificate[] chain) {
			return text + "/" + peer.getName() + "/" + chain.length;
		}

	}

}
