/**
 * DTLS 1.2 under the KCP engine: certificate-based authentication, per-client session keys and a
 * stateless cookie exchange, as a sans-IO packet layer.
 * <p>
 * {@link io.github.kcp.core.dtls.DtlsCookieGate} answers a server's unproven sources with a
 * HelloVerifyRequest carrying a cookie bound to the source address, keeping no state;
 * {@link io.github.kcp.core.dtls.DtlsConnection} is one peer's DTLS connection (the JDK's
 * {@link javax.net.ssl.SSLEngine} with protocol {@code DTLSv1.2}, driven by datagrams and {@code now} in,
 * datagrams, events and the next deadline out); {@link io.github.kcp.core.dtls.DtlsSettings} holds the
 * {@link javax.net.ssl.SSLContext}, the client-authentication mode, the datagram size and the timers.
 * KCP datagrams travel as DTLS application records, one record per datagram, so the KCP mtu is the
 * datagram size less {@link io.github.kcp.core.dtls.DtlsConnection#recordOverhead()}.
 * <p>
 * Like the protocol package, this package reads no clock, starts no thread and touches no socket
 * (checked by {@code DtlsPurityTest}); the JDK's certificate validation inside the engine does read the
 * wall clock to check validity dates.
 */
@NullMarked
package io.github.kcp.core.dtls;

import org.jspecify.annotations.NullMarked;
