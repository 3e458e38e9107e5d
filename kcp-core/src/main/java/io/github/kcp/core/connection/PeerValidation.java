package io.github.kcp.core.connection;

import java.util.function.Consumer;

import io.github.kcp.core.protocol.Kcp;
import io.github.kcp.core.protocol.KcpCodec;
import io.github.kcp.core.protocol.ReceiveBudget;
import org.jspecify.annotations.Nullable;

/**
 * What a server imposes on one of its connections, and how it lifts it once the peer is proven: the part of the
 * server's defences that lives with each connection (the {@link ConversationTable} keeps the rest: per-address
 * limits and eviction). A peer is proven when it acknowledges data we sent, echoing the send time we stamped on it
 * ({@link Kcp#peerAcknowledgedData()}), or when it echoes an {@link AddressChallenge address challenge} (a peer that
 * understands the extensions and only sends, so has nothing to acknowledge): it receives our datagrams at its
 * address, as QUIC's address validation (RFC 9000, section 8.1) or a completed TCP handshake shows. Until then the
 * connection
 * <ul>
 * <li>sends at most {@link KcpSettings#AMPLIFICATION_FACTOR} times the bytes it received ({@link AmplificationLimit});
 * so that its first reply can prove the peer within that allowance whatever its size, its first data segment
 * carries at most {@value #FIRST_SEGMENT_BYTES} bytes and only one segment is in flight;</li>
 * <li>parks out-of-order data within a small budget of its own ({@link KcpSettings#UNPROVEN_RECEIVE_BUDGET}), inside
 * the budget all unproven connections share, inside the server's {@link KcpSettings#MEMORY_BUDGET memory budget};</li>
 * <li>closes when idle for {@link KcpSettings#UNPROVEN_IDLE_TIMEOUT};</li>
 * <li>and is the first evicted when the server or the peer's address is full (by the table).</li>
 * </ul>
 * Proven, it uses the server's memory budget directly, and none of the rest applies. The memory a connection holds
 * in its engine — out-of-order data parked (the engine reserves it) and in-order data waiting in the receive queue
 * (charged here, and never refused, so that delivery keeps working) — is counted in its budget either way, and given
 * back when the connection closes.
 */
final class PeerValidation {

	/**
	 * The most bytes the first data segment carries while amplification is limited: with the smallest datagram a
	 * conversation can open with (one empty data segment, 24 bytes) and a factor of 3, the acknowledgement (24) and
	 * a data segment of 24 + 24 bytes fit exactly.
	 */
	static final int FIRST_SEGMENT_BYTES = 24;

	private final @Nullable AmplificationLimit amplification;

	private final @Nullable AddressChallenge challenge;

	private final ReceiveBudget provenBudget;

	private final long unprovenIdleTimeoutMillis;

	private final Consumer<DropReason> serverDrops;

	private ReceiveBudget budget;

	private boolean proven;

	private boolean released;

	/** What the receive queue is charged now. */
	private int queueCharge;

	/** The engine's refusals for lack of budget when it was last asked. */
	private long budgetRefusals;

	private PeerValidation(@Nullable AmplificationLimit amplification, @Nullable AddressChallenge challenge,
			ReceiveBudget unprovenBudget, ReceiveBudget provenBudget, long unprovenIdleTimeoutMillis, boolean proven,
			Consumer<DropReason> serverDrops) {
		this.amplification = amplification;
		this.challenge = challenge;
		this.budget = proven ? provenBudget : unprovenBudget;
		this.provenBudget = provenBudget;
		this.unprovenIdleTimeoutMillis = unprovenIdleTimeoutMillis;
		this.proven = proven;
		this.serverDrops = serverDrops;
	}

	/**
	 * The terms of a connection whose peer must prove itself.
	 * @param amplificationFactor 0 for no amplification limit
	 * @param unprovenBudget its own budget until proven (within the unproven connections' and the server's)
	 * @param provenBudget the server's budget, used once proven
	 * @param unprovenIdleTimeoutMillis its idle timeout until proven, 0 for the session's own
	 * @param challengeSecret the value of its {@link AddressChallenge}, unpredictable to others than the peer
	 * @param serverDrops where the server counts the drops of its connections
	 */
	static PeerValidation unproven(int amplificationFactor, ReceiveBudget unprovenBudget, ReceiveBudget provenBudget,
			long unprovenIdleTimeoutMillis, int challengeSecret, Consumer<DropReason> serverDrops) {
		AmplificationLimit limit = (amplificationFactor > 0) ? new AmplificationLimit(amplificationFactor) : null;
		return new PeerValidation(limit, new AddressChallenge(challengeSecret), unprovenBudget, provenBudget,
				unprovenIdleTimeoutMillis, false, serverDrops);
	}

	/** No validation: the connection counts its memory in {@code budget} and nothing else applies. */
	static PeerValidation none(ReceiveBudget budget, Consumer<DropReason> serverDrops) {
		return new PeerValidation(null, null, budget, budget, 0, true, serverDrops);
	}

	/** Whether the peer is proven (or no validation applies). */
	boolean isProven() {
		return this.proven;
	}

	/** The budget the connection's memory counts in now. */
	ReceiveBudget budget() {
		return this.budget;
	}

	/** Puts the engine under the terms (on a new connection, before any traffic). */
	void apply(Kcp kcp, KcpConfig config) {
		kcp.setReceiveBudget(this.budget);
		if (!this.proven && this.amplification != null) {
			kcp.setFirstSegmentLimit(FIRST_SEGMENT_BYTES);
		}
		constrain(kcp, config);
	}

	/** Applies the terms that settings override (after the connection was reconfigured). */
	void constrain(Kcp kcp, KcpConfig config) {
		if (!this.proven && this.amplification != null) {
			// One segment in flight: the small first one, whose acknowledgement proves the peer.
			kcp.setWindowSize(1, config.receiveWindow());
		}
	}

	/** The idle timeout in force, given the session's own (0 for none). */
	long idleTimeoutMillis(long sessionIdleTimeoutMillis) {
		if (this.proven || this.unprovenIdleTimeoutMillis == 0) {
			return sessionIdleTimeoutMillis;
		}
		return (sessionIdleTimeoutMillis == 0) ? this.unprovenIdleTimeoutMillis
				: Math.min(sessionIdleTimeoutMillis, this.unprovenIdleTimeoutMillis);
	}

	// ---------------------------------------------------------------- traffic

	/**
	 * A datagram arrived from the peer: {@code wireBytes} on the wire, its plaintext in {@code data} (looked at for
	 * the echo of the address challenge).
	 */
	void received(int wireBytes, byte[] data, int offset, int length) {
		if (this.amplification != null) {
			this.amplification.received(wireBytes);
		}
		if (!this.proven && this.challenge != null) {
			this.challenge.received(data, offset, length);
		}
	}

	/**
	 * Appends the address challenge to a datagram about to leave when one is due: only while the peer is unproven and
	 * understands the extensions, so that a standard peer never sees it.
	 * @return the datagram's new length
	 */
	int challenge(byte[] buffer, int length, int mtu, long now, boolean peerUnderstandsExtensions) {
		if (this.proven || this.challenge == null || !peerUnderstandsExtensions) {
			return length;
		}
		return this.challenge.challenge(buffer, length, mtu, now);
	}

	/** How much of an outgoing datagram may go (see {@link AmplificationLimit#permitted}). */
	int permitted(byte[] datagram, int length, int overhead) {
		return (this.amplification != null) ? this.amplification.permitted(datagram, length, overhead) : length;
	}

	/** A datagram of {@code wireBytes} went to the peer. */
	void sent(int wireBytes) {
		if (this.amplification != null) {
			this.amplification.sent(wireBytes);
		}
	}

	/**
	 * After the engine took a datagram: lifts the terms if the peer just proved itself, charges the receive queue,
	 * and tells whether the engine refused data for lack of budget (one drop per datagram).
	 * @return whether the terms were just lifted
	 */
	boolean afterInput(Kcp kcp, KcpConfig config) {
		boolean liftedNow = false;
		if (!this.proven && (kcp.peerAcknowledgedData() || (this.challenge != null && this.challenge.echoed()))) {
			this.proven = true;
			liftedNow = true;
			if (this.amplification != null) {
				this.amplification.lift();
				kcp.setWindowSize(config.sendWindow(), config.receiveWindow());
			}
			// Parked bytes move with the engine's budget; the queue's charge moves here.
			kcp.setReceiveBudget(this.provenBudget);
			this.budget.release(this.queueCharge);
			this.provenBudget.reserve(this.queueCharge);
			this.budget = this.provenBudget;
		}
		chargeQueue(kcp);
		return liftedNow;
	}

	/** Whether the engine refused data for lack of budget since the last call. */
	boolean budgetRefused(Kcp kcp) {
		long refusals = kcp.budgetRefusedSegments();
		boolean refused = refusals != this.budgetRefusals;
		this.budgetRefusals = refusals;
		return refused;
	}

	/** After messages left the receive queue. */
	void afterReceive(Kcp kcp) {
		chargeQueue(kcp);
	}

	/** The connection closed: its memory goes back to the budgets. */
	void release(Kcp kcp) {
		if (this.released) {
			return;
		}
		this.released = true;
		kcp.discardReceiveBuffer();
		this.budget.release(this.queueCharge);
		this.queueCharge = 0;
	}

	/** Counts a drop of the connection for the server as a whole. */
	void countForServer(DropReason reason) {
		this.serverDrops.accept(reason);
	}

	/**
	 * In-order data waiting in the receive queue (for the application, or for the rest of its message) holds a
	 * pooled buffer of one mss per segment: charged whatever the room, since it was acknowledged.
	 */
	private void chargeQueue(Kcp kcp) {
		if (this.released) {
			return;
		}
		int charge = kcp.receiveQueueSize() * (kcp.mss() + KcpCodec.OVERHEAD);
		if (charge > this.queueCharge) {
			this.budget.reserve(charge - this.queueCharge);
		}
		else if (charge < this.queueCharge) {
			this.budget.release(this.queueCharge - charge);
		}
		this.queueCharge = charge;
	}

	@Override
	public String toString() {
		return "PeerValidation{proven=" + this.proven + ", " + this.amplification + ", budget=" + this.budget + "}";
	}

}
