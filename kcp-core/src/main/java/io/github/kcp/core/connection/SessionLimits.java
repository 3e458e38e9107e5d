package io.github.kcp.core.connection;

import org.jspecify.annotations.Nullable;

/**
 * The default {@link AdmissionPolicy}: at most {@link KcpSettings#MAX_SESSIONS} conversations at once, and at most
 * {@link KcpSettings#NEW_SESSIONS_PER_SECOND} new ones per second (a token bucket that starts full and holds one
 * second's worth; 0 means no rate limit).
 *
 * @param <A> the type of peer addresses
 */
public final class SessionLimits<A> implements AdmissionPolicy<A> {

	private final int maxSessions;

	private final int newSessionsPerSecond;

	private double tokens;

	private long lastRefill;

	private boolean started;

	/**
	 * Creates the policy.
	 * @param maxSessions most conversations at once (see {@link KcpSettings#MAX_SESSIONS})
	 * @param newSessionsPerSecond most new conversations per second, 0 for no limit (see
	 * {@link KcpSettings#NEW_SESSIONS_PER_SECOND})
	 * @throws InvalidKcpSettingException if a value breaks its setting's rule
	 */
	public SessionLimits(int maxSessions, int newSessionsPerSecond) {
		this.maxSessions = KcpSettings.MAX_SESSIONS.validate(maxSessions);
		this.newSessionsPerSecond = KcpSettings.NEW_SESSIONS_PER_SECOND.validate(newSessionsPerSecond);
		this.tokens = newSessionsPerSecond;
	}

	@Override
	public @Nullable DropReason admit(A address, long now, int openSessions) {
		if (openSessions >= this.maxSessions) {
			return DropReason.SESSION_LIMIT;
		}
		if (this.newSessionsPerSecond == 0) {
			return null;
		}
		if (this.started) {
			long elapsed = Math.max(0, now - this.lastRefill);
			this.tokens = Math.min(this.newSessionsPerSecond, this.tokens + elapsed * this.newSessionsPerSecond / 1000.0);
		}
		this.started = true;
		this.lastRefill = now;
		if (this.tokens >= 1) {
			this.tokens -= 1;
			return null;
		}
		return DropReason.RATE_LIMITED;
	}

	@Override
	public String toString() {
		return "SessionLimits{maxSessions=" + this.maxSessions + ", newSessionsPerSecond=" + this.newSessionsPerSecond
				+ "}";
	}

}
