package io.github.kcp.core.connection;

/**
 * Where a {@link KcpConnection} puts the datagrams it sends: the shell's per-datagram packet stage (encryption, or
 * any per-session protection) and socket. Called during the connection's own methods; it must not call back into
 * the connection.
 */
@FunctionalInterface
public interface DatagramSink {

	/**
	 * Sends one plaintext datagram.
	 * @param datagram the connection's buffer holding the datagram from index 0; reused after the call, so copy what
	 * is kept
	 * @param length the datagram's length in bytes
	 * @return the bytes that went on the wire (after the packet stage), or a negative number if the datagram was
	 * dropped without failing the connection (for example the socket is closing)
	 * @throws RuntimeException if the packet stage failed (for example the cipher could not encrypt): nothing was
	 * sent, and the connection closes with {@link CloseReason#ERROR} and this exception as cause, without telling the
	 * peer (the close signal would have to pass the failing stage too)
	 */
	int transmit(byte[] datagram, int length);

}
