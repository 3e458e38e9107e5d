package io.github.kcp.core.connection;

import java.time.Duration;

/**
 * How a server's {@link ConversationTable} treats peers that have not proven yet that they receive its datagrams,
 * and the memory all its sessions may hold: the terms that protect the many sessions from one hostile peer. The
 * limits per address are the admission policy's ({@link SessionLimits}).
 *
 * @param validatesPeers whether new sessions must prove their peer (if not, the other terms but the memory budget
 * do not apply, and nothing is evicted)
 * @param unprovenIdleTimeoutMillis idle timeout of an unproven session; 0 for the session idle timeout (see
 * {@link KcpSettings#UNPROVEN_IDLE_TIMEOUT})
 * @param unprovenReceiveBudget bytes of received data an unproven session may hold (see
 * {@link KcpSettings#UNPROVEN_RECEIVE_BUDGET})
 * @param amplificationFactor most bytes sent to an unproven peer per byte received from it; 0 for no limit (see
 * {@link KcpSettings#AMPLIFICATION_FACTOR})
 * @param memoryBudget bytes all sessions may hold in receive and send buffers, resolved (see
 * {@link KcpSettings#MEMORY_BUDGET}); unproven sessions together may hold a quarter of it
 */
public record ServerProtection(boolean validatesPeers, long unprovenIdleTimeoutMillis, int unprovenReceiveBudget,
		int amplificationFactor, long memoryBudget) {

	/** No validation of peers and no memory budget: sessions as a standard KCP server keeps them. */
	public static final ServerProtection NONE = new ServerProtection(false, 0, Integer.MAX_VALUE, 0, Long.MAX_VALUE);

	/**
	 * Checks the values.
	 * @throws InvalidKcpSettingException if one breaks its setting's rule
	 */
	public ServerProtection {
		KcpSettings.UNPROVEN_IDLE_TIMEOUT.validate(Duration.ofMillis(unprovenIdleTimeoutMillis));
		KcpSettings.UNPROVEN_RECEIVE_BUDGET.validate(unprovenReceiveBudget);
		KcpSettings.AMPLIFICATION_FACTOR.validate(amplificationFactor);
		if (memoryBudget <= 0) {
			throw new InvalidKcpSettingException(KcpSettings.MEMORY_BUDGET, memoryBudget,
					"a positive number of bytes once resolved");
		}
	}

	/**
	 * Terms that validate peers, from the settings' values.
	 * @param memoryBudget the server's memory budget in bytes, resolved (a positive number)
	 */
	public static ServerProtection validating(Duration unprovenIdleTimeout, int unprovenReceiveBudget,
			int amplificationFactor, long memoryBudget) {
		return new ServerProtection(true,
				KcpSettings.UNPROVEN_IDLE_TIMEOUT.validate(unprovenIdleTimeout).toMillis(), unprovenReceiveBudget,
				amplificationFactor, memoryBudget);
	}

	/** The budget of unproven sessions together: a quarter of the memory budget. */
	public long unprovenMemoryBudget() {
		return Math.max(1, this.memoryBudget / 4);
	}

}
