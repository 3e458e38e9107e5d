package io.github.kcp.spring.event;

import java.net.InetSocketAddress;

import org.jspecify.annotations.Nullable;

/**
 * A KCP server has shut down: its sessions are closed and its UDP socket is released. After a graceful stop
 * {@link #getFailure()} is {@code null}; a server that failed on its own (an {@code Error} on its event loop, such as
 * an {@code OutOfMemoryError}) reports why.
 */
public class KcpServerStoppedEvent extends KcpEvent {

	private static final long serialVersionUID = 1L;

	private final transient InetSocketAddress address;

	private final transient @Nullable Throwable failure;

	/**
	 * An event for a server that was listening on {@code address} and stopped gracefully.
	 * @param source the publishing server container
	 * @param address the local address the server was bound to
	 */
	public KcpServerStoppedEvent(Object source, InetSocketAddress address) {
		this(source, address, null);
	}

	/**
	 * An event for a server that was listening on {@code address}.
	 * @param source the publishing server container
	 * @param address the local address the server was bound to
	 * @param failure why the server stopped on its own, or {@code null} after a graceful stop
	 */
	public KcpServerStoppedEvent(Object source, InetSocketAddress address, @Nullable Throwable failure) {
		super(source);
		this.address = address;
		this.failure = failure;
	}

	/** Why the server stopped on its own, or {@code null} after a graceful stop. */
	public @Nullable Throwable getFailure() {
		return this.failure;
	}

	/** The local address the server was bound to. */
	public InetSocketAddress getAddress() {
		return this.address;
	}

	@Override
	public String toString() {
		return "KcpServerStoppedEvent [address=" + this.address
				+ ((this.failure != null) ? ", failure=" + this.failure : "") + "]";
	}

}
