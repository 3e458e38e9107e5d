package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.protocol.KcpCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.bootstrap.Bootstrap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bound UDP socket carrying KCP sessions: the common part of {@link KcpServer} and the client side. It
 * decrypts and encrypts datagrams, hands them to sessions, batches flushes per read burst, and counts every
 * datagram it drops.
 */
public abstract class KcpEndpoint {

	private static final Logger logger = LoggerFactory.getLogger(KcpEndpoint.class);

	/** Large enough for any UDP payload, so a peer with a larger mtu is never truncated. */
	private static final int RECEIVE_BUFFER_SIZE = 65_536;

	private static final int SOCKET_BUFFER_SIZE = 4 << 20;

	private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);

	private final LongAdder handlerFailures = new LongAdder();

	private final AtomicBoolean encryptFailureLogged = new AtomicBoolean();

	private final AtomicBoolean inputFailureLogged = new AtomicBoolean();

	final EventLoopGroup group;

	final boolean ownsGroup;

	final @Nullable PacketCipher cipher;

	@Nullable Channel channel;

	/** The event loop of the channel, where every session of this endpoint runs. */
	EventLoop loop;

	/**
	 * Set when a graceful stop begins (stop-gap for the connection rewrite, see {@link KcpServer#refuseNewData()}):
	 * data segments are neither acknowledged nor delivered from then on.
	 */
	volatile boolean refusingData;

	/**
	 * Told (on the event loop) of every received datagram that failed to decrypt, with its source; stop-gap hook for
	 * the Spring diagnostics until the connection rewrite offers its own.
	 */
	@Nullable BiConsumer<DropReason, InetSocketAddress> decryptFailureListener;

	/** Sessions that received input during the current read burst; flushed once at its end. */
	private final List<EngineSession> dirty = new ArrayList<>();

	private byte[] scratch = new byte[2048];

	KcpEndpoint(EventLoopGroup group, boolean ownsGroup, @Nullable PacketCipher cipher) {
		this.group = group;
		this.ownsGroup = ownsGroup;
		this.cipher = (cipher == PacketCipher.NONE) ? null : cipher;
	}

	/** Binds the channel; blocks until bound. */
	final Channel bindChannel(InetSocketAddress localAddress) {
		Bootstrap bootstrap = new Bootstrap().group(this.group)
			.channel(KcpEventLoops.datagramChannelType(this.group))
			.option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_SIZE)
			.option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_SIZE)
			.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(RECEIVE_BUFFER_SIZE))
			.handler(new DatagramHandler());
		// Register first and publish the channel before binding, so that no datagram can arrive before the
		// endpoint knows its channel.
		Channel registered = bootstrap.register().syncUninterruptibly().channel();
		this.channel = registered;
		this.loop = registered.eventLoop();
		try {
			registered.bind(localAddress).syncUninterruptibly();
			return registered;
		}
		catch (Exception ex) {
			// Netty rethrows the JDK's checked BindException undeclared, so catch everything: the registered channel
			// must not leak, and the cause (with "Address already in use") stays attached.
			registered.close();
			throw new KcpException("Could not bind a UDP socket to " + localAddress + ": " + ex.getMessage(), ex);
		}
	}

	/** The local address of the socket. */
	public InetSocketAddress localAddress() {
		Channel bound = this.channel;
		if (bound == null) {
			throw new IllegalStateException("Not bound");
		}
		return (InetSocketAddress) bound.localAddress();
	}

	/** How many datagrams were dropped for {@code reason}. */
	public long droppedDatagrams(DropReason reason) {
		return this.drops.get(reason.ordinal());
	}

	/** How many datagrams were dropped for any reason. */
	public long droppedDatagrams() {
		long total = 0;
		for (int i = 0; i < this.drops.length(); i++) {
			total += this.drops.get(i);
		}
		return total;
	}

	/** How many times a session handler callback threw. */
	public long handlerFailures() {
		return this.handlerFailures.sum();
	}

	void drop(DropReason reason) {
		this.drops.incrementAndGet(reason.ordinal());
	}

	void handlerFailed() {
		this.handlerFailures.increment();
	}

	/**
	 * Encrypts (if configured) and writes one datagram for a session; on the loop. If encryption fails, nothing is
	 * sent: the drop is counted and the session is told, so that it closes with {@link CloseReason#ERROR}.
	 */
	final void output(EngineSession session, byte[] buffer, int length) {
		write(session.remoteAddress(), buffer, length, session);
	}

	/** Encrypts (if configured) and writes one datagram; on the loop. Never sends plaintext if encryption fails. */
	final void writeDatagram(InetSocketAddress recipient, byte[] buffer, int length) {
		write(recipient, buffer, length, null);
	}

	private void write(InetSocketAddress recipient, byte[] buffer, int length, @Nullable EngineSession session) {
		Channel out = this.channel;
		if (out == null || !out.isActive()) {
			return;
		}
		ByteBuf content;
		try {
			content = encode(out, buffer, length);
		}
		catch (RuntimeException ex) {
			encryptFailed(ex);
			if (session != null) {
				session.encryptFailed(ex);
			}
			return;
		}
		if (session != null) {
			session.countSent(content.readableBytes());
		}
		out.write(new DatagramPacket(content, recipient), out.voidPromise());
	}

	/** The datagram as it goes on the wire: a copy, encrypted if a cipher is configured. */
	private ByteBuf encode(Channel out, byte[] buffer, int length) {
		if (this.cipher == null) {
			ByteBuf content = out.alloc().directBuffer(length);
			content.writeBytes(buffer, 0, length);
			return content;
		}
		return Unpooled.wrappedBuffer(this.cipher.encrypt(buffer, 0, length));
	}

	private void encryptFailed(RuntimeException ex) {
		drop(DropReason.ENCRYPT_FAILED);
		if (this.encryptFailureLogged.compareAndSet(false, true)) {
			logger.error("Packet cipher {} failed to encrypt; the datagram was dropped, not sent in clear "
					+ "(logged once per endpoint)", this.cipher.name(), ex);
		}
	}

	/** Writes out what sessions queued on the channel; on the loop. */
	final void flushChannel() {
		Channel out = this.channel;
		if (out != null) {
			out.flush();
		}
	}

	/** Answers a datagram of a conversation we no longer have with a close signal, so the peer stops at once. */
	final void answerWithClose(InetSocketAddress recipient, int conv, int cmd) {
		byte[] signal = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeCloseSignal(signal, conv, cmd, 0, MonotonicClock.nowMillis(), 0, 0);
		writeDatagram(recipient, signal, signal.length);
		flushChannel();
	}

	/** Marks a session to be flushed at the end of the read burst. */
	final void markDirty(EngineSession session) {
		this.dirty.add(session);
	}

	/**
	 * Handles one plaintext datagram from {@code sender}; on the loop.
	 * @param data the datagram (may be a scratch buffer reused after the call)
	 * @param wireLength the size of the datagram as received, before decryption
	 */
	abstract void dispatch(InetSocketAddress sender, byte[] data, int offset, int length, int wireLength);

	/** A session finished closing; on the loop. */
	abstract void sessionClosed(EngineSession session);

	/** The channel closed underneath (not by {@link #closeChannel()}); on the loop. */
	abstract void channelLost(@Nullable Throwable cause);

	final void closeChannel() {
		Channel bound = this.channel;
		if (bound != null) {
			bound.close();
		}
	}

	final void shutdownOwnedGroup() {
		if (this.ownsGroup) {
			this.group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
		}
	}

	/**
	 * Counts a received datagram dropped before it could be dispatched (failed decryption, shorter than a
	 * header); on the loop. A client endpoint also counts it against its one session.
	 */
	void dropUndispatched(DropReason reason) {
		drop(reason);
	}

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
			catch (RuntimeException ex) {
				// A user cipher that fails other than with a PacketCipherException counts as a failed authentication.
				dropUndispatched(DropReason.DECRYPT_FAILED);
				BiConsumer<DropReason, InetSocketAddress> listener = this.decryptFailureListener;
				if (listener != null) {
					listener.accept(DropReason.DECRYPT_FAILED, packet.sender());
				}
				return;
			}
		}
		if (length < KcpCodec.OVERHEAD) {
			dropUndispatched(DropReason.MALFORMED);
			return;
		}
		try {
			dispatch(packet.sender(), data, 0, length, wireLength);
		}
		catch (RuntimeException ex) {
			// No datagram, however hostile, may take the endpoint down or vanish unnoticed: count it and say so.
			drop(DropReason.INPUT_FAILED);
			if (this.inputFailureLogged.compareAndSet(false, true)) {
				logger.error("Handling a datagram from {} failed; it was dropped (logged once per endpoint)",
						packet.sender(), ex);
			}
		}
	}

	private void flushDirty() {
		List<EngineSession> sessions = this.dirty;
		for (int i = 0; i < sessions.size(); i++) {
			sessions.get(i).flushIfPending();
		}
		sessions.clear();
	}

	private final class DatagramHandler extends SimpleChannelInboundHandler<DatagramPacket> {

		@Override
		protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
			onDatagram(packet);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			flushDirty();
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
			// ICMP errors (port unreachable) and the like: UDP is unreliable anyway, KCP retransmits.
			logger.debug("UDP socket error on {}", ctx.channel().localAddress(), cause);
		}

		@Override
		public void channelInactive(ChannelHandlerContext ctx) {
			flushDirty();
			channelLost(null);
		}

	}

}
