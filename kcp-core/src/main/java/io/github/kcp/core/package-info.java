/**
 * KCP for Java. The packages, lowest layer first (each uses only those before it):
 * <ul>
 * <li>{@link io.github.kcp.core.protocol} — the sans-IO ARQ engine (ikcp in Java) and the wire format;</li>
 * <li>{@link io.github.kcp.core.crypto} — packet ciphers, one datagram at a time;</li>
 * <li>{@link io.github.kcp.core.connection} — the sans-IO connection (close handshake, deadlines, pacing, send
 * completion, stats), the server's conversation table and admission, and the settings;</li>
 * <li>{@link io.github.kcp.core.transport} — UDP on Netty: servers, clients, sessions, streams;</li>
 * <li>{@link io.github.kcp.core.socket} — the blocking socket API.</li>
 * </ul>
 * This package holds only {@link io.github.kcp.core.KcpException}, the root of the library's unchecked exceptions.
 */
@NullMarked
package io.github.kcp.core;

import org.jspecify.annotations.NullMarked;
