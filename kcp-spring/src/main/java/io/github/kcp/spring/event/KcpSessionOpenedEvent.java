package io.github.kcp.spring.event;

import io.github.kcp.core.transport.KcpSession;

/**
 * A KCP session opened: a server received the first data of a new conversation, or a client opened a session.
 * Published before any message of the session is handled.
 */
public class KcpSessionOpenedEvent extends KcpSessionEvent {

	private static final long serialVersionUID = 1L;

	/**
	 * An event for a session that opened.
	 * @param source the publishing component
	 * @param session the session
	 * @param serverSession whether a server accepted the session
	 */
	public KcpSessionOpenedEvent(Object source, KcpSession session, boolean serverSession) {
		super(source, session, serverSession);
	}

	@Override
	public String toString() {
		return "KcpSessionOpenedEvent [conv=" + Integer.toUnsignedString(getSession().conv()) + ", remote="
				+ getSession().remoteAddress() + ", server=" + isServerSession() + "]";
	}

}
