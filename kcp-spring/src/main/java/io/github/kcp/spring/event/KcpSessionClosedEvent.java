package io.github.kcp.spring.event;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import org.jspecify.annotations.Nullable;

/**
 * A KCP session closed. For server sessions it is published after every message of the session has been
 * handled.
 */
public class KcpSessionClosedEvent extends KcpSessionEvent {

	private static final long serialVersionUID = 1L;

	private final CloseReason reason;

	private final transient @Nullable Throwable cause;

	/**
	 * An event for a session that closed.
	 * @param source the publishing component
	 * @param session the session
	 * @param serverSession whether a server accepted the session
	 * @param reason why it closed
	 * @param cause the error for {@link CloseReason#ERROR}, otherwise {@code null}
	 */
	public KcpSessionClosedEvent(Object source, KcpSession session, boolean serverSession, CloseReason reason,
			@Nullable Throwable cause) {
		super(source, session, serverSession);
		this.reason = reason;
		this.cause = cause;
	}

	/** Why the session closed. */
	public CloseReason getReason() {
		return this.reason;
	}

	/** The error for {@link CloseReason#ERROR}, otherwise {@code null}. */
	public @Nullable Throwable getCause() {
		return this.cause;
	}

	@Override
	public String toString() {
		return "KcpSessionClosedEvent [conv=" + Integer.toUnsignedString(getSession().conv()) + ", remote="
				+ getSession().remoteAddress() + ", server=" + isServerSession() + ", reason=" + this.reason + "]";
	}

}
