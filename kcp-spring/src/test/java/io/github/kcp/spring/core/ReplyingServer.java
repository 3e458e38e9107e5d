package io.github.kcp.spring.core;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BiFunction;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import org.jspecify.annotations.Nullable;

/**
 * A plain kcp-core server on loopback for template tests: answers each message with what the reply function
 * returns (nothing for {@code null}) and records the sessions it saw.
 */
final class ReplyingServer implements AutoCloseable {

	private final KcpServer server;

	/** Conversation ids of every session that sent something. */
	final Set<Integer> convs = ConcurrentHashMap.newKeySet();

	/** Sessions in the order they opened. */
	final List<KcpSession> sessions = new CopyOnWriteArrayList<>();

	/** Close reasons of the sessions that closed. */
	final BlockingQueue<CloseReason> closed = new LinkedBlockingQueue<>();

	ReplyingServer(KcpConfig config, BiFunction<KcpSession, byte[], byte @Nullable []> reply) {
		this(config, null, reply);
	}

	ReplyingServer(KcpConfig config, @Nullable PacketCipher cipher,
			BiFunction<KcpSession, byte[], byte @Nullable []> reply) {
		this.server = KcpServer.builder().config(config).cipher(cipher).handler(new KcpSessionHandler() {

			@Override
			public void onOpen(KcpSession session) {
				ReplyingServer.this.sessions.add(session);
			}

			@Override
			public void onMessage(KcpSession session, byte[] message) {
				ReplyingServer.this.convs.add(session.conv());
				byte[] answer = reply.apply(session, message);
				if (answer != null) {
					session.send(answer);
				}
			}

			@Override
			public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
				ReplyingServer.this.closed.add(reason);
			}

		}).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
	}

	InetSocketAddress address() {
		return new InetSocketAddress(InetAddress.getLoopbackAddress(), this.server.localPort());
	}

	KcpServer server() {
		return this.server;
	}

	@Override
	public void close() {
		this.server.close();
	}

}
