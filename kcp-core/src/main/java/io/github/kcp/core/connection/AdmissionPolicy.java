package io.github.kcp.core.connection;

import org.jspecify.annotations.Nullable;

/**
 * Decides whether a well-formed datagram carrying data from an unknown (address, conversation) may open a new
 * conversation on a server; the seam of the {@link ConversationTable} where admission rules plug in. The table has
 * already refused what is malformed, carries no data, belongs to a recently closed conversation or arrives while
 * the server stops; a policy sees only real candidates. Notified of every conversation that opens and closes, a
 * policy can keep per-address counts (per-address limits), budgets or its own timers.
 * <p>
 * Called on the table's thread only; {@code now} is the table's millisecond clock.
 *
 * @param <A> the type of peer addresses
 * @see SessionLimits
 */
public interface AdmissionPolicy<A> {

	/**
	 * Whether a new conversation from {@code address} may open now.
	 * @param address the peer's address
	 * @param now the current time in milliseconds
	 * @param openSessions how many conversations are open now
	 * @return {@code null} to admit it, or why it is refused (the datagram is dropped and counted under it)
	 */
	@Nullable DropReason admit(A address, long now, int openSessions);

	/** A conversation from {@code address} opened (after {@link #admit} let it in). */
	default void opened(A address, long now) {
	}

	/** A conversation from {@code address} closed. */
	default void closed(A address, long now) {
	}

}
