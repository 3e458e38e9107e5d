package io.github.kcp.core.interop.nettypeer;

import java.net.InetSocketAddress;

import io.jpower.kcp.netty.UkcpChannel;
import io.jpower.kcp.netty.UkcpChannelOption;
import io.jpower.kcp.netty.UkcpServerChannel;
import io.netty.bootstrap.UkcpServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.nio.NioEventLoopGroup;

/**
 * A kcp-netty 1.5.2 echo server meant to run in its own JVM on Netty 4.1 (kcp-netty's server cannot run on
 * Netty 4.2, see {@code KcpNettyInteropTest}). Uses only APIs that exist in Netty 4.1. Fast mode as the kcp-go
 * peer: nodelay, interval 10, resend 2, no congestion window, windows 1024, mtu 1400.
 *
 * <p>Arguments: {@code --port P} (0 for any), {@code --stream 0|1}. Prints {@code listening on HOST:PORT} once
 * bound, then echoes every message until standard input ends (so it never outlives the test that started it).
 */
public final class KcpNettyEchoServer {

	private KcpNettyEchoServer() {
	}

	/**
	 * Runs the server.
	 * @param args {@code --port P --stream 0|1}
	 * @throws Exception if it cannot bind
	 */
	@SuppressWarnings("deprecation") // NioEventLoopGroup: kcp-netty's channels need NioEventLoop
	public static void main(String[] args) throws Exception {
		int port = 0;
		boolean stream = false;
		for (int i = 0; i + 1 < args.length; i += 2) {
			switch (args[i]) {
				case "--port" -> port = Integer.parseInt(args[i + 1]);
				case "--stream" -> stream = "1".equals(args[i + 1]);
				default -> throw new IllegalArgumentException("Unknown flag " + args[i]);
			}
		}
		NioEventLoopGroup group = new NioEventLoopGroup(1);
		try {
			UkcpServerBootstrap bootstrap = new UkcpServerBootstrap().group(group)
				.channel(UkcpServerChannel.class)
				.childHandler(new ChannelInitializer<UkcpChannel>() {

					@Override
					protected void initChannel(UkcpChannel ch) {
						ch.pipeline().addLast(new Echo());
					}

				});
			bootstrap.childOption(UkcpChannelOption.UKCP_NODELAY, true)
				.childOption(UkcpChannelOption.UKCP_INTERVAL, 10)
				.childOption(UkcpChannelOption.UKCP_FAST_RESEND, 2)
				.childOption(UkcpChannelOption.UKCP_NOCWND, true)
				.childOption(UkcpChannelOption.UKCP_SND_WND, 1024)
				.childOption(UkcpChannelOption.UKCP_RCV_WND, 1024)
				.childOption(UkcpChannelOption.UKCP_MTU, 1400)
				.childOption(UkcpChannelOption.UKCP_STREAM, stream)
				// the child takes the conv of the client's first segment
				.childOption(UkcpChannelOption.UKCP_AUTO_SET_CONV, true);
			Channel server = bootstrap.bind("127.0.0.1", port).sync().channel();
			InetSocketAddress bound = (InetSocketAddress) server.localAddress();
			System.out.println("listening on " + bound.getHostString() + ":" + bound.getPort());
			System.out.flush();
			while (System.in.read() != -1) {
				// wait for the parent to close our standard input
			}
			server.close().sync();
		}
		finally {
			group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
		}
	}

	/** Writes every message back. */
	private static final class Echo extends ChannelInboundHandlerAdapter {

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ctx.write(msg);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			ctx.flush();
		}

	}

}
