package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.crypto.EndpointRole;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketCipherException;
import io.github.kcp.core.crypto.PacketReplayException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bound UDP socket and its packet stage: it moves datagrams and nothing else. Received datagrams are decrypted
 * (when a cipher is configured) and handed to its {@link Receiver}, with a call at the end of each read burst;
 * outgoing datagrams are encrypted and written, and {@link #flush()} pushes them out. It counts the datagrams it
 * drops and those its owner reports. Used by composition: a {@link KcpServer} and each client session own one.
 * <p>
 * The packet stage is per datagram — decrypt before the connection sees a datagram, encrypt after it produced one —
 * so a stage with per-peer state (DTLS) can take the cipher's place.
 */
final class UdpEndpoint {

	private static final Logger logger = LoggerFactory.getLogger(UdpEndpoint.class);

	/** Large enough for any UDP payload, so a peer with a larger mtu is never truncated. */
	private static final int RECEIVE_BUFFER_SIZE = 65_536;

	private static final int SOCKET_BUFFER_SIZE = 4 << 20;

	/** What an endpoint hands its datagrams to; called on the endpoint's event loop. */
	interface Receiver {

		/**
		 * One plaintext datagram of at least a segment header.
		 * @param data the datagram (a scratch buffer reused after the call)
		 * @param wireLength the size of the datagram as received, before decryption
		 */
		void datagram(InetSocketAddress sender, byte[] data, int offset, int length, int wireLength);

		/** The end of a burst of reads: a good moment to flush. */
		void readComplete();

		/**
		 * A received datagram was dropped before it could be handed over (failed decryption, a replay, too short).
		 * @param sender where it came from
		 */
		void dropped(DropReason reason, InetSocketAddress sender);

		/** The socket closed underneath (not by {@link #close()}). */
		void channelLost(@Nullable Throwable cause);

		/**
		 * An {@link Error} was thrown on the loop while handling this socket's input (by the packet stage, the
		 * receiver, or Netty itself, such as an OutOfMemoryError): the owner should stop loudly.
		 */
		void failed(Error error);

	}

	private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);

	private final AtomicBoolean encryptFailureLogged = new AtomicBoolean();

	private final AtomicBoolean inputFailureLogged = new AtomicBoolean();

	private final @Nullable PacketCipher cipher;

	private final Receiver receiver;

	private final Channel channel;

	private final EventLoop loop;

	private volatile boolean closing;

	private byte[] scratch = new byte[2048];

	/**
	 * Creates and registers a UDP socket, not yet bound: nothing arrives before {@link #bind}, so the owner can keep
	 * a reference to this endpoint first.
	 */
	UdpEndpoint(KcpEventLoopGroup group, @Nullable PacketCipher cipher, EndpointRole role, Receiver receiver) {
		// The role's view: a cipher that binds datagrams to a direction then refuses what this side sent itself, so
		// captured traffic cannot be reflected back to it (one cipher object may serve a server and a client).
		this.cipher = (cipher == null || cipher == PacketCipher.NONE) ? null : cipher.forRole(role);
		this.receiver = receiver;
		Bootstrap bootstrap = new Bootstrap().group(group.netty())
			.channel(group.datagramChannelType())
			.option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_SIZE)
			.option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_SIZE)
			.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(RECEIVE_BUFFER_SIZE))
			.handler(new DatagramHandler());
		this.channel = bootstrap.register().syncUninterruptibly().channel();
		this.loop = this.channel.eventLoop();
	}

	/**
	 * Binds the socket; blocks until bound.
	 * @throws KcpException if the address cannot be bound (the JDK's exception, such as a BindException, is the
	 * cause); the socket is closed then
	 */
	void bind(InetSocketAddress localAddress) {
		try {
			this.channel.bind(localAddress).syncUninterruptibly();
		}
		catch (Exception ex) {
			// Netty rethrows the JDK's checked BindException undeclared, so catch everything: the registered channel
			// must not leak, and the cause (with "Address already in use") stays attached.
			close();
			throw new KcpException("Could not bind a UDP socket to " + localAddress + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Connects the socket to one peer (a client's server): the kernel then drops datagrams from anyone else.
	 * @throws KcpException if it cannot (the socket is closed then)
	 */
	void connect(InetSocketAddress remoteAddress) {
		try {
			this.channel.connect(remoteAddress).syncUninterruptibly();
		}
		catch (Exception ex) {
			close();
			throw new KcpException("Could not connect a UDP socket to " + remoteAddress + ": " + ex.getMessage(), ex);
		}
	}

	/** The event loop of the socket, where its receiver and every session on it run. */
	EventLoop loop() {
		return this.loop;
	}

	/** The local address of the socket. */
	InetSocketAddress localAddress() {
		return (InetSocketAddress) this.channel.localAddress();
	}

	/** The bytes the packet stage adds to each datagram. */
	int packetOverhead() {
		return overheadOf(this.cipher);
	}

	/** The bytes {@code cipher} adds to each datagram; 0 for none. */
	static int overheadOf(@Nullable PacketCipher cipher) {
		return (cipher != null && cipher != PacketCipher.NONE) ? cipher.overhead() : 0;
	}

	// ---------------------------------------------------------------- writing, on the loop

	/**
	 * Encrypts (if configured) and queues one datagram; {@link #flush()} sends what was queued. Never sends plaintext
	 * when encryption was asked for.
	 * @return the bytes queued for the wire, or -1 if the socket is closed
	 * @throws RuntimeException the cipher's exception if encryption failed (counted as
	 * {@link DropReason#ENCRYPT_FAILED}, logged once)
	 */
	int write(InetSocketAddress recipient, byte[] datagram, int length) {
		if (!this.channel.isActive()) {
			return -1;
		}
		ByteBuf content;
		try {
			content = encode(datagram, length);
		}
		catch (RuntimeException ex) {
			count(DropReason.ENCRYPT_FAILED);
			if (this.encryptFailureLogged.compareAndSet(false, true)) {
				logger.error("Packet cipher {} failed to encrypt; the datagram was dropped, not sent in clear "
						+ "(logged once per socket)", this.cipher.name(), ex);
			}
			throw ex;
		}
		int wireLength = content.readableBytes();
		this.channel.write(new DatagramPacket(content, recipient), this.channel.voidPromise());
		return wireLength;
	}

	/** The datagram as it goes on the wire: a copy, encrypted if a cipher is configured. */
	private ByteBuf encode(byte[] datagram, int length) {
		if (this.cipher == null) {
			ByteBuf content = this.channel.alloc().directBuffer(length);
			content.writeBytes(datagram, 0, length);
			return content;
		}
		return Unpooled.wrappedBuffer(this.cipher.encrypt(datagram, 0, length));
	}

	/** Sends what was queued. */
	void flush() {
		this.channel.flush();
	}

	// ---------------------------------------------------------------- counters, any thread

	void count(DropReason reason) {
		this.drops.incrementAndGet(reason.ordinal());
	}

	long dropped(DropReason reason) {
		return this.drops.get(reason.ordinal());
	}

	long dropped() {
		long total = 0;
		for (int i = 0; i < this.drops.length(); i++) {
			total += this.drops.get(i);
		}
		return total;
	}

	// ---------------------------------------------------------------- closing

	/** Closes the socket; the future completes once it is released. */
	CompletableFuture<Void> close() {
		this.closing = true;
		CompletableFuture<Void> closed = new CompletableFuture<>();
		this.channel.close().addListener((f) -> closed.complete(null));
		return closed;
	}

	/** Closes the socket as if it failed underneath (tests). */
	void closeUnexpectedly() {
		this.channel.close();
	}

	// ---------------------------------------------------------------- reading, on the loop

	private void onDatagram(DatagramPacket packet) {
		ByteBuf content = packet.content();
		int length = content.readableBytes();
		int wireLength = length;
		byte[] data = this.scratch;
		if (data.length < length) {
			data = new byte[Math.max(length, data.length * 2)];
			this.scratch = data;
		}
		content.getBytes(content.readerIndex(), data, 0, length);
		if (this.cipher != null) {
			try {
				data = this.cipher.decrypt(data, 0, length);
				length = data.length;
			}
			catch (PacketReplayException ex) {
				dropUndispatched(DropReason.REPLAYED, packet.sender());
				return;
			}
			catch (PacketCipherException ex) {
				dropUndispatched(DropReason.DECRYPT_FAILED, packet.sender());
				return;
			}
			catch (RuntimeException ex) {
				// A user cipher that fails in another way is treated as a failed authentication.
				dropUndispatched(DropReason.DECRYPT_FAILED, packet.sender());
				return;
			}
		}
		if (length < io.github.kcp.core.protocol.KcpCodec.OVERHEAD) {
			dropUndispatched(DropReason.MALFORMED, packet.sender());
			return;
		}
		try {
			this.receiver.datagram(packet.sender(), data, 0, length, wireLength);
		}
		catch (RuntimeException ex) {
			// No datagram, however hostile, may take the endpoint down or vanish unnoticed: count it and say so.
			count(DropReason.INPUT_FAILED);
			if (this.inputFailureLogged.compareAndSet(false, true)) {
				logger.error("Handling a datagram from {} failed; it was dropped (logged once per socket)",
						packet.sender(), ex);
			}
		}
	}

	private void dropUndispatched(DropReason reason, InetSocketAddress sender) {
		count(reason);
		this.receiver.dropped(reason, sender);
	}

	@Override
	public String toString() {
		return "UdpEndpoint{" + this.channel + "}";
	}

	private final class DatagramHandler extends SimpleChannelInboundHandler<DatagramPacket> {

		@Override
		protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
			onDatagram(packet);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			UdpEndpoint.this.receiver.readComplete();
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			if (cause instanceof Error error) {
				// Never swallowed: an OutOfMemoryError or a bug's Error stops the owner, loudly.
				UdpEndpoint.this.receiver.failed(error);
				return;
			}
			// ICMP errors (port unreachable) and the like: UDP is unreliable anyway, KCP retransmits.
			logger.debug("UDP socket error on {}", ctx.channel().localAddress(), cause);
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			UdpEndpoint.this.receiver.readComplete();
			if (!UdpEndpoint.this.closing) {
				UdpEndpoint.this.receiver.channelLost(null);
			}
		}

	}

}
