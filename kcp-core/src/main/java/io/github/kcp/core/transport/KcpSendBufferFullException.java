package io.github.kcp.core.transport;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.KcpConfig;

/**
 * The session's send buffer (data sent but not yet acknowledged, bounded in bytes by
 * {@link KcpConfig#sendBufferSize()}) has no room for the data. Wait for earlier sends to complete, use
 * {@link KcpSession#sendBlocking}, or raise the limit.
 */
public class KcpSendBufferFullException extends KcpException {

	private static final long serialVersionUID = 1L;

	public KcpSendBufferFullException(String message) {
		super(message);
	}

}
