package io.github.kcp.core.interop;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.interop.nettypeer.KcpNettyEchoServer;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.SniffingRelay;
import io.github.kcp.testsupport.interop.DeterministicContent;
import io.jpower.kcp.netty.UkcpChannel;
import io.jpower.kcp.netty.UkcpChannelOption;
import io.jpower.kcp.netty.UkcpClientChannel;
import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.UkcpServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Our transport against kcp-netty 1.5.2 (io.jpower.kcp:kcp-netty), both ways round, in message and stream mode: 1 MiB
 * of messages of mixed sizes (one byte to many segments) echoed and verified byte for byte, and in message mode
 * every message boundary kept.
 *
 * <p>kcp-netty is built for Netty 4.1. Its <b>client</b> runs on our Netty 4.2: its channel accepts only a
 * {@code NioEventLoop} ({@code isCompatible} is {@code loop instanceof NioEventLoop}), which 4.2's deprecated
 * {@link NioEventLoopGroup} still creates (a {@code MultiThreadIoEventLoopGroup} with {@code NioIoHandler} would be
 * refused); 4.2's {@code AbstractChannel.doRegister(ChannelPromise)} still calls the 4.1-style {@code doRegister()}
 * it overrides; and its one call of a method 4.2 removed is inside an {@code assert}, so kcp-netty's assertions are
 * kept off. Its <b>server</b> cannot run on 4.2 (see {@link #SERVER_UNSUPPORTED}), so that direction runs it in a child
 * JVM on Netty 4.1.68 ({@link KcpNettyEchoServer}), from jars the build copies to {@code target/kcp-netty-4.1}.
 */
@Timeout(60)
@SuppressWarnings("deprecation") // NioEventLoopGroup: kcp-netty's channels need NioEventLoop (see above)
class KcpNettyInteropTest {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final int TOTAL_BYTES = 1 << 20;

	/** Sizes that cross segment (mss 1376) and fragment boundaries, up to 15 fragments per message. */
	private static final int[] SIZES = { 1, 100, 1375, 1376, 1377, 2752, 4000, 20000 };

	static final String SERVER_UNSUPPORTED = "kcp-netty 1.5.2's server cannot run on Netty 4.2: "
			+ "UkcpServerChannel.scheduleUpdate (called by createChildChannel for the first datagram of every "
			+ "client) invokes AbstractNioChannel.eventLoop() with the Netty 4.1 return type NioEventLoop, a method "
			+ "Netty 4.2 removed (eventLoop() now returns EventLoop), so the call fails with NoSuchMethodError on the "
			+ "event loop, which terminates it. Our client against kcp-netty's server therefore needs Netty 4.1.";

	private EventLoopGroup nettyGroup;

	@BeforeAll
	static void keepKcpNettyAssertionsOff() {
		// Before kcp-netty's classes load: the client path's one Netty-4.1-only call (UkcpClientUdpChannel's read
		// calls eventLoop() typed NioEventLoop) sits inside an assert, which surefire's -ea would execute.
		KcpNettyInteropTest.class.getClassLoader().setPackageAssertionStatus("io.jpower.kcp.netty", false);
	}

	@BeforeEach
	void startNetty() {
		// one group per test: a kcp-netty failure on its event loop must not take the next test down
		this.nettyGroup = new NioEventLoopGroup(1);
	}

	@AfterEach
	void stopNetty() throws Exception {
		this.nettyGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
	}

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(booleans = { false, true })
	void ourClientGetsEverythingEchoedByKcpNettyServer(boolean stream) throws Exception {
		Process server = startKcpNettyServer(stream, ProcessBuilder.Redirect.INHERIT);
		try {
			int port = awaitListening(server);
			ReceivedBytes received = new ReceivedBytes();
			KcpSession session = KcpClient.builder()
				.config(ourConfig(stream))
				.handler(received)
				.connect("127.0.0.1", port);
			try {
				List<byte[]> sent = messages();
				for (byte[] message : sent) {
					session.sendWhenRoom(message, 0, message.length, WAIT);
				}
				assertEchoed(received, sent, stream);
			}
			finally {
				session.abort();
			}
		}
		finally {
			server.getOutputStream().close(); // the server ends when its standard input does
			if (!server.waitFor(5, TimeUnit.SECONDS)) {
				server.destroyForcibly();
			}
		}
	}

	/**
	 * kcp-netty's server needs Netty 4.1 (see SERVER_UNSUPPORTED): runs it in a child JVM on the 4.1 jars that the
	 * build copies next to the test classes. Netty 4.1 logs there through java.util.logging, on standard error.
	 */
	private static Process startKcpNettyServer(boolean stream, ProcessBuilder.Redirect errors) throws Exception {
		Path testClasses = Path.of(KcpNettyEchoServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		Path netty41 = testClasses.resolveSibling("kcp-netty-4.1");
		Assumptions.assumeTrue(Files.isDirectory(netty41), "No " + netty41
				+ ": run through Maven (generate-test-resources copies kcp-netty 1.5.2 and Netty 4.1 there)");
		String classpath = netty41.resolve("*") + File.pathSeparator + testClasses;
		return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
				classpath, KcpNettyEchoServer.class.getName(), "--port", "0", "--stream", stream ? "1" : "0")
			.redirectError(errors)
			.start();
	}

	/**
	 * Our graceful close sends kcp-netty nothing it does not know: kcp-netty warns "Mismatch cmd" for every datagram
	 * of an unknown command (it did, five times per close, for our close signal). It never offers our close
	 * handshake, so the signal is not sent; every datagram we sent it is standard KCP, and its log, read after it
	 * exited, holds no warning.
	 */
	@Test
	void ourCloseLeavesKcpNettyServerNothingToWarnAbout() throws Exception {
		Path errors = Files.createTempFile("kcp-netty-server", ".log");
		Process server = startKcpNettyServer(false, ProcessBuilder.Redirect.to(errors.toFile()));
		try {
			int port = awaitListening(server);
			try (SniffingRelay relay = SniffingRelay.start(new InetSocketAddress("127.0.0.1", port))) {
				ReceivedBytes received = new ReceivedBytes();
				KcpSession session = KcpClient.builder()
					.config(ourConfig(false))
					.handler(received)
					.connect(relay.localAddress());
				List<byte[]> sent = messages().subList(0, 50);
				for (byte[] message : sent) {
					session.sendWhenRoom(message, 0, message.length, WAIT);
				}
				assertEchoed(received, sent, false);
				assertThat(session.close().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
				assertThat(relay.toTarget()).isNotEmpty()
					.allSatisfy((datagram) -> assertThat(SniffingRelay.isStandardKcp(datagram)).isTrue());
				assertThat(relay.toClient()).noneMatch(SniffingRelay::offersCloseHandshake);
			}
		}
		finally {
			server.getOutputStream().close();
			if (!server.waitFor(10, TimeUnit.SECONDS)) {
				server.destroyForcibly();
			}
		}
		String log = Files.readString(errors);
		Files.delete(errors);
		assertThat(log).doesNotContain("Mismatch").doesNotContain("WARN").doesNotContain("Exception");
	}

	/**
	 * Our server shutting down sends a kcp-netty client nothing it does not know (no close signal, which kcp-netty
	 * would warn about): the client's sessions close on our side at once, the client logs nothing.
	 */
	@Test
	void ourServerShutdownSendsKcpNettyClientNothingToWarnAbout() throws Exception {
		Logger kcpNettyLog = (Logger) org.slf4j.LoggerFactory.getLogger("io.jpower.kcp");
		ListAppender<ILoggingEvent> warnings = new ListAppender<>();
		warnings.start();
		kcpNettyLog.addAppender(warnings);
		KcpServer server = KcpServer.builder()
			.config(ourConfig(false))
			.handlerFactory(StreamProtocols.Echo::new)
			.bind("127.0.0.1", 0);
		SniffingRelay relay = SniffingRelay.start(server.localAddress());
		Channel client = null;
		try {
			ReceivedBytes received = new ReceivedBytes();
			int conv = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
			client = kcpNettyOptions(new Bootstrap().group(this.nettyGroup)
				.channel(UkcpClientChannel.class)
				.handler(new ChannelInitializer<UkcpChannel>() {

					@Override
					protected void initChannel(UkcpChannel ch) {
						ch.conv(conv);
						ch.pipeline().addLast(new NettyCollector(received));
					}

				}), false, false).connect(relay.localAddress()).sync().channel();
			List<byte[]> sent = messages().subList(0, 50);
			for (byte[] message : sent) {
				client.write(Unpooled.wrappedBuffer(message));
			}
			client.flush();
			assertEchoed(received, sent, false);
			KcpSession session = server.sessions().iterator().next();

			server.shutdown(Duration.ofSeconds(2)).get(WAIT.toSeconds(), TimeUnit.SECONDS);

			assertThat(session.closeFuture().get()).isEqualTo(CloseReason.SERVER_SHUTDOWN);
			// What the client sends after our close (its acknowledgements) reaches the relay: it processed all of ours.
			int toServer = relay.toTarget().size();
			client.write(Unpooled.wrappedBuffer(new byte[] { 1 }));
			client.flush();
			await().atMost(WAIT).until(() -> relay.toTarget().size() > toServer);
			assertThat(relay.toClient()).isNotEmpty()
				.allSatisfy((datagram) -> assertThat(SniffingRelay.isStandardKcp(datagram)).isTrue())
				.noneMatch(SniffingRelay::offersCloseHandshake);
			assertThat(warnings.list).filteredOn((event) -> event.getLevel().isGreaterOrEqual(Level.WARN)).isEmpty();
		}
		finally {
			kcpNettyLog.detachAppender(warnings);
			if (client != null) {
				client.close().sync();
			}
			relay.close();
			server.close();
		}
	}

	/** Reads the child's standard output up to its {@code listening on HOST:PORT} line; the port. */
	private static int awaitListening(Process server) throws Exception {
		BufferedReader output = new BufferedReader(
				new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
		CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
			try {
				for (String line; (line = output.readLine()) != null;) {
					if (line.startsWith("listening on ")) {
						return Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
					}
				}
				throw new IllegalStateException("kcp-netty server exited before listening (exit status "
						+ server.waitFor() + ")");
			}
			catch (IOException | InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
		});
		return port.get(WAIT.toSeconds(), TimeUnit.SECONDS);
	}

	@ParameterizedTest(name = "stream {0}")
	@ValueSource(booleans = { false, true })
	void kcpNettyClientGetsEverythingEchoedByOurServer(boolean stream) throws Exception {
		try (KcpServer server = KcpServer.builder()
			.config(ourConfig(stream))
			.handlerFactory(StreamProtocols.Echo::new)
			.bind("127.0.0.1", 0)) {
			ReceivedBytes received = new ReceivedBytes();
			int conv = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
			Channel client = kcpNettyOptions(new Bootstrap().group(this.nettyGroup)
				.channel(UkcpClientChannel.class)
				.handler(new ChannelInitializer<UkcpChannel>() {

					@Override
					protected void initChannel(UkcpChannel ch) {
						// kcp-netty clients choose their conv themselves, before the first write
						ch.conv(conv);
						ch.pipeline().addLast(new NettyCollector(received));
					}

				}), stream, false).connect("127.0.0.1", server.localPort()).sync().channel();
			try {
				List<byte[]> sent = messages();
				for (byte[] message : sent) {
					client.write(Unpooled.wrappedBuffer(message));
				}
				client.flush();
				assertEchoed(received, sent, stream);
				assertThat(server.sessions()).singleElement()
					.satisfies((session) -> assertThat(session.conv()).isEqualTo(conv));
			}
			finally {
				client.close().sync();
			}
		}
	}

	private static void assertEchoed(ReceivedBytes received, List<byte[]> sent, boolean stream) {
		for (int k = 0; k < sent.size(); k++) {
			assertThat(received.read(sent.get(k).length, WAIT)).as("echo of message %d", k).isEqualTo(sent.get(k));
		}
		if (!stream) {
			// message mode: the fragments of each message were reassembled, none merged with the next
			assertThat(received.messages()).hasSameSizeAs(sent);
			for (int k = 0; k < sent.size(); k++) {
				assertThat(received.messages().get(k)).as("message %d", k).isEqualTo(sent.get(k));
			}
		}
	}

	/** At least 1 MiB of messages of the {@link #SIZES} in turn, each with distinct content. */
	private static List<byte[]> messages() {
		List<byte[]> messages = new ArrayList<>();
		int total = 0;
		for (int k = 0; total < TOTAL_BYTES; k++) {
			byte[] message = DeterministicContent.message(k, SIZES[k % SIZES.length]);
			messages.add(message);
			total += message.length;
		}
		return messages;
	}

	/** Fast mode, as the kcp-go peer: nodelay 1, interval 10, resend 2, no congestion window, windows 1024. */
	private static KcpConfig ourConfig(boolean stream) {
		return KcpConfig.builder()
			.nodelay(1, 10, 2, true)
			.windowSize(1024, 1024)
			.mtu(1400)
			.stream(stream)
			.sendBufferSize(8 << 20)
			.closeTimeout(Duration.ofSeconds(2))
			.build();
	}

	/** The same settings as kcp-netty options: child options for a server bootstrap, options for a client. */
	private static <B extends AbstractBootstrap<B, ? extends Channel>> B kcpNettyOptions(B bootstrap, boolean stream,
			boolean server) {
		UkcpServerBootstrap serverBootstrap = server ? (UkcpServerBootstrap) bootstrap : null;
		Option option = new Option() {

			@Override
			public <T> void set(ChannelOption<T> name, T value) {
				if (serverBootstrap != null) {
					serverBootstrap.childOption(name, value);
				}
				else {
					bootstrap.option(name, value);
				}
			}

		};
		option.set(UkcpChannelOption.UKCP_NODELAY, true);
		option.set(UkcpChannelOption.UKCP_INTERVAL, 10);
		option.set(UkcpChannelOption.UKCP_FAST_RESEND, 2);
		option.set(UkcpChannelOption.UKCP_NOCWND, true);
		option.set(UkcpChannelOption.UKCP_SND_WND, 1024);
		option.set(UkcpChannelOption.UKCP_RCV_WND, 1024);
		option.set(UkcpChannelOption.UKCP_MTU, 1400);
		option.set(UkcpChannelOption.UKCP_STREAM, stream);
		if (server) {
			// the server's child takes the conv of the client's first segment
			option.set(UkcpChannelOption.UKCP_AUTO_SET_CONV, true);
		}
		return bootstrap;
	}

	private interface Option {

		<T> void set(ChannelOption<T> name, T value);

	}

	/** kcp-netty echo handler: writes every message back. */
	private static final class NettyEcho extends ChannelInboundHandlerAdapter {

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ctx.write(msg);
		}

		@Override
		public void channelReadComplete(ChannelHandlerContext ctx) {
			ctx.flush();
		}

	}

	/** kcp-netty handler keeping every message for the test thread. */
	private static final class NettyCollector extends ChannelInboundHandlerAdapter {

		private final ReceivedBytes received;

		NettyCollector(ReceivedBytes received) {
			this.received = received;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ByteBuf buf = (ByteBuf) msg;
			try {
				this.received.add(ByteBufUtil.getBytes(buf));
			}
			finally {
				buf.release();
			}
		}

	}

}
