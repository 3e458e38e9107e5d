package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * An Error on a server's event loop — a handler's, an OutOfMemoryError in the datagram path — stops the server
 * loudly: logged at ERROR, every session closed with ERROR and the Error as cause, the socket released, the close
 * future failed with a {@link KcpServerFailedException}; a shutdown never hangs on an event loop that does not
 * respond. (Before, an OutOfMemoryError left the server bound and serving nobody.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KcpServerFailureTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final ListAppender<ILoggingEvent> log = new ListAppender<>();

	private Logger serverLogger;

	@BeforeEach
	void captureTheServersLog() {
		this.serverLogger = (Logger) LoggerFactory.getLogger(KcpServer.class);
		this.log.start();
		this.serverLogger.addAppender(this.log);
	}

	@AfterEach
	void releaseTheLog() {
		this.serverLogger.detachAppender(this.log);
	}

	/** An Error of a test: not an Exception, so no handler-failure path may swallow it. */
	static final class TestError extends Error {

		private static final long serialVersionUID = 1L;

		TestError(String message) {
			super(message);
		}

	}

	@Test
	void anErrorThrownByAHandlerStopsTheServerLoudly() throws Exception {
		List<CloseReason> closes = new CopyOnWriteArrayList<>();
		List<Throwable> causes = new CopyOnWriteArrayList<>();
		KcpServer server = KcpServer.builder().config(FAST).handler(new KcpSessionHandler() {
			@Override
			public void onMessage(KcpSession session, byte[] message) {
				if (message[0] == 'x') {
					throw new TestError("a handler's bug");
				}
				session.send(message);
			}

			@Override
			public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
				closes.add(reason);
				causes.add(cause);
			}
		}).bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ZERO));
		RecordingHandler bystanderSide = RecordingHandler.recorder();
		KcpSession bystander = client(FAST, bystanderSide, server.localAddress());
		bystander.send(new byte[] { 'a' }).get(5, TimeUnit.SECONDS);
		assertThat(bystanderSide.nextMessage(WAIT)).containsExactly('a');

		KcpSession culprit = client(FAST, RecordingHandler.recorder(), server.localAddress());
		culprit.send(new byte[] { 'x' });

		assertStoppedBy(server, TestError.class, "a handler's bug");
		// Both sessions closed with ERROR and the Error as cause.
		await().atMost(WAIT).until(() -> closes.size() == 2);
		assertThat(closes).containsOnly(CloseReason.ERROR);
		assertThat(causes).allSatisfy((cause) -> assertThat(cause).isInstanceOf(TestError.class));
		assertThat(server.sessionCount()).isZero();
	}

	@Test
	void anOutOfMemoryErrorInTheDatagramPathStopsTheServerLoudly() throws Exception {
		// The packet stage runs on the loop before anything else: a cipher that runs out of memory on one datagram.
		PacketCipher exhausted = new PacketCipher() {

			@Override
			public String name() {
				return "exhausted";
			}

			@Override
			public int overhead() {
				return 0;
			}

			@Override
			public byte[] encrypt(byte[] plaintext, int offset, int length) {
				return Arrays.copyOfRange(plaintext, offset, offset + length);
			}

			@Override
			public byte[] decrypt(byte[] datagram, int offset, int length) {
				if (length == 7) {
					throw new OutOfMemoryError("simulated: Java heap space");
				}
				return Arrays.copyOfRange(datagram, offset, offset + length);
			}

		};
		KcpServer server = KcpServer.builder().config(FAST).cipher(exhausted).handler(RecordingHandler.echo())
			.bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ZERO));
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, exhausted, clientSide, server.localAddress());
		client.send(new byte[] { 1 }).get(5, TimeUnit.SECONDS);
		assertThat(clientSide.nextMessage(WAIT)).containsExactly(1);
		InetSocketAddress address = server.localAddress();

		raw().send(address, new byte[7]);

		assertStoppedBy(server, OutOfMemoryError.class, "simulated: Java heap space");
		// The socket was released: its port can be bound again (NIO frees it at the selector's next turn).
		await().atMost(WAIT).until(() -> canBind(address));
	}

	@Test
	void aShutdownNeverHangsOnAnEventLoopThatDoesNotRespond() throws Exception {
		KcpEventLoopGroup group = KcpEventLoopGroup.create(1, "stuck-loop", true);
		CountDownLatch release = new CountDownLatch(1);
		try {
			KcpConfig config = FAST.toBuilder().closeTimeout(Duration.ofMillis(200)).build();
			KcpServer server = KcpServer.builder().config(config).eventLoops(group).handler(RecordingHandler.echo())
				.bind("127.0.0.1", 0);
			// A handler (here: a task) that never returns holds the server's only loop thread.
			CountDownLatch blocked = new CountDownLatch(1);
			group.netty().next().execute(() -> {
				blocked.countDown();
				awaitUninterruptibly(release);
			});
			assertThat(blocked.await(5, TimeUnit.SECONDS)).isTrue();
			long started = System.nanoTime();

			server.close();

			Duration took = Duration.ofNanos(System.nanoTime() - started);
			// The close timeout (the grace period of close()) and the margin, not forever.
			assertThat(took).isGreaterThanOrEqualTo(config.closeTimeout().plus(KcpServer.UNRESPONSIVE_LOOP_MARGIN))
				.isLessThan(config.closeTimeout().plus(KcpServer.UNRESPONSIVE_LOOP_MARGIN).plusSeconds(3));
			assertThat(server.closeFuture()).isCompletedExceptionally();
			assertThatThrownBy(() -> server.closeFuture().get()).cause()
				.isInstanceOf(KcpServerFailedException.class)
				.hasMessageContaining("not responding");
			assertThat(errors()).anySatisfy((message) -> assertThat(message).contains("not responding"));
		}
		finally {
			release.countDown();
			group.close();
		}
	}

	@Test
	void anErrorThrownByAClientHandlerClosesThatSessionWithError() throws Exception {
		KcpServer server = server(FAST, RecordingHandler.echo());
		CompletableFuture<Throwable> closeCause = new CompletableFuture<>();
		KcpSession client = KcpClient.builder().config(FAST).handler(new KcpSessionHandler() {
			@Override
			public void onMessage(KcpSession session, byte[] message) {
				throw new TestError("a client handler's bug");
			}

			@Override
			public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
				closeCause.complete(cause);
			}
		}).connect(server.localAddress());
		this.resources.add(client::abort);
		client.send(new byte[] { 1 });
		assertThat(client.closeFuture().get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.ERROR);
		assertThat(closeCause.get(1, TimeUnit.SECONDS)).isInstanceOf(TestError.class);
	}

	private void assertStoppedBy(KcpServer server, Class<? extends Error> type, String message) throws Exception {
		ExecutionException failure = org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
				() -> server.closeFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
		assertThat(failure).as("the close future failed").isNotNull();
		assertThat(failure.getCause()).isInstanceOf(KcpServerFailedException.class);
		assertThat(failure.getCause().getCause()).isInstanceOf(type).hasMessage(message);
		assertThat(server.isClosing()).isTrue();
		assertThat(this.log.list).anySatisfy((event) -> {
			assertThat(event.getLevel()).isEqualTo(Level.ERROR);
			assertThat(event.getFormattedMessage()).contains("stops").contains(message);
		});
	}

	private List<String> errors() {
		return this.log.list.stream()
			.filter((event) -> event.getLevel() == Level.ERROR)
			.map(ILoggingEvent::getFormattedMessage)
			.toList();
	}

	private static boolean canBind(InetSocketAddress address) {
		try (java.net.DatagramSocket socket = new java.net.DatagramSocket(address)) {
			return true;
		}
		catch (java.net.SocketException ex) {
			return false;
		}
	}

	private static void awaitUninterruptibly(CountDownLatch latch) {
		while (true) {
			try {
				latch.await();
				return;
			}
			catch (InterruptedException ex) {
				// keep the loop held until the test lets it go
			}
		}
	}

}
