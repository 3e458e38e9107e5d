package io.github.kcp.core.transport;

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
 * Event-loop groups for KCP endpoints: native epoll when {@code netty-transport-native-epoll} is on the class path
 * and usable, NIO otherwise.
 */
public final class KcpEventLoops {

	private static volatile EventLoopGroup shared;

	private KcpEventLoops() {
	}

	/**
	 * The group endpoints use when none is given: one thread per processor, daemon threads (so it never keeps a
	 * JVM alive), created on first use and kept for the life of the JVM.
	 */
	public static EventLoopGroup shared() {
		EventLoopGroup group = shared;
		if (group == null) {
			synchronized (KcpEventLoops.class) {
				group = shared;
				if (group == null) {
					group = create(Runtime.getRuntime().availableProcessors(), "kcp-io", true);
					shared = group;
				}
			}
		}
		return group;
	}

	/**
	 * Creates a new group; the caller shuts it down.
	 * @param threads number of event-loop threads
	 * @param threadNamePrefix prefix of the thread names
	 * @param daemon whether the threads are daemon threads
	 */
	public static EventLoopGroup create(int threads, String threadNamePrefix, boolean daemon) {
		IoHandlerFactory factory = isEpollUsable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
		return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadNamePrefix, daemon), factory);
	}

	/** Whether native epoll is available on this machine. */
	public static boolean isEpollUsable() {
		try {
			return Epoll.isAvailable();
		}
		catch (Throwable ex) {
			return false;
		}
	}

	/** The datagram channel type matching the group's I/O. */
	static Class<? extends Channel> datagramChannelType(EventLoopGroup group) {
		if (group instanceof IoEventLoopGroup ioGroup && isEpollUsable() && ioGroup.isIoType(EpollIoHandler.class)) {
			return EpollDatagramChannel.class;
		}
		return NioDatagramChannel.class;
	}

}
