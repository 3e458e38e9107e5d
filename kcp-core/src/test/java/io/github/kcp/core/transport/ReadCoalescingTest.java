package io.github.kcp.core.transport;

import java.util.ArrayList;
import java.util.List;

import io.netty.channel.SelectStrategy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event loops' select strategy on a virtual clock: Netty's default until a server asks, then a pause before a
 * poll that comes sooner than the pause after the previous one — never with tasks pending, and only while the
 * request holds.
 */
class ReadCoalescingTest {

	private static final long PAUSE = 500_000;

	private long now = 1_000_000_000L;

	private final List<Long> parks = new ArrayList<>();

	private int ready;

	private int selectNowCalls;

	private final ReadCoalescing strategy = new ReadCoalescing(() -> this.now, (nanos) -> {
		this.parks.add(nanos);
		this.now += nanos;
	});

	private int poll(boolean hasTasks) throws Exception {
		return this.strategy.calculateStrategy(() -> {
			this.selectNowCalls++;
			return this.ready;
		}, hasTasks);
	}

	@Test
	void withoutARequestItBlocksAtOnceAsNettysDefault() throws Exception {
		for (int i = 0; i < 100; i++) {
			assertThat(poll(false)).isEqualTo(SelectStrategy.SELECT);
			this.now += 10_000;
		}
		assertThat(this.parks).isEmpty();
		assertThat(this.selectNowCalls).isZero();
		this.ready = 2;
		assertThat(poll(true)).as("tasks pending: poll without blocking").isEqualTo(2);
	}

	@Test
	void aRequestPausesAPollThatComesTooSoonAfterThePreviousOne() throws Exception {
		this.strategy.request(PAUSE);
		assertThat(poll(false)).isEqualTo(SelectStrategy.SELECT);
		this.now += 100_000;
		this.ready = 3;
		assertThat(poll(false)).as("what arrived during the pause, read at once").isEqualTo(3);
		assertThat(this.parks).containsExactly(400_000L);
		this.now += 50_000;
		this.ready = 0;
		assertThat(poll(false)).as("nothing arrived: block as usual").isEqualTo(SelectStrategy.SELECT);
		assertThat(this.parks).containsExactly(400_000L, 450_000L);
		assertThat(this.strategy.pauses()).isEqualTo(2);
		// A poll that comes after the pause has passed does not wait.
		this.now += 600_000;
		assertThat(poll(false)).isEqualTo(SelectStrategy.SELECT);
		assertThat(this.parks).hasSize(2);
	}

	@Test
	void pendingTasksAreNeverHeldBack() throws Exception {
		this.strategy.request(PAUSE);
		poll(false);
		this.now += 1_000;
		this.ready = 0;
		assertThat(poll(true)).isZero();
		assertThat(this.parks).isEmpty();
	}

	@Test
	void aRequestEndsByItselfUnlessRenewed() throws Exception {
		this.strategy.request(PAUSE);
		assertThat(this.strategy.isActive()).isTrue();
		poll(false);
		this.now += ReadCoalescing.HOLD_NANOS;
		assertThat(this.strategy.isActive()).isFalse();
		poll(false);
		this.now += 1_000;
		assertThat(poll(false)).isEqualTo(SelectStrategy.SELECT);
		assertThat(this.parks).isEmpty();
		// Renewed: the poll after the request is the reference, the one after it waits.
		this.strategy.request(PAUSE);
		poll(false);
		this.now += 1_000;
		poll(false);
		assertThat(this.parks).containsExactly(PAUSE - 1_000);
	}

	@Test
	void aParkThatReturnsEarlyIsRepeatedABoundedNumberOfTimes() throws Exception {
		List<Long> calls = new ArrayList<>();
		ReadCoalescing spurious = new ReadCoalescing(() -> this.now, calls::add);
		spurious.request(PAUSE);
		spurious.calculateStrategy(() -> 0, false);
		assertThat(spurious.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.SELECT);
		assertThat(calls).hasSize(4);
	}

}
