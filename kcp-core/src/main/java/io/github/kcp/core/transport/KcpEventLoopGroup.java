package io.github.kcp.core.transport;

import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-loop threads KCP servers and clients run on: native epoll on Linux when Netty's native library loads
 * (kcp-core brings it for x86-64), NIO otherwise; the choice, and why native epoll is not used when it is not, is
 * logged once. Native epoll reads and writes many datagrams per system call and offloads segmentation to the
 * kernel (see {@link UdpOptions}). A session is pinned to one thread of its group, which runs its engine, its timers
 * and its handler.
 * <p>
 * NIO can be forced for a group ({@link #create(int, String, boolean, boolean)}), or for the whole JVM with Netty's
 * own switch {@code -Dio.netty.transport.noNative=true}.
 * <p>
 * Endpoints use {@link #shared()} unless given another group: create one to keep KCP traffic on threads of its own,
 * and {@link #close()} it once its servers and clients are closed.
 */
public final class KcpEventLoopGroup implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(KcpEventLoopGroup.class);

	private static final AtomicBoolean choiceLogged = new AtomicBoolean();

	private static volatile KcpEventLoopGroup shared;

	private final EventLoopGroup group;

	private final boolean isShared;

	private final boolean nativeTransport;

	private KcpEventLoopGroup(EventLoopGroup group, boolean isShared, boolean nativeTransport) {
		this.group = group;
		this.isShared = isShared;
		this.nativeTransport = nativeTransport;
	}

	/**
	 * The group endpoints use when none is given: one thread per processor, daemon threads (so it never keeps a JVM
	 * alive), created on first use and kept for the life of the JVM. {@link #close()} does nothing on it.
	 */
	public static KcpEventLoopGroup shared() {
		KcpEventLoopGroup group = shared;
		if (group == null) {
			synchronized (KcpEventLoopGroup.class) {
				group = shared;
				if (group == null) {
					group = newGroup(Runtime.getRuntime().availableProcessors(), "kcp-io", true, true, true);
					shared = group;
				}
			}
		}
		return group;
	}

	/**
	 * Creates a group of its own; {@link #close()} it when done.
	 * @param threads number of event-loop threads (at least 1)
	 * @param threadNamePrefix prefix of the thread names
	 * @param daemon whether the threads are daemon threads
	 */
	public static KcpEventLoopGroup create(int threads, String threadNamePrefix, boolean daemon) {
		return create(threads, threadNamePrefix, daemon, true);
	}

	/**
	 * Creates a group of its own; {@link #close()} it when done.
	 * @param threads number of event-loop threads (at least 1)
	 * @param threadNamePrefix prefix of the thread names
	 * @param daemon whether the threads are daemon threads
	 * @param nativeTransport whether to use native epoll where it is available ({@code false}: NIO everywhere)
	 */
	public static KcpEventLoopGroup create(int threads, String threadNamePrefix, boolean daemon,
			boolean nativeTransport) {
		if (threads < 1) {
			throw new IllegalArgumentException("threads must be positive but was " + threads);
		}
		return newGroup(threads, threadNamePrefix, daemon, nativeTransport, false);
	}

	private static KcpEventLoopGroup newGroup(int threads, String threadNamePrefix, boolean daemon,
			boolean nativeWanted, boolean isShared) {
		boolean useNative = nativeWanted && isNativeTransportAvailable();
		logChoiceOnce(useNative, nativeWanted);
		// Our select strategy: Netty's default, plus the pauses a server serving many clients asks for.
		IoHandlerFactory factory = useNative ? EpollIoHandler.newFactory(0, ReadCoalescing.FACTORY)
				: NioIoHandler.newFactory(SelectorProvider.provider(), ReadCoalescing.FACTORY);
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
				new DefaultThreadFactory(threadNamePrefix, daemon), factory);
		return new KcpEventLoopGroup(group, isShared, useNative);
	}

	private static void logChoiceOnce(boolean useNative, boolean nativeWanted) {
		if (!nativeWanted) {
			logger.debug("KCP transport: NIO (native epoll turned off for this group)");
			return;
		}
		if (!choiceLogged.compareAndSet(false, true)) {
			return;
		}
		if (useNative) {
			logger.info("KCP transport: native epoll (kernel {}; recvmmsg/sendmmsg, UDP GSO {})",
					io.netty.channel.epoll.Native.KERNEL_VERSION,
					UdpFeatures.isSegmentationOffloadSupported() ? "supported" : "not supported");
		}
		else {
			logger.info("KCP transport: NIO (native epoll unavailable: {})", unavailabilityCause());
		}
	}

	private static String unavailabilityCause() {
		try {
			Throwable cause = Epoll.unavailabilityCause();
			return (cause != null) ? String.valueOf(cause) : "unknown";
		}
		catch (Throwable ex) {
			return String.valueOf(ex);
		}
	}

	/** Whether native epoll is usable on this machine (else groups use NIO). */
	public static boolean isNativeTransportAvailable() {
		try {
			return Epoll.isAvailable();
		}
		catch (Throwable ex) {
			return false;
		}
	}

	/** Whether this group uses native epoll. */
	public boolean isNativeTransport() {
		return this.nativeTransport;
	}

	/** Whether this is the {@link #shared()} group. */
	public boolean isShared() {
		return this.isShared;
	}

	/**
	 * Shuts the threads down (at once, within a second) and waits for them; does nothing on the {@link #shared()}
	 * group. Close the servers and clients on it first.
	 */
	@Override
	public void close() {
		closeAsync().join();
	}

	/** Like {@link #close()} without waiting; the future completes once the threads have stopped. */
	public CompletableFuture<Void> closeAsync() {
		if (this.isShared) {
			return CompletableFuture.completedFuture(null);
		}
		CompletableFuture<Void> done = new CompletableFuture<>();
		this.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener((f) -> done.complete(null));
		return done;
	}

	/** The Netty group underneath. */
	EventLoopGroup netty() {
		return this.group;
	}

	/** The datagram channel type matching the group's I/O. */
	Class<? extends Channel> datagramChannelType() {
		return isNativeTransport() ? EpollDatagramChannel.class : NioDatagramChannel.class;
	}

	@Override
	public String toString() {
		return "KcpEventLoopGroup{" + (this.isShared ? "shared, " : "") + (isNativeTransport() ? "epoll" : "nio") + "}";
	}

}
