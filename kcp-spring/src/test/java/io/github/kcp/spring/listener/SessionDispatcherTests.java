package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.transport.KcpSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/**
 * Tests for {@link SessionDispatcher}: per-session order, back-pressure on a full queue and on a saturated executor,
 * and drain tracking, on mocked sessions.
 */
@Timeout(30)
class SessionDispatcherTests {

	private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

	private final List<ExecutorService> executors = new ArrayList<>();

	@AfterEach
	void shutDown() {
		this.executors.forEach(ExecutorService::shutdownNow);
	}

	@Test
	void sessionEventsComeBeforeTheFirstAndAfterTheLastMessage() {
		List<String> order = new CopyOnWriteArrayList<>();
		SessionDispatcher dispatcher = new SessionDispatcher((session, message) -> {
			order.add(text(message));
			return null;
		}, pool(4), 256);
		KcpSession session = session(1);
		dispatcher.sessionOpened(session, () -> order.add("opened"));
		for (int i = 0; i < 20; i++) {
			dispatcher.dispatch(session, utf8("m" + i));
		}
		dispatcher.sessionClosed(session, () -> order.add("closed"));
		assertThat(dispatcher.whenSessionsClosed()).succeedsWithin(TEN_SECONDS);
		List<String> expected = new ArrayList<>();
		expected.add("opened");
		for (int i = 0; i < 20; i++) {
			expected.add("m" + i);
		}
		expected.add("closed");
		assertThat(order).isEqualTo(expected);
	}

	@Test
	void aMessageStaysInFlightUntilItsListenerStageCompletes() {
		CompletableFuture<Void> reply = new CompletableFuture<>();
		SessionDispatcher dispatcher = new SessionDispatcher((session, message) -> reply, pool(1), 256);
		KcpSession session = session(1);
		dispatcher.sessionOpened(session, () -> {
		});
		dispatcher.dispatch(session, utf8("request"));
		await().atMost(TEN_SECONDS).until(() -> dispatcher.dispatchedMessages() == 1);
		CompletableFuture<Void> idle = dispatcher.whenIdle();
		assertThat(idle).isNotDone();
		assertThat(dispatcher.inFlight()).isEqualTo(1);
		reply.complete(null);
		assertThat(idle).succeedsWithin(TEN_SECONDS);
	}

	@Test
	void aSessionWithTooManyWaitingMessagesStopsReadingUntilHalfAreHandled() {
		CountDownLatch release = new CountDownLatch(1);
		List<String> handled = new CopyOnWriteArrayList<>();
		SessionDispatcher dispatcher = new SessionDispatcher((session, message) -> {
			awaitLatch(release);
			handled.add(text(message));
			return null;
		}, pool(4), 4);
		KcpSession session = session(1);
		dispatcher.sessionOpened(session, () -> {
		});
		for (int i = 0; i < 10; i++) {
			dispatcher.dispatch(session, utf8("m" + i));
		}
		verify(session, times(1)).pauseReading();
		verify(session, never()).resumeReading();
		release.countDown();
		verify(session, timeout(10_000)).resumeReading();
		assertThat(dispatcher.whenIdle()).succeedsWithin(TEN_SECONDS);
		assertThat(handled).hasSize(10);
	}

	@Test
	void aSaturatedExecutorHoldsSessionsBackAndDropsNothing() {
		// One thread and room for one waiting task: the third busy session is refused at once.
		ThreadPoolExecutor saturated = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));
		this.executors.add(saturated);
		CountDownLatch release = new CountDownLatch(1);
		List<String> handled = new CopyOnWriteArrayList<>();
		SessionDispatcher dispatcher = new SessionDispatcher((session, message) -> {
			awaitLatch(release);
			handled.add(session.conv() + ":" + text(message));
			return null;
		}, saturated, 256);
		List<KcpSession> sessions = new ArrayList<>();
		for (int conv = 1; conv <= 5; conv++) {
			KcpSession session = session(conv);
			sessions.add(session);
			dispatcher.sessionOpened(session, () -> {
			});
			for (int i = 0; i < 3; i++) {
				dispatcher.dispatch(session, utf8("m" + i));
			}
		}
		assertThat(dispatcher.stalls()).as("the executor refused work").isPositive();
		KcpSession refused = sessions.get(4);
		verify(refused, times(1)).pauseReading();
		release.countDown();
		assertThat(dispatcher.whenIdle()).succeedsWithin(TEN_SECONDS);
		assertThat(handled).hasSize(15);
		for (int conv = 1; conv <= 5; conv++) {
			int session = conv;
			assertThat(handled.stream().filter((entry) -> entry.startsWith(session + ":")).toList())
				.as("session %d in order", conv)
				.containsExactly(conv + ":m0", conv + ":m1", conv + ":m2");
		}
		verify(refused, timeout(10_000)).resumeReading();
		dispatcher.close();
	}

	@Test
	void aFailingListenerEndsItsMessageAndTheSessionGoesOn() {
		List<String> handled = new CopyOnWriteArrayList<>();
		SessionDispatcher dispatcher = new SessionDispatcher((session, message) -> {
			if (text(message).equals("boom")) {
				throw new IllegalStateException("boom");
			}
			handled.add(text(message));
			return null;
		}, pool(2), 256);
		KcpSession session = session(1);
		dispatcher.sessionOpened(session, () -> {
		});
		dispatcher.dispatch(session, utf8("boom"));
		dispatcher.dispatch(session, utf8("after"));
		assertThat(dispatcher.whenIdle()).succeedsWithin(TEN_SECONDS);
		assertThat(handled).containsExactly("after");
		assertThat(dispatcher.listenerFailures()).isEqualTo(1);
	}

	private ExecutorService pool(int threads) {
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		this.executors.add(pool);
		return pool;
	}

	private static KcpSession session(int conv) {
		KcpSession session = mock(KcpSession.class);
		when(session.conv()).thenReturn(conv);
		when(session.remoteAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 5000 + conv));
		when(session.localAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 9700));
		when(session.attributes()).thenReturn(new ConcurrentHashMap<>());
		return session;
	}

	private static void awaitLatch(CountDownLatch latch) {
		try {
			assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static String text(byte[] bytes) {
		return new String(bytes, StandardCharsets.UTF_8);
	}

}
