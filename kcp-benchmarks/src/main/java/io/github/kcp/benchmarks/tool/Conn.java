package io.github.kcp.benchmarks.tool;

import java.io.EOFException;
import java.io.IOException;

/**
 * A bidirectional byte stream the roles run on: a KCP session ({@link KcpConn}) or a TCP socket
 * ({@link TcpConn}). Messages, where the transport has them, are read as a stream: a peer may deliver a message in
 * pieces (kcp-go does), so every protocol here frames its data itself.
 */
interface Conn {

	/**
	 * Reads up to {@code len} bytes, blocking until at least one is there.
	 * @return the number of bytes read, or -1 once the peer closed and everything was read
	 * @throws java.net.SocketTimeoutException when the deadline passes first
	 */
	int read(byte[] b, int off, int len) throws IOException;

	/** Writes all the bytes (queues them for sending; KCP completes the delivery in the background). */
	void write(byte[] b, int off, int len) throws IOException;

	/** Closes gracefully within a bounded time: data already written is delivered first where possible. */
	void close();

	/** Closes at once, unblocking any reader or writer. */
	void abort();

	/** A short description for messages: transport, peer address, conversation id. */
	String describe();

	/** Writes the whole array. */
	default void write(byte[] b) throws IOException {
		write(b, 0, b.length);
	}

	/** Reads exactly {@code len} bytes or throws ({@link EOFException} when the peer closed first). */
	default void readFully(byte[] b, int off, int len) throws IOException {
		int done = 0;
		while (done < len) {
			int n = read(b, off + done, len - done);
			if (n < 0) {
				throw new EOFException("Connection closed by the peer after " + done + " of " + len + " bytes");
			}
			done += n;
		}
	}

}
