package io.github.kcp.core.crypto;

/**
 * The side of a conversation an endpoint plays, for ciphers that bind datagrams to a direction
 * ({@link PacketCipher#forRole(EndpointRole)}): a datagram a server sent is then refused by servers, and one a client
 * sent is refused by clients, so that captured traffic cannot be reflected back to the side that sent it.
 */
public enum EndpointRole {

	/** An endpoint that accepts conversations opened by others. */
	SERVER,

	/** An endpoint that opens conversations. */
	CLIENT

}
