package io.github.kcp.core.protocol;

import io.github.kcp.core.KcpException;

/**
 * Thrown by {@link Kcp#send} in message mode when a message needs more fragments than the peer could
 * reassemble. Queuing such a message would stall the connection forever, so it is refused up front.
 */
public class KcpMessageTooLargeException extends KcpException {

	private static final long serialVersionUID = 1L;

	private final int messageSize;

	private final int maxMessageSize;

	public KcpMessageTooLargeException(int messageSize, int maxMessageSize, int maxFragments, int mss) {
		super("Message of " + messageSize + " bytes exceeds the largest KCP message of " + maxMessageSize
				+ " bytes (" + maxFragments + " fragments of " + mss + " bytes, bounded by 255 and by the receive window"
				+ " minus one); split it, raise the receive window on both peers, or use stream mode");
		this.messageSize = messageSize;
		this.maxMessageSize = maxMessageSize;
	}

	/** Size of the refused message in bytes. */
	public int getMessageSize() {
		return this.messageSize;
	}

	/** Largest message the engine accepts with its current mtu and receive window. */
	public int getMaxMessageSize() {
		return this.maxMessageSize;
	}

}
