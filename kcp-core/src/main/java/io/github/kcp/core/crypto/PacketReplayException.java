package io.github.kcp.core.crypto;

/**
 * Thrown by {@link PacketCipher#decrypt(byte[], int, int)} when an authentic datagram is refused because it was
 * received before (a replay), is older than the cipher's replay window, or claims a time too far ahead of this
 * host's clock. A subtype of {@link PacketAuthenticationException}, so a transport that drops and counts failed
 * authentications drops and counts replays the same way; one that looks closer can count them apart.
 */
public class PacketReplayException extends PacketAuthenticationException {

	private static final long serialVersionUID = 1L;

	/**
	 * Create a new exception.
	 * @param message why the datagram was refused
	 */
	public PacketReplayException(String message) {
		super(message);
	}

}
