package io.github.kcp.core.transport;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.InvalidKcpSettingException;
import io.github.kcp.core.connection.KcpConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A server asks its event loop to coalesce reads when many clients are sending at once, and never for a few clients,
 * however busy: the pause would add to each of their round trips.
 */
class KcpServerReadCoalescingTest {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private final KcpEventLoopGroup loops = KcpEventLoopGroup.create(1, "coalescing-test", true, true);

	@AfterEach
	void release() {
		this.loops.close();
	}

	private KcpServer echoServer(Duration readCoalescing) {
		return KcpServer.builder()
			.config(FAST)
			.eventLoops(this.loops)
			.maxSessionsPerAddress(0)
			.newSessionsPerAddressPerSecond(0)
			.readCoalescing(readCoalescing)
			.handler((session, message) -> session.send(message))
			.bind("127.0.0.1", 0);
	}

	@Test
	void manyClientsSendingAtOnceMakeTheLoopPauseBetweenPolls() throws Exception {
		try (KcpServer server = echoServer(Duration.ofMillis(1)); RawUdpPeer clients = new RawUdpPeer()) {
			// 200 conversations from one address each send a datagram: far more than 32 within 10 ms, however
			// the test thread is scheduled (bounded rounds until the server noticed).
			for (int round = 0; round < 20 && onLoop(server, server::readCoalescingRequests) == 0; round++) {
				for (int conv = 1; conv <= 200; conv++) {
					clients.send(server.localAddress(), RawUdpPeer.push(conv, round, new byte[] { 1 }));
				}
				awaitSessions(server, 200);
			}
			assertThat(onLoop(server, server::readCoalescingRequests)).isPositive();
			assertThat(onLoop(server, () -> coalescing().isActive() || coalescing().pauses() > 0)).isTrue();
			// The raw peer acknowledges nothing: no grace for its sessions.
			server.shutdown(Duration.ZERO).get(5, TimeUnit.SECONDS);
		}
	}

	@Test
	void oneBusyClientNeverDoes() throws Exception {
		try (KcpServer server = echoServer(Duration.ofMillis(1))) {
			LinkedBlockingQueue<byte[]> echoes = new LinkedBlockingQueue<>();
			KcpSession client = KcpClient.builder()
				.config(FAST)
				.eventLoops(this.loops)
				.handler((session, message) -> echoes.add(message))
				.connect(server.localAddress());
			// 2,000 round trips as fast as they go: tens of thousands of read bursts, each of one session.
			for (int i = 0; i < 2_000; i++) {
				client.send(new byte[] { (byte) i });
				assertThat(echoes.poll(5, TimeUnit.SECONDS)).as("echo %d", i).containsExactly((byte) i);
			}
			assertThat(onLoop(server, server::readCoalescingRequests)).isZero();
			assertThat(onLoop(server, () -> coalescing().pauses())).isZero();
			client.close().get(5, TimeUnit.SECONDS);
		}
	}

	@Test
	void zeroTurnsItOffAndTheSettingIsBounded() throws Exception {
		try (KcpServer server = echoServer(Duration.ZERO); RawUdpPeer clients = new RawUdpPeer()) {
			for (int conv = 1; conv <= 200; conv++) {
				clients.send(server.localAddress(), RawUdpPeer.push(conv, 0, new byte[] { 1 }));
			}
			awaitSessions(server, 200);
			assertThat(onLoop(server, server::readCoalescingRequests)).isZero();
			server.shutdown(Duration.ZERO).get(5, TimeUnit.SECONDS);
		}
		assertThatExceptionOfType(InvalidKcpSettingException.class)
			.isThrownBy(() -> KcpServer.builder().readCoalescing(Duration.ofMillis(11)));
		assertThatExceptionOfType(InvalidKcpSettingException.class)
			.isThrownBy(() -> KcpServer.builder().readCoalescing(Duration.ofNanos(-1)));
	}

	private static void awaitSessions(KcpServer server, int count) throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
		while (server.sessionCount() < count && System.nanoTime() < deadline) {
			Thread.onSpinWait();
		}
		assertThat(server.sessionCount()).isEqualTo(count);
	}

	private static ReadCoalescing coalescing() {
		ReadCoalescing coalescing = ReadCoalescing.ofCurrentLoop();
		assertThat(coalescing).as("the loop runs our select strategy").isNotNull();
		return coalescing;
	}

	private static <T> T onLoop(KcpServer server, Callable<T> read) throws Exception {
		return server.endpoint().loop().submit(read).get(5, TimeUnit.SECONDS);
	}

}
