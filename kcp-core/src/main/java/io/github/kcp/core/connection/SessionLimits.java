package io.github.kcp.core.connection;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * The default {@link AdmissionPolicy}: at most {@link KcpSettings#MAX_SESSIONS} conversations at once and
 * {@link KcpSettings#NEW_SESSIONS_PER_SECOND} new ones per second, and per source address at most
 * {@link KcpSettings#MAX_SESSIONS_PER_ADDRESS} at once and {@link KcpSettings#NEW_SESSIONS_PER_ADDRESS_PER_SECOND}
 * new ones per second. Rates are token buckets that start full and hold one second's worth; 0 means no limit.
 * <p>
 * What a "source" is, the shell decides ({@code sourceOf}): the server groups IPv6 addresses by their /64 prefix,
 * which one host usually owns whole. It keeps state only for sources with open conversations, and for a second
 * after their last one closed (while their bucket refills), so spoofed addresses cost nothing here.
 *
 * @param <A> the type of peer addresses
 */
public final class SessionLimits<A> implements AdmissionPolicy<A> {

	private final int maxSessions;

	private final int maxSessionsPerAddress;

	private final int newSessionsPerAddressPerSecond;

	private final Function<? super A, ?> sourceOf;

	private final TokenBucket rate;

	/** Sources with open conversations, or whose bucket is still refilling after their last one closed. */
	private final Map<Object, Source> sources = new HashMap<>();

	/** Sources whose last conversation closed, in that order: forgotten once their bucket is full again. */
	private final ArrayDeque<Source> idle = new ArrayDeque<>();

	/**
	 * Creates the policy without limits per address.
	 * @param maxSessions most conversations at once (see {@link KcpSettings#MAX_SESSIONS})
	 * @param newSessionsPerSecond most new conversations per second, 0 for no limit (see
	 * {@link KcpSettings#NEW_SESSIONS_PER_SECOND})
	 * @throws InvalidKcpSettingException if a value breaks its setting's rule
	 */
	public SessionLimits(int maxSessions, int newSessionsPerSecond) {
		this(maxSessions, newSessionsPerSecond, 0, 0, Function.identity());
	}

	/**
	 * Creates the policy.
	 * @param maxSessions most conversations at once (see {@link KcpSettings#MAX_SESSIONS})
	 * @param newSessionsPerSecond most new conversations per second, 0 for no limit
	 * @param maxSessionsPerAddress most conversations of one source at once, 0 for no limit (see
	 * {@link KcpSettings#MAX_SESSIONS_PER_ADDRESS})
	 * @param newSessionsPerAddressPerSecond most new conversations of one source per second, 0 for no limit
	 * @param sourceOf the source an address counts for (equal sources share the per-address limits)
	 * @throws InvalidKcpSettingException if a value breaks its setting's rule
	 */
	public SessionLimits(int maxSessions, int newSessionsPerSecond, int maxSessionsPerAddress,
			int newSessionsPerAddressPerSecond, Function<? super A, ?> sourceOf) {
		this.maxSessions = KcpSettings.MAX_SESSIONS.validate(maxSessions);
		this.rate = new TokenBucket(KcpSettings.NEW_SESSIONS_PER_SECOND.validate(newSessionsPerSecond));
		this.maxSessionsPerAddress = KcpSettings.MAX_SESSIONS_PER_ADDRESS.validate(maxSessionsPerAddress);
		this.newSessionsPerAddressPerSecond = KcpSettings.NEW_SESSIONS_PER_ADDRESS_PER_SECOND
			.validate(newSessionsPerAddressPerSecond);
		this.sourceOf = Objects.requireNonNull(sourceOf, "sourceOf");
	}

	@Override
	public @Nullable DropReason admit(A address, long now, int openSessions) {
		forgetRefilled(now);
		if (openSessions >= this.maxSessions) {
			return DropReason.SESSION_LIMIT;
		}
		Source source = tracksSources() ? this.sources.get(this.sourceOf.apply(address)) : null;
		if (source != null && this.maxSessionsPerAddress > 0 && source.sessions >= this.maxSessionsPerAddress) {
			return DropReason.ADDRESS_SESSION_LIMIT;
		}
		// Both rates are checked before either is charged: a refused datagram costs no token.
		if (!this.rate.hasToken(now)) {
			return DropReason.RATE_LIMITED;
		}
		if (source != null && !source.bucket.hasToken(now)) {
			return DropReason.ADDRESS_RATE_LIMITED;
		}
		this.rate.take();
		// A source without state has a full bucket: its token is taken when the conversation opens.
		if (source != null) {
			source.bucket.take();
			source.charged = true;
		}
		return null;
	}

	@Override
	public void opened(A address, long now) {
		if (!tracksSources()) {
			return;
		}
		Object key = this.sourceOf.apply(address);
		Source source = this.sources.get(key);
		if (source == null) {
			source = new Source(key, new TokenBucket(this.newSessionsPerAddressPerSecond));
			source.bucket.hasToken(now);
			this.sources.put(key, source);
		}
		if (!source.charged) {
			source.bucket.hasToken(now);
			source.bucket.take();
		}
		source.charged = false;
		source.sessions++;
		source.idleSince = -1;
	}

	@Override
	public void closed(A address, long now) {
		if (!tracksSources()) {
			return;
		}
		Source source = this.sources.get(this.sourceOf.apply(address));
		if (source == null || --source.sessions > 0) {
			return;
		}
		source.idleSince = now;
		this.idle.addLast(source);
	}

	/** How many sources the policy keeps state for (tests: spoofed addresses must not pile up). */
	int trackedSources() {
		return this.sources.size();
	}

	private boolean tracksSources() {
		return this.maxSessionsPerAddress > 0 || this.newSessionsPerAddressPerSecond > 0;
	}

	/** Forgets sources without conversations whose bucket is full again: a second after their last one closed. */
	private void forgetRefilled(long now) {
		Source oldest;
		while ((oldest = this.idle.peekFirst()) != null) {
			if (oldest.idleSince < 0 || oldest.sessions > 0) {
				// Opened again since: still tracked, no longer idle.
				this.idle.pollFirst();
				continue;
			}
			if (now - oldest.idleSince < 1000) {
				return;
			}
			this.idle.pollFirst();
			// Only this source: a source of the same key may have been tracked anew since.
			this.sources.remove(oldest.key, oldest);
		}
	}

	@Override
	public String toString() {
		return "SessionLimits{maxSessions=" + this.maxSessions + ", newSessionsPerSecond=" + this.rate.perSecond
				+ ", maxSessionsPerAddress=" + this.maxSessionsPerAddress + ", newSessionsPerAddressPerSecond="
				+ this.newSessionsPerAddressPerSecond + "}";
	}

	/** One source's open conversations and admission rate. */
	private static final class Source {

		final Object key;

		final TokenBucket bucket;

		int sessions;

		/** When its last conversation closed, or -1 while it has some. */
		long idleSince = -1;

		/** Whether {@link #admit} took the token of the conversation about to open. */
		boolean charged;

		Source(Object key, TokenBucket bucket) {
			this.key = key;
			this.bucket = bucket;
		}

	}

	/** A rate of {@code perSecond} (0: unlimited), holding one second's worth, full at first. */
	private static final class TokenBucket {

		final int perSecond;

		private double tokens;

		private long lastRefill;

		private boolean started;

		TokenBucket(int perSecond) {
			this.perSecond = perSecond;
			this.tokens = perSecond;
		}

		/** Refills to {@code now}; whether a token is there. */
		boolean hasToken(long now) {
			if (this.perSecond == 0) {
				return true;
			}
			if (this.started) {
				long elapsed = Math.max(0, now - this.lastRefill);
				this.tokens = Math.min(this.perSecond, this.tokens + elapsed * this.perSecond / 1000.0);
			}
			this.started = true;
			this.lastRefill = now;
			return this.tokens >= 1;
		}

		void take() {
			if (this.perSecond != 0) {
				this.tokens -= 1;
			}
		}

	}

}
