package io.github.kcp.core.transport;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One server carries a thousand sessions at once: every client, each on its own socket and all sharing one client
 * event-loop group, exchanges messages concurrently and gets back exactly its own, in order; when they all close,
 * the server sees every one of them go.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KcpManySessionsTest {

	private static final int SESSIONS = 1000;

	private static final int MESSAGES_PER_SESSION = 5;

	private static final int MESSAGE_SIZE = 200;

	@Test
	void aThousandSessionsExchangeMessagesConcurrently() throws Exception {
		// The default 100 ms interval: with eager flushing it does not delay messages or acknowledgements, and it
		// keeps the cost of a session waiting for an acknowledgement at 10 timer ticks a second (at 10 ms, two
		// thousand waiting sessions would make 200,000 a second).
		KcpConfig config = KcpConfig.builder().nodelay(1, 100, 2, true).build();
		AtomicInteger closedByPeer = new AtomicInteger();
		AtomicInteger openedOnServer = new AtomicInteger();
		// A thousand sessions from one address (loopback) within a second: beyond the limits per source address.
		KcpServer server = KcpServer.builder()
			.config(config)
			.maxSessionsPerAddress(0)
			.newSessionsPerAddressPerSecond(0)
			.handler(new KcpSessionHandler() {
			@Override
			public void onOpen(KcpSession session) {
				openedOnServer.incrementAndGet();
			}

			@Override
			public void onMessage(KcpSession session, byte[] message) {
				session.send(message);
			}

			@Override
			public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
				if (reason == CloseReason.CLOSED_BY_PEER) {
					closedByPeer.incrementAndGet();
				}
			}
		}).bind("127.0.0.1", 0);
		KcpEventLoopGroup clientGroup = KcpEventLoopGroup.create(2, "many-clients", true);
		List<KcpSession> clients = new ArrayList<>();
		try {
			long started = System.nanoTime();
			List<Echoes> echoes = new ArrayList<>();
			for (int i = 0; i < SESSIONS; i++) {
				Echoes handler = new Echoes(i);
				echoes.add(handler);
				clients.add(KcpClient.builder()
					.config(config)
					.eventLoops(clientGroup)
					.handler(handler)
					.connect(server.localAddress()));
			}
			long connected = System.nanoTime();
			// All sessions at the same time; each sends its next message when the echo of the previous one is back.
			for (int i = 0; i < SESSIONS; i++) {
				clients.get(i).send(message(i, 0));
			}
			CompletableFuture.allOf(echoes.stream().map((e) -> e.done).toArray(CompletableFuture[]::new))
				.get(40, TimeUnit.SECONDS);
			long exchanged = System.nanoTime();
			long retransmissions = 0;
			for (KcpSession client : clients) {
				retransmissions += client.stats().retransmissions();
			}
			assertThat(server.sessionCount()).isEqualTo(SESSIONS);
			assertThat(openedOnServer).hasValue(SESSIONS);
			for (int i = 0; i < SESSIONS; i++) {
				List<byte[]> received = new ArrayList<>(echoes.get(i).messages);
				assertThat(received).as("session %d", i).hasSize(MESSAGES_PER_SESSION);
				for (int round = 0; round < MESSAGES_PER_SESSION; round++) {
					assertThat(received.get(round)).as("session %d message %d", i, round).isEqualTo(message(i, round));
				}
			}

			List<CompletableFuture<CloseReason>> closes = new ArrayList<>();
			for (KcpSession client : clients) {
				closes.add(client.close());
			}
			CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
			assertThat(closes).allSatisfy((close) -> assertThat(close.join()).isEqualTo(CloseReason.CLOSED_LOCALLY));
			await().atMost(Duration.ofSeconds(10)).until(() -> server.sessionCount() == 0);
			assertThat(closedByPeer).hasValue(SESSIONS);
			assertThat(server.droppedDatagrams(DropReason.SESSION_LIMIT)).isZero();
			System.out.printf(
					"%d sessions: connected in %d ms, %d messages echoed in %d ms (%d retransmissions), closed in %d ms%n",
					SESSIONS, (connected - started) / 1_000_000, SESSIONS * MESSAGES_PER_SESSION,
					(exchanged - connected) / 1_000_000, retransmissions, (System.nanoTime() - exchanged) / 1_000_000);
		}
		finally {
			clients.forEach(KcpSession::abort);
			server.shutdown(Duration.ofMillis(200)).get(10, TimeUnit.SECONDS);
			clientGroup.closeAsync().get(10, TimeUnit.SECONDS);
		}
	}

	/** Message {@code round} of session {@code session}: tagged with both, so a mix-up cannot go unnoticed. */
	private static byte[] message(int session, int round) {
		ByteBuffer buffer = ByteBuffer.allocate(MESSAGE_SIZE);
		buffer.putInt(session).putInt(round);
		while (buffer.hasRemaining()) {
			buffer.put((byte) (session * 7 + round * 13 + buffer.position()));
		}
		return buffer.array();
	}

	/** Collects one client's echoes and sends its next message when one comes back. */
	private static final class Echoes implements KcpSessionHandler {

		final ConcurrentLinkedQueue<byte[]> messages = new ConcurrentLinkedQueue<>();

		final CompletableFuture<Void> done = new CompletableFuture<>();

		private final int index;

		private int count;

		Echoes(int index) {
			this.index = index;
		}

		@Override
		public void onMessage(KcpSession session, byte[] message) {
			this.messages.add(message);
			if (++this.count == MESSAGES_PER_SESSION) {
				this.done.complete(null);
			}
			else {
				session.send(message(this.index, this.count));
			}
		}

	}

}
