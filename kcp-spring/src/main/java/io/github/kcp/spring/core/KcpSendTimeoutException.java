package io.github.kcp.spring.core;

import java.net.InetSocketAddress;
import java.time.Duration;

import io.github.kcp.core.KcpException;

/**
 * A blocking send of {@link KcpOperations} did not complete in time: the send buffer had no room, or the server
 * did not acknowledge the message within the timeout. The message may still be delivered later.
 */
public class KcpSendTimeoutException extends KcpException {

	private static final long serialVersionUID = 1L;

	private final transient InetSocketAddress target;

	private final Duration timeout;

	/**
	 * Create an exception for a send to {@code target} that did not complete within {@code timeout}.
	 * @param target where the message went
	 * @param timeout how long the send waited
	 * @param what what did not happen in time, for example "acknowledged"
	 */
	public KcpSendTimeoutException(InetSocketAddress target, Duration timeout, String what) {
		super("A message to " + target + " was not " + what + " within " + timeout.toMillis()
				+ " ms; raise the template's default timeout or check that the server is reachable");
		this.target = target;
		this.timeout = timeout;
	}

	/** Where the message went. */
	public InetSocketAddress getTarget() {
		return this.target;
	}

	/** How long the send waited. */
	public Duration getTimeout() {
		return this.timeout;
	}

}
