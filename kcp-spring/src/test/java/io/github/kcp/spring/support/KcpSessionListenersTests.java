package io.github.kcp.spring.support;

import java.util.ArrayList;
import java.util.List;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

/**
 * A listener that throws does not keep the others from hearing of a session, and is called again next time.
 */
class KcpSessionListenersTests {

	@Test
	void aFailingListenerDoesNotSilenceTheOthers() {
		KcpSessionListeners listeners = new KcpSessionListeners();
		List<String> heard = new ArrayList<>();
		listeners.add(new KcpSessionListener() {
			@Override
			public void sessionOpened(KcpSession session) {
				heard.add("first opened");
				throw new IllegalStateException("boom");
			}

			@Override
			public void rttSampled(KcpSession session, int rttMillis) {
				throw new IllegalStateException("boom");
			}
		});
		listeners.add(new KcpSessionListener() {
			@Override
			public void sessionOpened(KcpSession session) {
				heard.add("second opened");
			}

			@Override
			public void rttSampled(KcpSession session, int rttMillis) {
				heard.add("rtt " + rttMillis);
			}

			@Override
			public void sessionClosed(KcpSession session, CloseReason reason) {
				heard.add("closed " + reason);
			}
		});
		KcpSession session = mock(KcpSession.class);

		listeners.sessionOpened(session);
		listeners.rttSampled(session, 7);
		listeners.sessionOpened(session);
		listeners.sessionClosed(session, CloseReason.IDLE_TIMEOUT);

		assertThat(heard).containsExactly("first opened", "second opened", "rtt 7", "first opened", "second opened",
				"closed IDLE_TIMEOUT");
	}

}
