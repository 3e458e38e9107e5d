package io.github.kcp.core.transport;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.netty.channel.EventLoop;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sessions' timers of one socket, behind one loop timer: each runs at its deadline in deadline order, a deadline
 * moved later is not served early, a cancelled timer never runs, timers due in the same millisecond share one
 * wake-up and one flush, and a failing timer does not stop the others.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LoopTimersTest {

	private static KcpEventLoopGroup group;

	private static EventLoop loop;

	private final List<String> events = Collections.synchronizedList(new ArrayList<>());

	@BeforeAll
	static void startLoop() {
		group = KcpEventLoopGroup.create(1, "loop-timers-test", true);
		loop = group.netty().next();
	}

	@AfterAll
	static void stopLoop() {
		group.close();
	}

	private LoopTimers newTimers() throws Exception {
		return onLoop(() -> new LoopTimers(loop, () -> this.events.add("hold"), () -> this.events.add("flush")));
	}

	private static <T> T onLoop(Callable<T> task) throws Exception {
		return loop.submit(task).get(10, TimeUnit.SECONDS);
	}

	@Test
	void timersRunAtTheirDeadlinesInDeadlineOrder() throws Exception {
		LoopTimers timers = newTimers();
		CountDownLatch done = new CountDownLatch(3);
		List<Long> lateness = Collections.synchronizedList(new ArrayList<>());
		onLoop(() -> {
			long now = MonotonicClock.nowMillis();
			for (int delay : new int[] { 60, 20, 40 }) {
				long deadline = now + delay;
				timers.newTimer(() -> {
					lateness.add(MonotonicClock.nowMillis() - deadline);
					this.events.add("t" + delay);
					done.countDown();
				}).arm(deadline);
			}
			return null;
		});
		assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.events).filteredOn((event) -> event.startsWith("t")).containsExactly("t20", "t40", "t60");
		// Never early (a loaded machine may make them late).
		assertThat(lateness).allSatisfy((late) -> assertThat(late).isGreaterThanOrEqualTo(0));
		assertThat(onLoop(timers::size)).isZero();
	}

	@Test
	void aTimerCancelledOrMovedByAnEarlierTimerOfTheSameBatchDoesNotRunInIt() throws Exception {
		LoopTimers timers = newTimers();
		CountDownLatch done = new CountDownLatch(1);
		List<Long> movedRanLate = Collections.synchronizedList(new ArrayList<>());
		onLoop(() -> {
			long now = MonotonicClock.nowMillis();
			LoopTimers.Timer cancelled = timers.newTimer(() -> this.events.add("cancelled ran"));
			long[] movedTo = new long[1];
			LoopTimers.Timer moved = timers.newTimer(() -> {
				movedRanLate.add(MonotonicClock.nowMillis() - movedTo[0]);
				this.events.add("moved ran");
				done.countDown();
			});
			// All three due at once: the first (earliest deadline) runs first and changes the other two.
			timers.newTimer(() -> {
				this.events.add("first ran");
				cancelled.cancel();
				movedTo[0] = MonotonicClock.nowMillis() + 50;
				moved.arm(movedTo[0]);
			}).arm(now - 2);
			cancelled.arm(now - 1);
			moved.arm(now - 1);
			return null;
		});
		assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.events).filteredOn((event) -> event.endsWith("ran")).containsExactly("first ran", "moved ran");
		assertThat(movedRanLate).singleElement().satisfies((late) -> assertThat(late).isGreaterThanOrEqualTo(0));
		assertThat(onLoop(timers::size)).isZero();
	}

	@Test
	void aDeadlineMovedLaterIsNotServedEarlyAndACancelledTimerNeverRuns() throws Exception {
		LoopTimers timers = newTimers();
		CountDownLatch moved = new CountDownLatch(1);
		CountDownLatch witness = new CountDownLatch(1);
		long[] ranAt = new long[1];
		long[] movedTo = new long[1];
		onLoop(() -> {
			long now = MonotonicClock.nowMillis();
			LoopTimers.Timer later = timers.newTimer(() -> {
				ranAt[0] = MonotonicClock.nowMillis();
				this.events.add("moved");
				moved.countDown();
			});
			later.arm(now + 10);
			movedTo[0] = now + 80;
			later.arm(movedTo[0]);
			LoopTimers.Timer cancelled = timers.newTimer(() -> this.events.add("cancelled"));
			cancelled.arm(now + 20);
			cancelled.cancel();
			// A timer due after the cancelled one: when it has run, the cancelled one would have run too.
			timers.newTimer(() -> {
				this.events.add("witness");
				witness.countDown();
			}).arm(now + 40);
			return null;
		});
		assertThat(witness.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(moved.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(ranAt[0]).isGreaterThanOrEqualTo(movedTo[0]);
		assertThat(this.events).doesNotContain("cancelled");
		assertThat(this.events).filteredOn((event) -> !event.equals("hold") && !event.equals("flush"))
			.containsExactly("witness", "moved");
	}

	@Test
	void timersDueInTheSameMillisecondShareOneWakeupAndOneFlush() throws Exception {
		LoopTimers timers = newTimers();
		int count = 1000;
		CountDownLatch done = new CountDownLatch(count);
		onLoop(() -> {
			long deadline = MonotonicClock.nowMillis() + 30;
			for (int i = 0; i < count; i++) {
				timers.newTimer(() -> {
					this.events.add("run");
					done.countDown();
				}).arm(deadline);
			}
			return null;
		});
		assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(onLoop(timers::batches)).isEqualTo(1);
		assertThat(onLoop(timers::fired)).isEqualTo(count);
		assertThat(this.events.get(0)).isEqualTo("hold");
		assertThat(this.events.get(this.events.size() - 1)).isEqualTo("flush");
		assertThat(this.events).filteredOn("flush"::equals).hasSize(1);
	}

	@Test
	void aTimerThatThrowsDoesNotStopTheOthersAndReArmingRunsItAgain() throws Exception {
		LoopTimers timers = newTimers();
		CountDownLatch second = new CountDownLatch(1);
		CountDownLatch again = new CountDownLatch(1);
		onLoop(() -> {
			long deadline = MonotonicClock.nowMillis() + 20;
			LoopTimers.Timer[] failing = new LoopTimers.Timer[1];
			failing[0] = timers.newTimer(() -> {
				if (again.getCount() > 0 && this.events.contains("failed")) {
					again.countDown();
					return;
				}
				this.events.add("failed");
				// Re-armed for now from its own task: runs in the next wake-up, not in this one forever.
				failing[0].arm(MonotonicClock.nowMillis());
				throw new IllegalStateException("a failing timer (expected in this test)");
			});
			failing[0].arm(deadline);
			timers.newTimer(second::countDown).arm(deadline);
			return null;
		});
		assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(again.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(onLoop(timers::batches)).isGreaterThanOrEqualTo(2);
	}

}
