package io.github.kcp.spring.core;

import java.net.InetSocketAddress;

import io.github.kcp.core.KcpException;
import org.jspecify.annotations.Nullable;

/**
 * The server answered a request with an error frame (messaging envelope): no handler for the route, a payload the
 * handler could not read, or a handler that threw. Carries what the server said: the error code, the type of the
 * exception there, and its message.
 */
public class KcpRemoteException extends KcpException {

	private static final long serialVersionUID = 1L;

	private final transient InetSocketAddress target;

	private final String route;

	private final String errorCode;

	private final @Nullable String remoteType;

	private final String remoteMessage;

	/**
	 * @param target the server
	 * @param route the request's route
	 * @param errorCode the error code, for example {@code HANDLER_FAILED}
	 * @param remoteType the type of the exception on the server, or {@code null}
	 * @param remoteMessage the message of the error
	 */
	public KcpRemoteException(InetSocketAddress target, String route, String errorCode, @Nullable String remoteType,
			String remoteMessage) {
		super(errorCode + " from " + target + (route.isEmpty() ? "" : " for route '" + route + "'") + ": "
				+ ((remoteType != null) ? remoteType + ": " : "") + remoteMessage);
		this.target = target;
		this.route = route;
		this.errorCode = errorCode;
		this.remoteType = remoteType;
		this.remoteMessage = remoteMessage;
	}

	/** The server that answered. */
	public InetSocketAddress getTarget() {
		return this.target;
	}

	/** The request's route (empty for none). */
	public String getRoute() {
		return this.route;
	}

	/**
	 * What failed: {@code NO_ROUTE}, {@code BAD_PAYLOAD} or {@code HANDLER_FAILED} (see
	 * {@link io.github.kcp.spring.envelope.KcpEnvelope.ErrorCode}), or another code a non-Spring server sent.
	 */
	public String getErrorCode() {
		return this.errorCode;
	}

	/** The type of the exception on the server, or {@code null} if it did not say. */
	public @Nullable String getRemoteType() {
		return this.remoteType;
	}

	/** The message of the error on the server. */
	public String getRemoteMessage() {
		return this.remoteMessage;
	}

}
