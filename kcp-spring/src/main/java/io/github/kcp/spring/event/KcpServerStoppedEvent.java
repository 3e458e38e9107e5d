package io.github.kcp.spring.event;

import java.net.InetSocketAddress;

/**
 * A KCP server has shut down: its sessions are closed and its UDP socket is released.
 */
public class KcpServerStoppedEvent extends KcpEvent {

	private static final long serialVersionUID = 1L;

	private final transient InetSocketAddress address;

	/**
	 * An event for a server that was listening on {@code address}.
	 * @param source the publishing server container
	 * @param address the local address the server was bound to
	 */
	public KcpServerStoppedEvent(Object source, InetSocketAddress address) {
		super(source);
		this.address = address;
	}

	/** The local address the server was bound to. */
	public InetSocketAddress getAddress() {
		return this.address;
	}

	@Override
	public String toString() {
		return "KcpServerStoppedEvent [address=" + this.address + "]";
	}

}
