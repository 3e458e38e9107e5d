package io.github.kcp.core.dtls;

/**
 * Whether a DTLS server asks its clients for a certificate.
 * <p>
 * The names match Spring Boot's {@code server.ssl.client-auth} values, so that
 * {@code kcp.ssl.client-auth=none|want|need} maps one to one.
 */
public enum DtlsClientAuth {

	/** The server asks for no client certificate; clients are anonymous. */
	NONE,

	/**
	 * The server asks for a certificate but accepts a client that sends none; a certificate that is sent must
	 * be valid.
	 */
	WANT,

	/** The server requires a valid client certificate; a client without one fails the handshake. */
	NEED

}
