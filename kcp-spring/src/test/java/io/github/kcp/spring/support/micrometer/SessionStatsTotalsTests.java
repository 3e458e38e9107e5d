package io.github.kcp.spring.support.micrometer;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.support.micrometer.SessionStatsTotals.Total;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/**
 * The totals sum the final counters of closed sessions and the current ones of open sessions, each session once,
 * reuse a snapshot for its maximum age, and never go down (a session whose event loop does not answer is left out
 * of a snapshot, not subtracted).
 */
class SessionStatsTotalsTests {

	private final AtomicLong nanos = new AtomicLong();

	private final SessionStatsTotals totals = new SessionStatsTotals(Duration.ofSeconds(1), this.nanos::get);

	@Test
	void closedAndOpenSessionsAreEachCountedOnce() {
		KcpSession first = session(stats(10, 1));
		KcpSession second = session(stats(5, 0));
		this.totals.sessionOpened(first);
		this.totals.sessionOpened(second);
		assertThat(this.totals.snapshot().get(Total.MESSAGES_IN)).isEqualTo(15);
		assertThat(this.totals.openSessions()).isEqualTo(2);

		// The first closes with more than it had: its final counters replace its live ones.
		KcpSessionStats last = stats(12, 2);
		given(first.stats()).willReturn(last);
		this.totals.sessionClosed(first, CloseReason.CLOSED_BY_PEER);
		assertThat(this.totals.snapshot().get(Total.MESSAGES_IN)).as("a snapshot is reused for a second")
			.isEqualTo(15);
		this.nanos.addAndGet(Duration.ofSeconds(1).toNanos());
		SessionStatsTotals.Snapshot snapshot = this.totals.snapshot();
		assertThat(snapshot.get(Total.MESSAGES_IN)).isEqualTo(17);
		assertThat(snapshot.dropped(DropReason.DECRYPT_FAILED)).isEqualTo(2);
		assertThat(snapshot.openSessions()).isEqualTo(1);
		assertThat(this.totals.openSessions()).isEqualTo(1);
	}

	@Test
	void aSessionThatDoesNotAnswerDoesNotMakeACounterGoDown() {
		KcpSession quiet = session(stats(10, 0));
		this.totals.sessionOpened(quiet);
		assertThat(this.totals.snapshot().get(Total.MESSAGES_IN)).isEqualTo(10);
		// Its event loop has gone: the next snapshot cannot read it.
		given(quiet.executor()).willReturn((task) -> {
			throw new java.util.concurrent.RejectedExecutionException("shut down");
		});
		this.nanos.addAndGet(Duration.ofSeconds(2).toNanos());
		assertThat(this.totals.snapshot().get(Total.MESSAGES_IN)).isEqualTo(10);
	}

	private static KcpSession session(KcpSessionStats stats) {
		KcpSession session = mock(KcpSession.class);
		given(session.stats()).willReturn(stats);
		Executor direct = Runnable::run;
		given(session.executor()).willReturn(direct);
		return session;
	}

	private static KcpSessionStats stats(long messagesIn, long decryptFailures) {
		KcpSessionStats stats = mock(KcpSessionStats.class);
		given(stats.messagesIn()).willReturn(messagesIn);
		given(stats.droppedDatagrams(DropReason.DECRYPT_FAILED)).willReturn(decryptFailures);
		return stats;
	}

}
