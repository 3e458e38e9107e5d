package io.github.kcp.spring.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.transport.KcpSession;

/**
 * Reads the {@link KcpSessionStats} of many sessions at once, for metrics and management endpoints. A session's
 * statistics are taken on its event loop; asking each session in turn would wait for one loop hop per session, so
 * this asks all of them first and then collects the answers.
 */
public final class KcpSessionStatsReader {

	private KcpSessionStatsReader() {
	}

	/**
	 * The statistics of the sessions, in their iteration order. A session whose loop does not answer within the
	 * timeout (or no longer runs) is left out.
	 * @param sessions the sessions
	 * @param timeout how long to wait for all answers together
	 * @return the statistics by session
	 */
	public static Map<KcpSession, KcpSessionStats> read(Collection<? extends KcpSession> sessions, Duration timeout) {
		List<KcpSession> asked = new ArrayList<>(sessions.size());
		List<CompletableFuture<KcpSessionStats>> answers = new ArrayList<>(sessions.size());
		for (KcpSession session : sessions) {
			try {
				answers.add(CompletableFuture.supplyAsync(session::stats, session.executor()));
				asked.add(session);
			}
			catch (RejectedExecutionException ex) {
				// Its event loop has shut down: nothing to read.
			}
		}
		long deadline = System.nanoTime() + timeout.toNanos();
		Map<KcpSession, KcpSessionStats> result = new LinkedHashMap<>();
		for (int i = 0; i < asked.size(); i++) {
			try {
				long remaining = Math.max(0, deadline - System.nanoTime());
				result.put(asked.get(i), answers.get(i).get(remaining, TimeUnit.NANOSECONDS));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
			catch (ExecutionException | TimeoutException ex) {
				// Left out; the next read asks again.
			}
		}
		return result;
	}

}
