package io.github.kcp.core.dtls;

import java.security.Principal;
import java.security.cert.Certificate;
import java.util.List;

import javax.net.ssl.SSLException;

import org.jspecify.annotations.Nullable;

/**
 * Something a {@link DtlsConnection} tells its owner, polled with {@link DtlsConnection#pollEvent()}.
 */
public sealed interface DtlsEvent {

	/**
	 * The handshake is complete: application data may flow.
	 * @param peerPrincipal the subject of the peer's certificate, or null if the peer sent none (a client when
	 * client authentication is {@link DtlsClientAuth#NONE} or {@link DtlsClientAuth#WANT})
	 * @param peerCertificates the peer's certificate chain, leaf first; empty if it sent none
	 * @param protocol the protocol negotiated, {@code DTLSv1.2}
	 * @param cipherSuite the cipher suite negotiated
	 * @param maxPlaintextSize the largest KCP datagram that fits one record within the datagram size
	 */
	record HandshakeCompleted(@Nullable Principal peerPrincipal, List<Certificate> peerCertificates, String protocol,
			String cipherSuite, int maxPlaintextSize) implements DtlsEvent {

		public HandshakeCompleted {
			peerCertificates = List.copyOf(peerCertificates);
		}

	}

	/**
	 * The handshake failed (a certificate was refused, the peer sent a fatal alert, or it timed out); the
	 * connection is dead and any alert for the peer has been queued for {@link DtlsConnection#pollTransmit()}.
	 * @param cause what went wrong
	 */
	record HandshakeFailed(SSLException cause) implements DtlsEvent {
	}

	/**
	 * The established connection ended: the peer sent a close_notify alert, or the engine hit a fatal error
	 * after the handshake. Nothing more will be received or sent.
	 */
	record Closed() implements DtlsEvent {
	}

}
