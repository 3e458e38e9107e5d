package io.github.kcp.spring.listener;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;

/**
 * The middle of a graceful stop: after the server stopped acknowledging new data
 * ({@link KcpServer#stopReceiving()}), waits until every message it did acknowledge has been handed to the
 * dispatcher, handled, and replied to.
 * <p>
 * Acknowledged messages that are not handled yet wait either in the dispatcher or, for sessions the dispatcher
 * paused, in the sessions' engines. Each round waits for the dispatcher to be idle (when it is, it has told every
 * session it paused to resume), then runs a task on each session's event loop behind those resumes: a session that
 * still held messages has delivered them by then. A round that delivered nothing ends the drain; one that did starts
 * another, so the loop ends once the finite backlog is gone, with no polling.
 */
final class AcknowledgedMessagesDrain {

	private AcknowledgedMessagesDrain() {
	}

	/**
	 * @param server the server, already refusing new data
	 * @param dispatcher its dispatcher
	 * @return a future completed when every acknowledged message has been handled and replied to
	 */
	static CompletableFuture<Void> drain(KcpServer server, SessionDispatcher dispatcher) {
		return dispatcher.whenIdle().thenCompose((idle) -> {
			long before = dispatcher.dispatchedMessages();
			List<CompletableFuture<Void>> rounds = new ArrayList<>();
			for (KcpSession session : server.sessions()) {
				rounds.add(CompletableFuture.runAsync(() -> {
				}, session.executor()));
			}
			return CompletableFuture.allOf(rounds.toArray(CompletableFuture[]::new))
				.thenCompose((delivered) -> (dispatcher.dispatchedMessages() == before)
						? dispatcher.whenIdle() : drain(server, dispatcher));
		});
	}

}
