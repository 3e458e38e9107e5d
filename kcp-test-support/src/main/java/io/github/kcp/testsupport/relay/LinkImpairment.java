package io.github.kcp.testsupport.relay;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable description of how a {@link LossyUdpRelay} mistreats the datagrams it
 * forwards.
 *
 * <p>Every setting applies to each direction on its own (client to target, and target
 * to client), as on a symmetric link, except loss, which can differ per direction.
 * For each datagram the relay applies, in order:
 * <ol>
 * <li><b>loss</b>: the datagram is dropped with the direction's loss probability;</li>
 * <li><b>bandwidth</b>: if a cap is set, the datagram waits for the bottleneck to
 * finish sending earlier datagrams, and is dropped if {@link #queueLimit()} datagrams
 * are already waiting, as a router with a full output queue would;</li>
 * <li><b>duplication</b>: with the duplication probability, a second copy is
 * scheduled (duplicates do not use bandwidth, they model a retransmitting link
 * layer);</li>
 * <li><b>delay</b>: each copy is delayed by {@link #delay()}, plus a uniform random
 * {@code 0..}{@link #jitter()}, plus {@link #reorderDelay()} with the reordering
 * probability, so that later datagrams overtake it.</li>
 * </ol>
 *
 * <p>All random decisions come from generators seeded with {@link #seed()}, one per
 * direction, and the relay draws the same number of random values for every
 * datagram, so the fate of the n-th datagram of a direction depends only on the seed
 * and the impairment, never on timing or on traffic in the other direction.
 *
 * <p>Instances are usually made with {@link #builder()}; {@link #none()} and
 * {@link #cut()} cover the two common extremes.
 *
 * @param lossToTarget probability in {@code [0, 1]} that a datagram from a client to
 * the target is dropped
 * @param lossToClient probability in {@code [0, 1]} that a datagram from the target to
 * a client is dropped
 * @param delay fixed one-way delay added to every datagram
 * @param jitter upper bound of a uniform random extra one-way delay
 * @param reorderProbability probability in {@code [0, 1]} that a datagram is held back
 * by {@code reorderDelay}
 * @param reorderDelay extra delay of a held-back datagram; must be positive when
 * {@code reorderProbability} is
 * @param duplicateProbability probability in {@code [0, 1]} that a datagram is
 * delivered twice
 * @param bandwidthBytesPerSecond cap on payload bytes per second per direction, or
 * {@code 0} for no cap
 * @param queueLimit maximum number of datagrams waiting for the bandwidth cap per
 * direction; ignored without a cap
 * @param seed seed of the random decisions
 */
public record LinkImpairment(double lossToTarget, double lossToClient, Duration delay, Duration jitter,
		double reorderProbability, Duration reorderDelay, double duplicateProbability, long bandwidthBytesPerSecond,
		int queueLimit, long seed) {

	/**
	 * Default {@link #queueLimit()}: deep enough not to hurt a KCP window of a few
	 * hundred segments, shallow enough that a saturated link drops rather than
	 * buffering seconds of traffic.
	 */
	public static final int DEFAULT_QUEUE_LIMIT = 256;

	/**
	 * Default {@link #seed()}; fixed, so that runs are reproducible unless a test asks
	 * for something else.
	 */
	public static final long DEFAULT_SEED = 0x6B6370L;

	private static final LinkImpairment NONE = builder().build();

	/**
	 * Create an impairment, validating the settings; {@link #builder()} is usually
	 * more readable.
	 * @param lossToTarget loss probability from clients to the target
	 * @param lossToClient loss probability from the target to clients
	 * @param delay fixed one-way delay
	 * @param jitter upper bound of the random extra one-way delay
	 * @param reorderProbability probability that a datagram is held back
	 * @param reorderDelay extra delay of a held-back datagram
	 * @param duplicateProbability probability that a datagram is delivered twice
	 * @param bandwidthBytesPerSecond payload rate cap per direction, {@code 0} for none
	 * @param queueLimit datagrams that may wait for the bandwidth cap per direction
	 * @param seed seed of the random decisions
	 * @throws IllegalArgumentException if a probability is outside {@code [0, 1]}, a
	 * duration is negative, the bandwidth is negative, the queue limit is not positive,
	 * or reordering is enabled without a positive reorder delay
	 * @throws NullPointerException if a duration is {@code null}
	 */
	public LinkImpairment {
		checkProbability("lossToTarget", lossToTarget);
		checkProbability("lossToClient", lossToClient);
		checkProbability("reorderProbability", reorderProbability);
		checkProbability("duplicateProbability", duplicateProbability);
		checkDuration("delay", delay);
		checkDuration("jitter", jitter);
		checkDuration("reorderDelay", reorderDelay);
		if (reorderProbability > 0 && reorderDelay.isZero()) {
			// Holding a datagram back by zero time would silently reorder nothing.
			throw new IllegalArgumentException("reorderDelay must be positive when reorderProbability is "
					+ reorderProbability);
		}
		if (bandwidthBytesPerSecond < 0) {
			throw new IllegalArgumentException(
					"bandwidthBytesPerSecond must be >= 0 (0 = unlimited), got " + bandwidthBytesPerSecond);
		}
		if (queueLimit < 1) {
			throw new IllegalArgumentException("queueLimit must be >= 1, got " + queueLimit);
		}
	}

	/**
	 * Return an impairment that forwards everything at once, untouched.
	 * @return the perfect link
	 */
	public static LinkImpairment none() {
		return NONE;
	}

	/**
	 * Return an impairment that drops every datagram in both directions, for
	 * simulating a dead link; datagrams already in flight are still delivered.
	 * @return the cut link
	 */
	public static LinkImpairment cut() {
		return builder().loss(1.0).build();
	}

	/**
	 * Return a builder with every setting at its neutral default.
	 * @return a new builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Return a builder initialised from this impairment, for deriving a variant.
	 * @return a new builder
	 */
	public Builder toBuilder() {
		return new Builder(this);
	}

	/**
	 * Return whether any bandwidth cap applies.
	 * @return {@code true} if {@link #bandwidthBytesPerSecond()} is positive
	 */
	public boolean hasBandwidthCap() {
		return this.bandwidthBytesPerSecond > 0;
	}

	private static void checkProbability(String name, double value) {
		// The negated form also rejects NaN.
		if (!(value >= 0.0 && value <= 1.0)) {
			throw new IllegalArgumentException(name + " must be within [0, 1], got " + value);
		}
	}

	private static void checkDuration(String name, Duration value) {
		Objects.requireNonNull(value, () -> name + " must not be null");
		if (value.isNegative()) {
			throw new IllegalArgumentException(name + " must not be negative, got " + value);
		}
	}

	/**
	 * Mutable builder of {@link LinkImpairment}; not thread-safe.
	 */
	public static final class Builder {

		private double lossToTarget;

		private double lossToClient;

		private Duration delay = Duration.ZERO;

		private Duration jitter = Duration.ZERO;

		private double reorderProbability;

		private Duration reorderDelay = Duration.ZERO;

		private double duplicateProbability;

		private long bandwidthBytesPerSecond;

		private int queueLimit = DEFAULT_QUEUE_LIMIT;

		private long seed = DEFAULT_SEED;

		private Builder() {
		}

		private Builder(LinkImpairment source) {
			this.lossToTarget = source.lossToTarget;
			this.lossToClient = source.lossToClient;
			this.delay = source.delay;
			this.jitter = source.jitter;
			this.reorderProbability = source.reorderProbability;
			this.reorderDelay = source.reorderDelay;
			this.duplicateProbability = source.duplicateProbability;
			this.bandwidthBytesPerSecond = source.bandwidthBytesPerSecond;
			this.queueLimit = source.queueLimit;
			this.seed = source.seed;
		}

		/**
		 * Set the same loss probability for both directions.
		 * @param probability probability in {@code [0, 1]}
		 * @return this builder
		 */
		public Builder loss(double probability) {
			this.lossToTarget = probability;
			this.lossToClient = probability;
			return this;
		}

		/**
		 * Set the loss probability of datagrams from clients to the target.
		 * @param probability probability in {@code [0, 1]}
		 * @return this builder
		 */
		public Builder lossToTarget(double probability) {
			this.lossToTarget = probability;
			return this;
		}

		/**
		 * Set the loss probability of datagrams from the target to clients.
		 * @param probability probability in {@code [0, 1]}
		 * @return this builder
		 */
		public Builder lossToClient(double probability) {
			this.lossToClient = probability;
			return this;
		}

		/**
		 * Set the fixed one-way delay.
		 * @param delay the delay, not negative
		 * @return this builder
		 */
		public Builder delay(Duration delay) {
			this.delay = delay;
			return this;
		}

		/**
		 * Set the upper bound of the uniform random extra one-way delay.
		 * @param jitter the bound, not negative
		 * @return this builder
		 */
		public Builder jitter(Duration jitter) {
			this.jitter = jitter;
			return this;
		}

		/**
		 * Hold back datagrams with the given probability by the given extra delay.
		 * @param probability probability in {@code [0, 1]}
		 * @param extraDelay how long a held-back datagram waits; positive if the
		 * probability is
		 * @return this builder
		 */
		public Builder reorder(double probability, Duration extraDelay) {
			this.reorderProbability = probability;
			this.reorderDelay = extraDelay;
			return this;
		}

		/**
		 * Set the probability that a datagram is delivered twice.
		 * @param probability probability in {@code [0, 1]}
		 * @return this builder
		 */
		public Builder duplicate(double probability) {
			this.duplicateProbability = probability;
			return this;
		}

		/**
		 * Cap each direction at the given payload rate.
		 * @param bytesPerSecond the cap, or {@code 0} for none
		 * @return this builder
		 */
		public Builder bandwidth(long bytesPerSecond) {
			this.bandwidthBytesPerSecond = bytesPerSecond;
			return this;
		}

		/**
		 * Set how many datagrams may wait for the bandwidth cap before further ones are
		 * dropped.
		 * @param datagrams the limit, at least 1
		 * @return this builder
		 */
		public Builder queueLimit(int datagrams) {
			this.queueLimit = datagrams;
			return this;
		}

		/**
		 * Set the seed of the random decisions.
		 * @param seed the seed
		 * @return this builder
		 */
		public Builder seed(long seed) {
			this.seed = seed;
			return this;
		}

		/**
		 * Build the impairment.
		 * @return a new impairment
		 * @throws IllegalArgumentException if a setting is out of range
		 */
		public LinkImpairment build() {
			return new LinkImpairment(this.lossToTarget, this.lossToClient, this.delay, this.jitter,
					this.reorderProbability, this.reorderDelay, this.duplicateProbability,
					this.bandwidthBytesPerSecond, this.queueLimit, this.seed);
		}

	}

}
