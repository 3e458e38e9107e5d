package io.github.kcp.spring.event;

import io.github.kcp.core.transport.KcpSession;

/**
 * Base class of the events of one {@link KcpSession}. Whether it is a server or a client session shows in
 * {@link #isServerSession()} (and in the source).
 */
public abstract class KcpSessionEvent extends KcpEvent {

	private static final long serialVersionUID = 1L;

	private final transient KcpSession session;

	private final boolean serverSession;

	/**
	 * An event of {@code session}.
	 * @param source the publishing component
	 * @param session the session
	 * @param serverSession whether the session was accepted by a server (false: opened by a client)
	 */
	protected KcpSessionEvent(Object source, KcpSession session, boolean serverSession) {
		super(source);
		this.session = session;
		this.serverSession = serverSession;
	}

	/** The session. */
	public KcpSession getSession() {
		return this.session;
	}

	/** Whether a server accepted the session (false: a client, such as the {@code KcpTemplate}, opened it). */
	public boolean isServerSession() {
		return this.serverSession;
	}

}
