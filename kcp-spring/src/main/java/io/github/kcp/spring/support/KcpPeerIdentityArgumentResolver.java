package io.github.kcp.spring.support;

import java.security.Principal;
import java.security.cert.X509Certificate;
import java.util.Optional;

import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.core.transport.KcpSession;
import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodParameter;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Headers;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.handler.invocation.HandlerMethodArgumentResolver;

/**
 * Resolves the identity a DTLS peer proved to parameters of
 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods, the way Spring resolves a
 * {@code Principal} parameter of a STOMP or web handler:
 * <ul>
 * <li>a {@link Principal} (or a subtype such as {@link javax.security.auth.x500.X500Principal}) gets the subject of
 * the peer's certificate, from the {@link KcpHeaders#PEER_PRINCIPAL} header;</li>
 * <li>an {@code X509Certificate[]} gets the peer's certificate chain, leaf first, from the session's
 * {@link KcpSession#securityInfo() security info}.</li>
 * </ul>
 * Both are {@code null} when the session has no DTLS or the peer sent no certificate (a server whose client
 * authentication is {@code none} or {@code want}), so declare them {@code @Nullable} or as {@code Optional}. The
 * parameters are never taken for the payload.
 * <p>
 * Part of {@link KcpMessageHandlerMethodFactory}; add it to a {@code MessageHandlerMethodFactory} of one's own with
 * {@code setCustomArgumentResolvers}.
 */
public class KcpPeerIdentityArgumentResolver implements HandlerMethodArgumentResolver {

	/**
	 * Whether a parameter is one this resolver fills (and so never the payload).
	 * @param parameter the parameter
	 * @return true for {@code Principal} and its subtypes, and for {@code X509Certificate[]}, also inside an
	 * {@code Optional}; false for a parameter annotated {@code @Payload}, {@code @Header} or {@code @Headers}, which
	 * Spring's own resolvers fill (a payload type that happens to implement {@code Principal} stays the payload)
	 */
	public static boolean isPeerIdentity(MethodParameter parameter) {
		if (parameter.hasParameterAnnotation(Payload.class) || parameter.hasParameterAnnotation(Header.class)
				|| parameter.hasParameterAnnotation(Headers.class)) {
			return false;
		}
		Class<?> type = parameter.nestedIfOptional().getNestedParameterType();
		return Principal.class.isAssignableFrom(type) || type == X509Certificate[].class;
	}

	@Override
	public boolean supportsParameter(MethodParameter parameter) {
		return isPeerIdentity(parameter);
	}

	@Override
	public @Nullable Object resolveArgument(MethodParameter parameter, Message<?> message) {
		Class<?> type = parameter.nestedIfOptional().getNestedParameterType();
		Object value = (type == X509Certificate[].class) ? peerCertificates(message) : peerPrincipal(message, type);
		return (parameter.getParameterType() == Optional.class) ? Optional.ofNullable(value) : value;
	}

	private static @Nullable Principal peerPrincipal(Message<?> message, Class<?> type) {
		Object principal = message.getHeaders().get(KcpHeaders.PEER_PRINCIPAL);
		// A principal of another kind than the parameter asks for is not the peer's: null, as for no certificate.
		return (principal instanceof Principal peer && type.isInstance(peer)) ? peer : null;
	}

	private static X509Certificate @Nullable [] peerCertificates(Message<?> message) {
		Object session = message.getHeaders().get(KcpHeaders.SESSION);
		KcpSecurityInfo security = (session instanceof KcpSession kcpSession) ? kcpSession.securityInfo() : null;
		if (security == null || security.peerCertificates().isEmpty()) {
			return null;
		}
		return security.peerCertificates()
			.stream()
			.filter(X509Certificate.class::isInstance)
			.map(X509Certificate.class::cast)
			.toArray(X509Certificate[]::new);
	}

	@Override
	public String toString() {
		return "KcpPeerIdentityArgumentResolver (Principal, X509Certificate[])";
	}

}
