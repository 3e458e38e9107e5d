package io.github.kcp.core.transport;

import java.security.Principal;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What a certificate-secured (DTLS) session negotiated and who the peer proved to be. Never holds key material.
 * @param protocol the protocol negotiated, such as {@code DTLSv1.2}
 * @param cipherSuite the cipher suite negotiated
 * @param peerPrincipal the subject of the peer's certificate, or {@code null} when the peer sent none (a client
 * of a server whose client authentication is not {@code need})
 * @param peerCertificates the peer's certificate chain, leaf first; empty when it sent none
 */
public record KcpSecurityInfo(String protocol, String cipherSuite, @Nullable Principal peerPrincipal,
		List<Certificate> peerCertificates) {

	public KcpSecurityInfo {
		Objects.requireNonNull(protocol, "protocol");
		Objects.requireNonNull(cipherSuite, "cipherSuite");
		peerCertificates = List.copyOf(peerCertificates);
	}

	@Override
	public String toString() {
		return "KcpSecurityInfo[protocol=" + this.protocol + ", cipherSuite=" + this.cipherSuite + ", peer="
				+ ((this.peerPrincipal != null) ? this.peerPrincipal.getName() : "anonymous") + "]";
	}

}
