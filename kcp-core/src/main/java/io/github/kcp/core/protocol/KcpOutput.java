package io.github.kcp.core.protocol;

/**
 * Receives the datagrams a {@link Kcp} engine wants sent. The engine reuses {@code buffer} after the call returns,
 * so an implementation that sends asynchronously must copy the {@code length} bytes first.
 */
@FunctionalInterface
public interface KcpOutput {

	/**
	 * Sends one datagram.
	 * @param buffer the engine's buffer holding the datagram from index 0
	 * @param length the datagram's length in bytes, at most the engine's mtu
	 */
	void output(byte[] buffer, int length);

}
