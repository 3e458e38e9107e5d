package io.github.kcp.core.transport;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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

/**
 * The event-loop threads KCP servers and clients run on: native epoll when {@code netty-transport-native-epoll} is
 * on the class path and usable, NIO otherwise. A session is pinned to one thread of its group, which runs its
 * engine, its timers and its handler.
 * <p>
 * Endpoints use {@link #shared()} unless given another group: create one to keep KCP traffic on threads of its own,
 * and {@link #close()} it once its servers and clients are closed.
 */
public final class KcpEventLoopGroup implements AutoCloseable {

	private static volatile KcpEventLoopGroup shared;

	private final EventLoopGroup group;

	private final boolean isShared;

	private KcpEventLoopGroup(EventLoopGroup group, boolean isShared) {
		this.group = group;
		this.isShared = isShared;
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
					group = new KcpEventLoopGroup(newGroup(Runtime.getRuntime().availableProcessors(), "kcp-io", true),
							true);
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
		if (threads < 1) {
			throw new IllegalArgumentException("threads must be positive but was " + threads);
		}
		return new KcpEventLoopGroup(newGroup(threads, threadNamePrefix, daemon), false);
	}

	private static EventLoopGroup newGroup(int threads, String threadNamePrefix, boolean daemon) {
		IoHandlerFactory factory = isNativeTransportAvailable() ? EpollIoHandler.newFactory()
				: NioIoHandler.newFactory();
		return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadNamePrefix, daemon), factory);
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
		return this.group instanceof IoEventLoopGroup ioGroup && isNativeTransportAvailable()
				&& ioGroup.isIoType(EpollIoHandler.class);
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
