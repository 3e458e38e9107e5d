package io.github.kcp.benchmarks.tool;

import java.io.IOException;

/**
 * Many client connections to one server, for {@link SessionLoad}: KCP sessions ({@link KcpLoadTransport}) or TCP
 * connections ({@link TcpLoadTransport}). Sends never block; what comes back is handed to each connection's
 * {@link Receiver}, always from the same thread for one connection.
 */
interface LoadTransport extends AutoCloseable {

	/**
	 * Opens connection number {@code index} (0, 1, 2 ... in order).
	 * @throws IOException if it cannot be opened
	 */
	void open(int index, Receiver receiver) throws IOException;

	/**
	 * Queues a message on a connection without blocking.
	 * @return false if the transport refused it (closed, or no room)
	 */
	boolean send(int index, byte[] message);

	/** Closes every connection at once, without waiting for the peer. */
	@Override
	void close();

	/** What the server sends back on one connection. */
	interface Receiver {

		/** Bytes arrived (a message, or part of the stream); the array may be reused after this returns. */
		void received(byte[] data, int offset, int length);

		/** The connection closed. */
		void closed(String why);

	}

}
