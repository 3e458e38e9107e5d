/**
 * The KCP connection without I/O, on top of the {@link io.github.kcp.core.protocol.Kcp} engine: the part of quinn's
 * design that quinn-proto plays. {@link io.github.kcp.core.connection.KcpConnection} owns one conversation — close
 * handshake, idle and dead-link deadlines, flush pacing, send completion, statistics — and is fed datagrams and the
 * time; it hands out datagrams (through a {@link io.github.kcp.core.connection.DatagramSink}), messages, completed
 * sends, its close and its next deadline. {@link io.github.kcp.core.connection.ConversationTable} is a server's set
 * of conversations: demultiplexing, admission (with an {@link io.github.kcp.core.connection.AdmissionPolicy}), the
 * memory of closed conversations and the server-wide stop. {@link io.github.kcp.core.connection.KcpSettings} describes
 * every setting once; {@link io.github.kcp.core.connection.KcpConfig} carries a session's values.
 * <p>
 * Like the engine, nothing here touches a socket, a thread or a clock (a test checks the bytecode), so every rule is
 * tested on a virtual clock. {@link io.github.kcp.core.transport} is the shell that moves the bytes and arms the
 * timers.
 */
@NullMarked
package io.github.kcp.core.connection;

import org.jspecify.annotations.NullMarked;
