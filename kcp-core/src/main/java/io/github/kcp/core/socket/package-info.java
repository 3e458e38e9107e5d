/**
 * The blocking KCP API, the counterpart of aiokcp's {@code sync} module: {@link io.github.kcp.core.socket.KcpSocket}
 * (connect, send, recv, streams, timeouts), {@link io.github.kcp.core.socket.KcpServerSocket} (accept),
 * {@link io.github.kcp.core.socket.KcpSocket#pair()} and {@link io.github.kcp.core.socket.KcpThreadingServer}
 * (a handler per session on its own thread). Built on the non-blocking
 * {@link io.github.kcp.core.transport.KcpStream}.
 */
@NullMarked
package io.github.kcp.core.socket;

import org.jspecify.annotations.NullMarked;
