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
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannelConfig;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bound UDP socket and its packet stage: it moves datagrams and nothing else. Received datagrams are decrypted
 * (when a cipher is configured) and handed to its {@link Receiver}, with a call at the end of each read burst;
 * outgoing datagrams are encrypted and queued, and {@link #flush()} pushes them out together. It counts the
 * datagrams it drops and those its owner reports. Used by composition: a {@link KcpServer} and each client session
 * own one.
 * <p>
 * With native epoll it reads many datagrams per system call ({@code recvmmsg}), writes what one flush queued with
 * one {@code sendmmsg}, hands runs of equal-sized datagrams to one peer to the kernel as one segmented buffer (UDP
 * GSO), and lets the kernel coalesce received datagrams (UDP GRO), each as far as the kernel allows and
 * {@link UdpOptions} asks.
 * <p>
 * Received datagrams are read into pooled buffers of a few slots (no buffer per datagram) and copied once into a
 * reused scratch array for the engine. A slot holds {@code max(mtu, 2048)} bytes, or 64 KiB with GRO; a larger
 * datagram is truncated by the kernel and then dropped as malformed (kcp-go reads at most 1500 bytes). With GRO the
 * reads are single ({@code recvmsg}), each of up to 64 coalesced datagrams, since Netty reports the segment size of
 * a coalesced buffer only there.
 * <p>
 * The packet stage is per datagram — decrypt before the connection sees a datagram, encrypt after it produced one —
 * so a stage with per-peer state (DTLS) can take the cipher's place.
 */
final class UdpEndpoint {

	private static final Logger logger = LoggerFactory.getLogger(UdpEndpoint.class);

	/** The smallest read slot: room for any datagram of the default mtu, of kcp-go (1500) and of Ethernet. */
	static final int MIN_READ_SLOT = 2048;

	/** A read slot with GRO: the kernel coalesces up to 64 KiB. */
	static final int GRO_READ_SLOT = 65_536;

	/** Slots per {@code recvmmsg} without GRO: 32 datagrams of up to 2 KiB in one pooled 64 KiB buffer. */
	private static final int READ_SLOTS = 32;

	/** Datagrams handed over per read burst at most, before the burst's end lets the sessions work. */
	private static final int MAX_DATAGRAMS_PER_READ_BURST = 128;

	/** Most datagrams in one GSO write (the kernel's UDP_MAX_SEGMENTS was 64 before Linux 6.x). */
	static final int MAX_GSO_SEGMENTS = 64;

	/** Most bytes in one GSO write: one IP packet's payload, less room for IPv6 extension headers. */
	static final int MAX_GSO_BYTES = 65_000;

	private static final int SOCKET_BUFFER_SIZE = 4 << 20;

	/** Linux's errno for an address in use (native epoll runs on Linux only). */
	private static final int EADDRINUSE = 98;

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

	/** The shortest datagram handed over: a segment header, or a byte when a DTLS stage above parses records. */
	private final int minimumLength;

	private final Channel channel;

	private final EventLoop loop;

	private final boolean nativeTransport;

	private final boolean batchedReads;

	private final boolean batchedWrites;

	private final boolean receiveOffload;

	private volatile boolean closing;

	/** The size of a read slot (see the class comment). */
	private volatile int readSlot;

	// ---- confined to the loop

	private byte[] scratch = new byte[2048];

	/** The channel's read buffers, kept for its life (Netty keeps the read handle it made at the first read). */
	private @Nullable ResizableReadAllocator readAllocator;

	/** Whether runs of equal-sized datagrams go out as one GSO write; cleared if the kernel refuses one. */
	private boolean segmentationOffload;

	/** The GSO run being built: datagrams of {@link #runSegmentSize} bytes (the last may be shorter) to one peer. */
	private @Nullable ByteBuf run;

	private @Nullable InetSocketAddress runRecipient;

	private int runSegmentSize;

	private int runCount;

	/** Whether the run ended with a shorter datagram, after which nothing may be added. */
	private boolean runSealed;

	/** Nesting depth of {@link #holdFlushes()}. */
	private int flushHolds;

	/** A flush was asked for during a hold. */
	private boolean flushHeld;

	private final LoopTimers timers;

	/** GSO writes queued, and the datagrams they carried (written on the loop, read by tests). */
	private volatile long segmentedWrites;

	private volatile long segmentedDatagrams;

	/**
	 * Creates and registers a UDP socket, not yet bound: nothing arrives before {@link #bind}, so the owner can keep
	 * a reference to this endpoint first.
	 * @param largestDatagram the largest datagram expected (the sessions' mtu); reads have room for at least this
	 */
	UdpEndpoint(KcpEventLoopGroup group, @Nullable PacketCipher cipher, EndpointRole role, Receiver receiver,
			UdpOptions options, int largestDatagram) {
		this(group, cipher, role, receiver, options, largestDatagram, false);
	}

	/**
	 * Creates and registers a UDP socket, not yet bound.
	 * @param carriesDtls whether the datagrams are DTLS records, protected per peer by the owner's DTLS stage: the
	 * endpoint then hands over every datagram as received (no cipher; a short alert record is not malformed)
	 */
	UdpEndpoint(KcpEventLoopGroup group, @Nullable PacketCipher cipher, EndpointRole role, Receiver receiver,
			UdpOptions options, int largestDatagram, boolean carriesDtls) {
		if (carriesDtls && cipher != null && cipher != PacketCipher.NONE) {
			throw new IllegalStateException("DTLS and a packet cipher exclude each other");
		}
		this.minimumLength = carriesDtls ? 1 : io.github.kcp.core.protocol.KcpCodec.OVERHEAD;
		// The role's view: a cipher that binds datagrams to a direction then refuses what this side sent itself, so
		// captured traffic cannot be reflected back to it (one cipher object may serve a server and a client).
		this.cipher = (cipher == null || cipher == PacketCipher.NONE) ? null : cipher.forRole(role);
		this.receiver = receiver;
		this.nativeTransport = group.isNativeTransport();
		this.batchedWrites = options.batchedWrites();
		Bootstrap bootstrap = new Bootstrap().group(group.netty())
			.channel(group.datagramChannelType())
			.option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_SIZE)
			.option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_SIZE)
			.handler(new DatagramHandler());
		this.channel = bootstrap.register().syncUninterruptibly().channel();
		this.loop = this.channel.eventLoop();
		this.timers = new LoopTimers(this.loop, this::holdFlushes, this::releaseFlushes);
		this.receiveOffload = this.nativeTransport && options.receiveOffload() && enableReceiveOffload();
		// Netty hands over the segment size of a coalesced (GRO) buffer on single reads only: its recvmmsg path would
		// deliver several datagrams glued together. So GRO means one read per system call (of up to 64 datagrams).
		this.batchedReads = this.nativeTransport && options.batchedReads() && !this.receiveOffload;
		this.segmentationOffload = this.nativeTransport && this.batchedWrites && options.segmentationOffload()
				&& UdpFeatures.isSegmentationOffloadSupported();
		this.readSlot = this.receiveOffload ? GRO_READ_SLOT : readSlotFor(largestDatagram);
		configureReads();
		if (logger.isDebugEnabled()) {
			logger.debug("UDP endpoint {}: {}", this.channel, features());
		}
	}

	/** Asks the kernel to coalesce received datagrams; false where it cannot (kernels before 5.0). */
	private boolean enableReceiveOffload() {
		try {
			((EpollDatagramChannelConfig) this.channel.config()).setUdpGro(true);
			return true;
		}
		catch (ChannelException | ClassCastException ex) {
			logger.debug("UDP GRO not available on {}: {}", this.channel, ex.toString());
			return false;
		}
	}

	private static int readSlotFor(int largestDatagram) {
		return Math.max(MIN_READ_SLOT, largestDatagram);
	}

	/** Sizes the read buffers: one slot per read, or several slots per {@code recvmmsg}. */
	private void configureReads() {
		int slot = this.readSlot;
		int slots = 1;
		if (this.batchedReads) {
			slots = READ_SLOTS;
			((EpollDatagramChannelConfig) this.channel.config()).setMaxDatagramPayloadSize(slot);
		}
		if (this.readAllocator == null) {
			this.readAllocator = new ResizableReadAllocator(slot * slots, MAX_DATAGRAMS_PER_READ_BURST);
			this.channel.config().setRecvByteBufAllocator(this.readAllocator);
		}
		else {
			this.readAllocator.bufferSize(slot * slots);
		}
	}

	/**
	 * Makes room in the read slots for datagrams of {@code largestDatagram} bytes (a session's mtu was raised).
	 * Any thread.
	 */
	void ensureReadRoom(int largestDatagram) {
		if (largestDatagram <= this.readSlot) {
			return;
		}
		runOnLoop(() -> {
			if (largestDatagram > this.readSlot) {
				this.readSlot = readSlotFor(largestDatagram);
				configureReads();
			}
		});
	}

	/** The batching and offloads in use, for the logs and tests. */
	String features() {
		if (!this.nativeTransport) {
			return "nio";
		}
		return "epoll" + (this.batchedReads ? " recvmmsg" : "") + (this.batchedWrites ? " sendmmsg" : "")
				+ (this.segmentationOffload ? " gso" : "") + (this.receiveOffload ? " gro" : "") + " slot="
				+ this.readSlot;
	}

	/** Whether runs of datagrams currently go out as GSO writes (false after the kernel refused one). */
	boolean usesSegmentationOffload() {
		return this.segmentationOffload;
	}

	/** GSO writes queued so far. */
	long segmentedWrites() {
		return this.segmentedWrites;
	}

	/** Datagrams those GSO writes carried. */
	long segmentedDatagrams() {
		return this.segmentedDatagrams;
	}

	/** Whether the kernel may coalesce received datagrams. */
	boolean usesReceiveOffload() {
		return this.receiveOffload;
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
			throw new KcpException("Could not bind a UDP socket to " + localAddress + ": " + ex.getMessage(),
					asBindException(ex));
		}
	}

	/**
	 * The JDK's BindException for an address in use, as NIO reports it; native epoll reports a plain IOException
	 * (EADDRINUSE) instead, which callers could not tell from other failures.
	 */
	private static Throwable asBindException(Throwable ex) {
		if (ex instanceof java.net.BindException || !(ex instanceof Errors.NativeIoException nativeEx)
				|| (nativeEx.expectedErr() != -EADDRINUSE && !String.valueOf(ex.getMessage()).contains("in use"))) {
			return ex;
		}
		// The root cause, as with NIO: callers and Boot's failure analysis look for a BindException there.
		java.net.BindException bind = new java.net.BindException(ex.getMessage());
		bind.setStackTrace(ex.getStackTrace());
		return bind;
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
		if (this.cipher == null) {
			queue(recipient, datagram, 0, length);
			return length;
		}
		byte[] sealed;
		try {
			sealed = this.cipher.encrypt(datagram, 0, length);
		}
		catch (RuntimeException ex) {
			count(DropReason.ENCRYPT_FAILED);
			if (this.encryptFailureLogged.compareAndSet(false, true)) {
				logger.error("Packet cipher {} failed to encrypt; the datagram was dropped, not sent in clear "
						+ "(logged once per socket)", this.cipher.name(), ex);
			}
			throw ex;
		}
		queue(recipient, sealed, 0, sealed.length);
		return sealed.length;
	}

	/**
	 * Queues one datagram that is protected already (a DTLS record made by the owner's DTLS stage), bypassing the
	 * cipher, which an endpoint that carries DTLS does not have.
	 * @return the bytes queued, or -1 if the socket is closed
	 */
	int writeProtected(InetSocketAddress recipient, java.nio.ByteBuffer datagram) {
		if (!this.channel.isActive()) {
			return -1;
		}
		int length = datagram.remaining();
		if (datagram.hasArray()) {
			queue(recipient, datagram.array(), datagram.arrayOffset() + datagram.position(), length);
		}
		else {
			byte[] copy = new byte[length];
			datagram.duplicate().get(copy);
			queue(recipient, copy, 0, length);
		}
		return length;
	}

	/**
	 * Copies a datagram into a pooled direct buffer — the engine reuses its own, and native writes need direct
	 * memory anyway — and queues it, or adds it to the GSO run.
	 */
	private void queue(InetSocketAddress recipient, byte[] bytes, int offset, int length) {
		if (!this.segmentationOffload) {
			ByteBuf content = this.channel.alloc().directBuffer(length);
			content.writeBytes(bytes, offset, length);
			this.channel.write(new DatagramPacket(content, recipient), this.channel.voidPromise());
			if (!this.batchedWrites) {
				this.channel.flush();
			}
			return;
		}
		ByteBuf current = this.run;
		if (current != null && !extendsRun(recipient, length, current)) {
			writeRun();
			current = null;
		}
		if (current == null) {
			current = this.channel.alloc().directBuffer(length);
			this.run = current;
			this.runRecipient = recipient;
			this.runSegmentSize = length;
			this.runCount = 0;
			this.runSealed = false;
		}
		else if (this.runCount == 1) {
			// A second datagram: only now is a run worth a buffer for many (one copy of the first datagram).
			int room = Math.min(MAX_GSO_SEGMENTS, MAX_GSO_BYTES / this.runSegmentSize) * this.runSegmentSize;
			ByteBuf larger = this.channel.alloc().directBuffer(room);
			larger.writeBytes(current);
			current.release();
			current = larger;
			this.run = larger;
		}
		current.writeBytes(bytes, offset, length);
		this.runCount++;
		if (length < this.runSegmentSize) {
			this.runSealed = true;
		}
	}

	/** Whether a datagram of {@code length} bytes to {@code recipient} may join the current run. */
	private boolean extendsRun(InetSocketAddress recipient, int length, ByteBuf current) {
		return !this.runSealed && length <= this.runSegmentSize && this.runCount < MAX_GSO_SEGMENTS
				&& current.writerIndex() + length <= MAX_GSO_BYTES && recipient.equals(this.runRecipient);
	}

	/** Queues the current run: one datagram as it is, several as one segmented write. */
	private void writeRun() {
		ByteBuf current = this.run;
		if (current == null) {
			return;
		}
		InetSocketAddress recipient = this.runRecipient;
		this.run = null;
		this.runRecipient = null;
		if (this.runCount == 1) {
			this.channel.write(new DatagramPacket(current, recipient), this.channel.voidPromise());
			return;
		}
		ChannelFuture written = this.channel.write(new SegmentedDatagramPacket(current, this.runSegmentSize,
				recipient));
		this.segmentedWrites++;
		this.segmentedDatagrams += this.runCount;
		written.addListener((future) -> {
			if (!future.isSuccess() && this.segmentationOffload && this.channel.isActive()) {
				// The kernel refused the segmented write (a route MTU below the datagram size, a device without
				// checksum offload ...): those datagrams are lost, KCP resends them; plain writes from now on.
				this.segmentationOffload = false;
				logger.warn("UDP GSO refused on {} ({}); sending datagram by datagram from now on", this.channel,
						String.valueOf(future.cause()));
			}
		});
	}

	/** Sends what was queued; while {@link #holdFlushes() held}, when the hold ends. */
	void flush() {
		if (this.flushHolds > 0) {
			this.flushHeld = true;
			return;
		}
		writeRun();
		this.channel.flush();
	}

	/**
	 * Holds back {@link #flush()}es until the matching {@link #releaseFlushes()}: the owner services many sessions in
	 * a row (a read burst, the timers due in one millisecond) and their datagrams leave with one flush, one
	 * {@code sendmmsg}, instead of one system call per session. On the loop; holds nest.
	 */
	void holdFlushes() {
		this.flushHolds++;
	}

	/** Ends a {@link #holdFlushes() hold}; the last one flushes if a flush was asked for meanwhile. */
	void releaseFlushes() {
		if (this.flushHolds > 0 && --this.flushHolds == 0 && this.flushHeld) {
			this.flushHeld = false;
			flush();
		}
	}

	/** The deadlines of the sessions on this socket, behind one loop timer. */
	LoopTimers timers() {
		return this.timers;
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
		try {
			runOnLoop(this::discardRun);
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			// The loop has stopped: nothing runs on it any more, and its memory goes with it.
		}
		this.channel.close().addListener((f) -> closed.complete(null));
		return closed;
	}

	/** Releases a run that was never flushed. */
	private void discardRun() {
		ByteBuf current = this.run;
		if (current != null) {
			this.run = null;
			this.runRecipient = null;
			current.release();
		}
	}

	private void runOnLoop(Runnable task) {
		if (this.loop.inEventLoop()) {
			task.run();
		}
		else {
			this.loop.execute(task);
		}
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
		if (length < this.minimumLength) {
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
		return "UdpEndpoint{" + this.channel + ", " + features() + "}";
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
			discardRun();
			UdpEndpoint.this.receiver.readComplete();
			if (!UdpEndpoint.this.closing) {
				UdpEndpoint.this.receiver.channelLost(null);
			}
		}

	}

}
