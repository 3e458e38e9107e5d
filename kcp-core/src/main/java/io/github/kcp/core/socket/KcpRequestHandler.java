package io.github.kcp.core.socket;

import java.io.IOException;

/**
 * Handles one session of a {@link KcpThreadingServer} on its own thread, the counterpart of socketserver's
 * {@code BaseRequestHandler.handle} in aiokcp's {@code sync} module. The server closes the socket when this
 * returns; an exception is logged and the socket closed, and the server goes on.
 */
@FunctionalInterface
public interface KcpRequestHandler {

	/**
	 * Serves the peer connected to {@code socket} until done (typically until {@link KcpSocket#recv(int)} returns
	 * an empty array: the peer closed).
	 * @param socket the accepted socket
	 * @throws IOException if the conversation failed
	 */
	void handle(KcpSocket socket) throws IOException;

}
