package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Objects;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.crypto.PacketCipher;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import org.jspecify.annotations.Nullable;

/**
 * Opens client sessions: each on its own UDP socket (its own local port), with a random conversation id. The
 * counterpart of aiokcp's {@code create_connection}. KCP has no handshake: the session is usable as soon as the
 * socket is bound, and the server learns of it from the first data it receives.
 *
 * <pre class="code">
 * KcpSession session = KcpClient.builder()
 *     .config(KcpConfig.defaults())
 *     .handler((s, message) -&gt; System.out.println(new String(message, UTF_8)))
 *     .connect("127.0.0.1", 9000);
 * session.send("hello".getBytes(UTF_8)).join();
 * </pre>
 */
public final class KcpClient {

	private static final SecureRandom random = new SecureRandom();

	private KcpClient() {
	}

	/** A builder for a client session. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Two sessions connected to each other over loopback UDP, like aiokcp's {@code socket_pair}.
	 * @param config configuration of both ends
	 * @param first handler of the first session
	 * @param second handler of the second session
	 */
	public static KcpSessionPair pair(KcpConfig config, KcpSessionHandler first, KcpSessionHandler second) {
		EventLoopGroup group = KcpEventLoops.shared();
		int conv = randomConv();
		InetSocketAddress loopback = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0);
		ClientEndpoint a = new ClientEndpoint(group, config.cipher());
		ClientEndpoint b = new ClientEndpoint(group, config.cipher());
		a.bindChannel(loopback);
		try {
			b.bindChannel(loopback);
		}
		catch (RuntimeException ex) {
			a.closeChannel();
			throw ex;
		}
		KcpSession sessionA = a.connect(b.localAddress(), conv, config, first);
		KcpSession sessionB = b.connect(a.localAddress(), conv, config, second);
		return new KcpSessionPair(sessionA, sessionB);
	}

	static int randomConv() {
		int conv;
		do {
			conv = random.nextInt();
		}
		while (conv == 0);
		return conv;
	}

	/**
	 * Two connected sessions; see {@link KcpClient#pair}.
	 * @param first the first session
	 * @param second the second session
	 */
	public record KcpSessionPair(KcpSession first, KcpSession second) {
	}

	/**
	 * Builds and connects a client session.
	 */
	public static final class Builder {

		private KcpConfig config = KcpConfig.defaults();

		private @Nullable KcpSessionHandler handler;

		private @Nullable EventLoopGroup group;

		private @Nullable Integer conv;

		private @Nullable InetSocketAddress localAddress;

		private Builder() {
		}

		/** Session configuration (also carries the cipher). Default {@link KcpConfig#defaults()}. */
		public Builder config(KcpConfig config) {
			this.config = Objects.requireNonNull(config, "config");
			return this;
		}

		/** The session's handler (required). */
		public Builder handler(KcpSessionHandler handler) {
			this.handler = Objects.requireNonNull(handler, "handler");
			return this;
		}

		/** The event-loop group to run on. Default {@link KcpEventLoops#shared()}. */
		public Builder eventLoopGroup(EventLoopGroup group) {
			this.group = Objects.requireNonNull(group, "group");
			return this;
		}

		/** A fixed conversation id instead of a random one (both ends must agree on it). */
		public Builder conv(int conv) {
			this.conv = conv;
			return this;
		}

		/** The local address to bind. Default: any address, a free port. */
		public Builder localAddress(InetSocketAddress localAddress) {
			this.localAddress = Objects.requireNonNull(localAddress, "localAddress");
			return this;
		}

		/** Connects to {@code host:port}; see {@link #connect(InetSocketAddress)}. */
		public KcpSession connect(String host, int port) {
			return connect(new InetSocketAddress(host, port));
		}

		/**
		 * Binds a local socket and opens the session. Blocks until bound.
		 * @throws KcpException if the remote address is unresolved or the socket cannot be bound
		 */
		public KcpSession connect(InetSocketAddress remoteAddress) {
			if (this.handler == null) {
				throw new IllegalStateException("A handler is required");
			}
			if (remoteAddress.isUnresolved()) {
				throw new KcpException("Cannot resolve " + remoteAddress.getHostString());
			}
			EventLoopGroup useGroup = (this.group != null) ? this.group : KcpEventLoops.shared();
			ClientEndpoint endpoint = new ClientEndpoint(useGroup, this.config.cipher());
			endpoint.bindChannel((this.localAddress != null) ? this.localAddress : new InetSocketAddress(0));
			int useConv = (this.conv != null) ? this.conv : randomConv();
			return endpoint.connect(remoteAddress, useConv, this.config, this.handler);
		}

	}

	/** The endpoint of one client session: a UDP socket connected to the server. */
	static final class ClientEndpoint extends KcpEndpoint {

		private volatile @Nullable EngineSession session;

		ClientEndpoint(EventLoopGroup group, @Nullable PacketCipher cipher) {
			super(group, false, cipher);
		}

		KcpSession connect(InetSocketAddress remoteAddress, int conv, KcpConfig config, KcpSessionHandler handler) {
			Channel bound = this.channel;
			try {
				// A connected socket makes the kernel drop datagrams from anyone but the server.
				bound.connect(remoteAddress).syncUninterruptibly();
			}
			catch (RuntimeException ex) {
				closeChannel();
				throw new KcpException("Could not connect a UDP socket to " + remoteAddress + ": " + ex.getMessage(),
						ex);
			}
			EngineSession created = new EngineSession(this, this.loop, remoteAddress, conv, config, handler);
			this.session = created;
			this.loop.execute(created::open);
			return created;
		}

		@Override
		void dispatch(InetSocketAddress sender, byte[] data, int offset, int length, int wireLength) {
			EngineSession current = this.session;
			if (current == null || io.github.kcp.core.protocol.KcpCodec.readConv(data, offset) != current.conv()) {
				drop(DropReason.UNEXPECTED_SOURCE);
				if (current != null) {
					current.countDropped();
				}
				return;
			}
			current.input(data, offset, length, wireLength);
		}

		@Override
		void dropUndispatched(DropReason reason) {
			super.dropUndispatched(reason);
			EngineSession current = this.session;
			if (current != null) {
				current.countDropped();
			}
		}

		@Override
		void sessionClosed(EngineSession closed) {
			// The close signal was flushed already; let the loop finish pending writes, then release the port.
			this.loop.execute(this::closeChannel);
		}

		@Override
		void channelLost(@Nullable Throwable cause) {
			EngineSession current = this.session;
			if (current != null) {
				current.finish(CloseReason.ERROR,
						(cause != null) ? cause : new KcpException("UDP socket closed unexpectedly"), false);
			}
		}

	}

}
