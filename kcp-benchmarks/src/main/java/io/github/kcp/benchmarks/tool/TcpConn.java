package io.github.kcp.benchmarks.tool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * A TCP socket (with {@code TCP_NODELAY}) as a {@link Conn}, for reference figures: the same protocols as over KCP.
 */
final class TcpConn implements Conn {

	private final Socket socket;

	private final InputStream in;

	private final OutputStream out;

	private final long deadlineNanos;

	private final int idleMillis;

	/**
	 * @param socket a connected socket
	 * @param deadlineNanos {@link System#nanoTime()} after which reads fail, or {@link Long#MAX_VALUE}
	 * @param idleMillis read timeout when there is no deadline (0 = none)
	 */
	TcpConn(Socket socket, long deadlineNanos, int idleMillis) throws IOException {
		this.socket = socket;
		this.deadlineNanos = deadlineNanos;
		this.idleMillis = idleMillis;
		socket.setTcpNoDelay(true);
		this.in = socket.getInputStream();
		this.out = socket.getOutputStream();
	}

	@Override
	public int read(byte[] b, int off, int len) throws IOException {
		int timeout = this.idleMillis;
		if (this.deadlineNanos != Long.MAX_VALUE) {
			long left = (this.deadlineNanos - System.nanoTime()) / 1_000_000;
			if (left <= 0) {
				throw new SocketTimeoutException("Deadline passed while waiting for data from " + describe());
			}
			timeout = (int) Math.min(Integer.MAX_VALUE, left);
		}
		this.socket.setSoTimeout(timeout);
		return this.in.read(b, off, len);
	}

	@Override
	public void write(byte[] b, int off, int len) throws IOException {
		this.out.write(b, off, len);
	}

	@Override
	public void close() {
		try {
			this.out.flush();
			this.socket.shutdownOutput();
		}
		catch (IOException ex) {
			// already gone: nothing left to deliver
		}
		abort();
	}

	@Override
	public void abort() {
		try {
			this.socket.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
	}

	@Override
	public String describe() {
		return "TCP connection with " + this.socket.getRemoteSocketAddress();
	}

}
