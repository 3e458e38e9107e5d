package io.github.kcp.spring.core;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * How a {@link KcpTemplate} session matches the messages it receives to the requests waiting on it. Called under
 * the session's write lock for {@link #register} and {@link #withdraw}, from the event loop for {@link #take}.
 */
interface ReplyCorrelation {

	/**
	 * Records a request before it is written.
	 * @return the correlation id to write it with (0 when there are none)
	 */
	int register(PendingReply<?> request);

	/** Removes a request that could not be written. */
	void withdraw(PendingReply<?> request);

	/**
	 * The request a reply answers, taken out of the waiting ones.
	 * @param correlationId the reply's correlation id (0 when there are none)
	 * @return the request, or {@code null} if none waits for it
	 */
	@Nullable PendingReply<?> take(int correlationId);

	/**
	 * A request timed out. Removes it.
	 * @return whether the session must be closed so that its late reply cannot be taken for another one's
	 */
	boolean timedOut(PendingReply<?> request);

	/** Whether every request written is still waiting in order, so a reply without id can be matched. */
	boolean isOrdered();

	/** Removes and returns every waiting request (the session is closing). */
	List<PendingReply<?>> drain();

}
