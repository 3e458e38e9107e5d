package io.github.kcp.core.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.EndpointRole;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsConnection;
import io.github.kcp.core.dtls.DtlsEvent;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.protocol.InputResult;
import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens client sessions: each on its own UDP socket (its own local port), with a random conversation id. The
 * counterpart of aiokcp's {@code create_connection}. KCP has no handshake: the session is usable as soon as the
 * socket is bound, and the server learns of it from the first data it receives.
 * <p>
 * With {@link Builder#dtls DTLS} the session is handed out once the DTLS handshake has completed (the server's
 * certificate verified, and ours sent if asked): {@link Builder#connect} blocks until then and throws
 * {@link KcpHandshakeException} if it fails or times out, {@link Builder#connectAsync} returns a future at once.
 * No send can precede the handshake, since no session exists before it; its {@link KcpSession#securityInfo()} is
 * set before the handler's {@code onOpen}.
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

	private static final Logger logger = LoggerFactory.getLogger(KcpClient.class);

	private static final SecureRandom random = new SecureRandom();

	private KcpClient() {
	}

	/** A builder for a client session. */
	public static Builder builder() {
		return new Builder();
	}

	/** Two plaintext sessions connected to each other; see {@link #pair(KcpConfig, PacketCipher, KcpSessionHandler, KcpSessionHandler)}. */
	public static KcpSessionPair pair(KcpConfig config, KcpSessionHandler first, KcpSessionHandler second) {
		return pair(config, null, first, second);
	}

	/**
	 * Two sessions connected to each other over loopback UDP, like aiokcp's {@code socket_pair}.
	 * @param config configuration of both ends
	 * @param cipher the packet cipher of both ends, or {@code null} for none
	 * @param first handler of the first session
	 * @param second handler of the second session
	 */
	public static KcpSessionPair pair(KcpConfig config, @Nullable PacketCipher cipher, KcpSessionHandler first,
			KcpSessionHandler second) {
		int conv = randomConv();
		InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
		// One end plays the client and the other the server, so that a direction-bound cipher tells them apart.
		ClientEndpoint a = new ClientEndpoint(KcpEventLoopGroup.shared(), cipher, EndpointRole.CLIENT, config,
				UdpOptions.defaults(), loopback);
		ClientEndpoint b;
		try {
			b = new ClientEndpoint(KcpEventLoopGroup.shared(), cipher, EndpointRole.SERVER, config,
					UdpOptions.defaults(), loopback);
		}
		catch (RuntimeException ex) {
			a.endpoint.close();
			throw ex;
		}
		// Both ends are ours: they may tell each other of a close from the start.
		KcpSession sessionA = a.connect(b.endpoint.localAddress(), conv, config, first, true);
		KcpSession sessionB = b.connect(a.endpoint.localAddress(), conv, config, second, true);
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

		private @Nullable PacketCipher cipher;

		private @Nullable KcpSessionHandler handler;

		private @Nullable KcpEventLoopGroup eventLoops;

		private @Nullable Integer conv;

		private @Nullable InetSocketAddress localAddress;

		private UdpOptions udpOptions = UdpOptions.defaults();

		private @Nullable DtlsSettings dtls;

		private Builder() {
		}

		/**
		 * Secures the session with DTLS (certificates) instead of a packet cipher: the handshake completes before
		 * the first KCP segment. Excludes {@link #cipher(PacketCipher)}. Default none.
		 */
		public Builder dtls(@Nullable DtlsSettings dtls) {
			this.dtls = dtls;
			return this;
		}

		/** Session configuration. Default {@link KcpConfig#defaults()}. */
		public Builder config(KcpConfig config) {
			this.config = Objects.requireNonNull(config, "config");
			return this;
		}

		/**
		 * The packet cipher of the session's socket (it must match the server's). Default none ({@code null} or
		 * {@link PacketCipher#NONE}).
		 */
		public Builder cipher(@Nullable PacketCipher cipher) {
			this.cipher = cipher;
			return this;
		}

		/** The session's handler (required). */
		public Builder handler(KcpSessionHandler handler) {
			this.handler = Objects.requireNonNull(handler, "handler");
			return this;
		}

		/** The event-loop threads to run on. Default {@link KcpEventLoopGroup#shared()}. */
		public Builder eventLoops(KcpEventLoopGroup eventLoops) {
			this.eventLoops = Objects.requireNonNull(eventLoops, "eventLoops");
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

		/**
		 * How the session's socket batches and offloads its datagrams (native epoll only). Default
		 * {@link UdpOptions#defaults()}: everything the kernel has.
		 */
		public Builder udpOptions(UdpOptions udpOptions) {
			this.udpOptions = Objects.requireNonNull(udpOptions, "udpOptions");
			return this;
		}

		/**
		 * Opens the session without blocking on a DTLS handshake: the future completes with the session once it can
		 * carry data (at once without DTLS; after the handshake with it), or fails with
		 * {@link KcpHandshakeException} when the handshake fails or does not finish within the DTLS handshake
		 * timeout.
		 */
		public CompletableFuture<KcpSession> connectAsync(InetSocketAddress remoteAddress) {
			DtlsSettings settings = this.dtls;
			if (settings == null) {
				return CompletableFuture.completedFuture(connect(remoteAddress));
			}
			KcpSessionHandler sessionHandler = checkConnectable(remoteAddress);
			DtlsPeer.fitted(settings, this.config);
			KcpEventLoopGroup group = (this.eventLoops != null) ? this.eventLoops : KcpEventLoopGroup.shared();
			ClientEndpoint endpoint = new ClientEndpoint(group, null, EndpointRole.CLIENT, this.config,
					this.udpOptions, (this.localAddress != null) ? this.localAddress : new InetSocketAddress(0), true);
			int useConv = (this.conv != null) ? this.conv : randomConv();
			return endpoint.connectDtls(remoteAddress, useConv, this.config, sessionHandler, settings);
		}

		private KcpSessionHandler checkConnectable(InetSocketAddress remoteAddress) {
			if (this.handler == null) {
				throw new IllegalStateException("A handler is required");
			}
			if (this.dtls != null && this.cipher != null && this.cipher != PacketCipher.NONE) {
				throw new IllegalStateException("A client secures its session with DTLS or with a packet cipher, not "
						+ "both: DTLS replaces the packet cipher (" + this.cipher.name() + ")");
			}
			if (remoteAddress.isUnresolved()) {
				throw new KcpException("Cannot resolve " + remoteAddress.getHostString());
			}
			return this.handler;
		}

		/** Connects to {@code host:port}; see {@link #connect(InetSocketAddress)}. */
		public KcpSession connect(String host, int port) {
			return connect(new InetSocketAddress(host, port));
		}

		/**
		 * Binds a local socket and opens the session. Blocks until bound.
		 * @throws KcpException if the remote address is unresolved or the socket cannot be bound
		 * @throws io.github.kcp.core.connection.InvalidKcpSettingException if the mtu leaves no room for the cipher's
		 * overhead
		 */
		public KcpSession connect(InetSocketAddress remoteAddress) {
			KcpSessionHandler sessionHandler = checkConnectable(remoteAddress);
			DtlsSettings settings = this.dtls;
			if (settings != null) {
				return awaitHandshake(remoteAddress, connectAsync(remoteAddress), settings);
			}
			KcpEventLoopGroup group = (this.eventLoops != null) ? this.eventLoops : KcpEventLoopGroup.shared();
			ClientEndpoint endpoint = new ClientEndpoint(group, this.cipher, EndpointRole.CLIENT, this.config,
					this.udpOptions, (this.localAddress != null) ? this.localAddress : new InetSocketAddress(0));
			int useConv = (this.conv != null) ? this.conv : randomConv();
			return endpoint.connect(remoteAddress, useConv, this.config, sessionHandler, false);
		}

		/** Blocks until the handshake ends; it ends by itself within the handshake timeout. */
		private static KcpSession awaitHandshake(InetSocketAddress remoteAddress, CompletableFuture<KcpSession> ready,
				DtlsSettings settings) {
			try {
				// The DTLS connection fails the handshake at its timeout; the margin only guards a loop that stalls.
				return ready.get(settings.handshakeTimeoutMillis() + 5_000, TimeUnit.MILLISECONDS);
			}
			catch (ExecutionException ex) {
				if (ex.getCause() instanceof RuntimeException runtime) {
					throw runtime;
				}
				throw new KcpException("Could not connect to " + remoteAddress + ": " + ex.getCause(), ex.getCause());
			}
			catch (TimeoutException ex) {
				ready.cancel(false);
				throw new KcpHandshakeException("The DTLS handshake with " + remoteAddress + " did not end within "
						+ settings.handshakeTimeoutMillis() + " ms", new SSLHandshakeException("handshake timed out"));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				ready.cancel(false);
				throw new KcpException("Interrupted while connecting to " + remoteAddress, ex);
			}
		}

	}

	/** The socket of one client session, connected to the server, and what it hands its datagrams to. */
	private static final class ClientEndpoint implements UdpEndpoint.Receiver {

		private final UdpEndpoint endpoint;

		private final LongAdder handlerFailures = new LongAdder();

		private volatile @Nullable EventLoopSession session;

		/** The DTLS connection to the server, when the session uses DTLS; on the loop. */
		private @Nullable DtlsPeer dtlsPeer;

		private boolean touched;

		private boolean failed;

		ClientEndpoint(KcpEventLoopGroup group, @Nullable PacketCipher cipher, EndpointRole role, KcpConfig config,
				UdpOptions udpOptions, InetSocketAddress localAddress) {
			this(group, cipher, role, config, udpOptions, localAddress, false);
		}

		ClientEndpoint(KcpEventLoopGroup group, @Nullable PacketCipher cipher, EndpointRole role, KcpConfig config,
				UdpOptions udpOptions, InetSocketAddress localAddress, boolean carriesDtls) {
			config.engineMtu(UdpEndpoint.overheadOf(cipher));
			this.endpoint = new UdpEndpoint(group, cipher, role, this, udpOptions, config.mtu(), carriesDtls);
			this.endpoint.bind(localAddress);
		}

		/**
		 * Starts the DTLS handshake; the session is created, opened and handed to the future once it completes.
		 * A failed or timed-out handshake fails the future with {@link KcpHandshakeException} and releases the port.
		 */
		CompletableFuture<KcpSession> connectDtls(InetSocketAddress remoteAddress, int conv, KcpConfig config,
				KcpSessionHandler handler, DtlsSettings settings) {
			this.endpoint.connect(remoteAddress);
			// Every datagram, the handshake's included, fits the configured mtu.
			DtlsSettings effective = DtlsPeer.fitted(settings, config);
			Handshake handshake = new Handshake(remoteAddress, conv, config, handler);
			this.endpoint.loop().execute(() -> {
				try {
					DtlsPeer peer = DtlsPeer.client(effective, this.endpoint, remoteAddress, handshake);
					this.dtlsPeer = peer;
					peer.start();
				}
				catch (RuntimeException ex) {
					handshake.ready.completeExceptionally(new KcpHandshakeException("Could not start the DTLS "
							+ "handshake with " + remoteAddress + ": " + ex.getMessage(), new SSLException(ex)));
					this.endpoint.close();
				}
			});
			// A caller that gives up (connect's timeout) releases the port.
			handshake.ready.whenComplete((session, ex) -> {
				if (ex != null) {
					this.endpoint.loop().execute(() -> {
						DtlsPeer peer = this.dtlsPeer;
						if (peer != null && this.session == null) {
							peer.discard();
						}
						this.endpoint.close();
					});
				}
			});
			return handshake.ready;
		}

		KcpSession connect(InetSocketAddress remoteAddress, int conv, KcpConfig config, KcpSessionHandler handler,
				boolean peerIsOurs) {
			this.endpoint.connect(remoteAddress);
			EventLoopSession created = new EventLoopSession(this.endpoint, remoteAddress, conv, config, handler,
					this::sessionClosed, this.handlerFailures, this::failed, null);
			if (peerIsOurs) {
				// Before the loop first touches the connection (execute below publishes it).
				created.connection().assumePeerUnderstandsCloseSignal();
			}
			this.session = created;
			this.endpoint.loop().execute(created::open);
			return created;
		}

		private void sessionClosed(EventLoopSession closed) {
			DtlsPeer peer = this.dtlsPeer;
			if (peer != null) {
				// The DTLS connection ends with the session: close_notify.
				peer.close();
			}
			// The close signal was flushed already; let the loop finish pending writes, then release the port.
			this.endpoint.loop().execute(this.endpoint::close);
		}

		@Override
		public void datagram(InetSocketAddress sender, byte[] data, int offset, int length, int wireLength) {
			DtlsPeer peer = this.dtlsPeer;
			if (peer != null) {
				peer.input(data, offset, length);
				return;
			}
			received(data, offset, length, wireLength);
		}

		/** A plaintext KCP datagram from the server. */
		private void received(byte[] data, int offset, int length, int wireLength) {
			EventLoopSession current = this.session;
			if (current == null) {
				this.endpoint.count(DropReason.UNEXPECTED_SOURCE);
				return;
			}
			if (KcpCodec.readConv(data, offset) != current.conv()) {
				this.endpoint.count(DropReason.UNEXPECTED_SOURCE);
				current.countDropped(DropReason.UNEXPECTED_SOURCE);
				return;
			}
			if (current.input(data, offset, length, wireLength) != InputResult.OK) {
				this.endpoint.count(DropReason.ENGINE_REJECTED);
			}
			this.touched = true;
		}

		@Override
		public void readComplete() {
			EventLoopSession current = this.session;
			if (this.touched && current != null) {
				this.touched = false;
				current.service();
			}
		}

		@Override
		public void dropped(DropReason reason, InetSocketAddress sender) {
			EventLoopSession current = this.session;
			if (current != null) {
				current.countDropped(reason);
			}
		}

		@Override
		public void channelLost(@Nullable Throwable cause) {
			DtlsPeer peer = this.dtlsPeer;
			if (peer != null && this.session == null) {
				peer.discard();
				if (peer.connection().state() == DtlsConnection.State.HANDSHAKING
						&& this.handshake != null) {
					this.handshake.fail(new SSLException("The UDP socket closed during the handshake", cause));
				}
			}
			EventLoopSession current = this.session;
			if (current != null) {
				current.fail((cause != null) ? cause : new KcpException("UDP socket closed unexpectedly"));
			}
		}

		private @Nullable Handshake handshake;

		/** The client's DTLS handshake, told by its peer; on the loop. */
		private final class Handshake implements DtlsPeer.Owner {

			final CompletableFuture<KcpSession> ready = new CompletableFuture<>();

			private final InetSocketAddress remoteAddress;

			private final int conv;

			private final KcpConfig config;

			private final KcpSessionHandler handler;

			Handshake(InetSocketAddress remoteAddress, int conv, KcpConfig config, KcpSessionHandler handler) {
				this.remoteAddress = remoteAddress;
				this.conv = conv;
				this.config = config;
				this.handler = handler;
				ClientEndpoint.this.handshake = this;
			}

			@Override
			public void established(DtlsPeer peer, DtlsEvent.HandshakeCompleted event) {
				if (this.ready.isDone()) {
					// The caller gave up meanwhile.
					peer.close();
					return;
				}
				EventLoopSession created = new EventLoopSession(ClientEndpoint.this.endpoint, this.remoteAddress,
						this.conv, peer.sessionConfig(this.config), this.handler, ClientEndpoint.this::sessionClosed,
						ClientEndpoint.this.handlerFailures, ClientEndpoint.this::failed, null, peer.sessionStage());
				ClientEndpoint.this.session = created;
				peer.attach(created);
				// securityInfo is set: the handler's onOpen sees it.
				created.open();
				if (!this.ready.complete(created)) {
					// The caller gave up (cancelled, timed out) while the session opened: it has no owner.
					created.abort();
				}
			}

			@Override
			public void received(DtlsPeer peer, byte[] data, int offset, int length, int wireLength) {
				if (length < KcpCodec.OVERHEAD) {
					dropped(peer, DropReason.MALFORMED);
					return;
				}
				ClientEndpoint.this.received(data, offset, length, wireLength);
			}

			@Override
			public void dropped(DtlsPeer peer, DropReason reason) {
				ClientEndpoint.this.endpoint.count(reason);
				EventLoopSession current = ClientEndpoint.this.session;
				if (current != null) {
					current.countDropped(reason);
				}
			}

			@Override
			public void failed(DtlsPeer peer, SSLException cause) {
				fail(cause);
			}

			void fail(SSLException cause) {
				this.ready.completeExceptionally(new KcpHandshakeException("The DTLS handshake with " + this.remoteAddress
						+ " failed: " + cause.getMessage(), cause));
			}

			@Override
			public void closed(DtlsPeer peer) {
				EventLoopSession current = ClientEndpoint.this.session;
				if (current != null) {
					current.closedBelow();
				}
				else {
					fail(new SSLException("The server closed the DTLS connection"));
				}
			}

		}

		/** An Error on the loop: the session closes with ERROR and that cause, and says so at ERROR level. */
		@Override
		public void failed(Error error) {
			if (this.failed) {
				return;
			}
			this.failed = true;
			EventLoopSession current = this.session;
			logger.error("KCP client session {} stops: {} on its event loop", current, error.toString(), error);
			if (this.handshake != null && current == null) {
				this.handshake.fail(new SSLException(error));
			}
			if (current != null) {
				current.fail(error);
			}
			this.endpoint.close();
		}

	}

}
