package io.github.kcp.spring.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link SerialExecutor}: one at a time, in order, fair to other serial executors on the same pool.
 */
@Timeout(30)
class SerialExecutorTests {

	private final ExecutorService pool = Executors.newFixedThreadPool(4);

	@AfterEach
	void shutDown() {
		this.pool.shutdownNow();
	}

	@Test
	void runsTasksOneAtATimeInSubmissionOrder() throws Exception {
		SerialExecutor serial = new SerialExecutor(this.pool, 3);
		List<Integer> order = new ArrayList<>();
		AtomicInteger running = new AtomicInteger();
		AtomicInteger maxRunning = new AtomicInteger();
		CountDownLatch done = new CountDownLatch(1000);
		for (int i = 0; i < 1000; i++) {
			int n = i;
			serial.execute(() -> {
				maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
				// A plain ArrayList: safe only if each task happens-before the next
				order.add(n);
				running.decrementAndGet();
				done.countDown();
			});
		}
		assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(maxRunning).hasValue(1);
		assertThat(order).hasSize(1000).isSorted();
		// The worker lets go of the queue just after the last task returns
		await().atMost(Duration.ofSeconds(10)).until(serial::isIdle);
	}

	@Test
	void aBusyQueueHandsItsThreadBackSoOthersProgress() throws Exception {
		ExecutorService single = Executors.newSingleThreadExecutor();
		try {
			SerialExecutor busy = new SerialExecutor(single, 2);
			SerialExecutor other = new SerialExecutor(single, 2);
			List<String> order = new CopyOnWriteArrayList<>();
			CountDownLatch gate = new CountDownLatch(1);
			busy.execute(() -> awaitQuietly(gate));
			for (int i = 0; i < 6; i++) {
				int n = i;
				busy.execute(() -> order.add("busy" + n));
			}
			CountDownLatch otherRan = new CountDownLatch(1);
			other.execute(() -> {
				order.add("other");
				otherRan.countDown();
			});
			gate.countDown();
			assertThat(otherRan.await(10, TimeUnit.SECONDS)).isTrue();
			CountDownLatch all = new CountDownLatch(1);
			busy.execute(all::countDown);
			assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
			// "other" ran after the busy queue's first batch of 2, long before its 6 tasks were done
			assertThat(order.indexOf("other")).isLessThan(order.indexOf("busy5"));
		}
		finally {
			single.shutdownNow();
		}
	}

	@Test
	void aRefusingExecutorRejectsTheNewTaskOnly() {
		ExecutorService closed = Executors.newSingleThreadExecutor();
		closed.shutdown();
		SerialExecutor serial = new SerialExecutor(closed);
		assertThatExceptionOfType(RejectedExecutionException.class).isThrownBy(() -> serial.execute(() -> {
		}));
		assertThat(serial.isIdle()).isTrue();
	}

	@Test
	void enqueueKeepsWhatARefusingExecutorRefusedAndRunsItOnResume() throws Exception {
		ThreadPoolExecutor saturated = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));
		try {
			CountDownLatch gate = new CountDownLatch(1);
			saturated.execute(() -> awaitQuietly(gate));
			saturated.execute(() -> {
			});
			List<SerialExecutor> stalled = new CopyOnWriteArrayList<>();
			SerialExecutor serial = new SerialExecutor(saturated, 8, stalled::add);
			List<Integer> ran = new CopyOnWriteArrayList<>();
			assertThat(serial.enqueue(() -> ran.add(1))).as("refused: the pool is full").isFalse();
			assertThat(serial.enqueue(() -> ran.add(2))).as("still stalled").isFalse();
			assertThat(stalled).containsExactly(serial);
			assertThat(serial.isStalled()).isTrue();
			assertThat(serial.isIdle()).as("the refused tasks are kept").isFalse();
			assertThat(serial.resume()).as("still no room").isFalse();
			gate.countDown();
			await().atMost(Duration.ofSeconds(10)).until(() -> saturated.getQueue().isEmpty());
			await().atMost(Duration.ofSeconds(10)).until(serial::resume);
			await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 2);
			assertThat(ran).containsExactly(1, 2);
		}
		finally {
			saturated.shutdownNow();
		}
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
