package io.github.kcp.spring.event;

import java.net.InetSocketAddress;

/**
 * A KCP server has bound its UDP socket and accepts sessions. Carries the bound address, so that an application
 * (or a test) that asked for port 0 learns the actual port.
 */
public class KcpServerListeningEvent extends KcpEvent {

	private static final long serialVersionUID = 1L;

	private final transient InetSocketAddress address;

	/**
	 * An event for a server listening on {@code address}.
	 * @param source the publishing server container
	 * @param address the bound local address
	 */
	public KcpServerListeningEvent(Object source, InetSocketAddress address) {
		super(source);
		this.address = address;
	}

	/** The bound local address. */
	public InetSocketAddress getAddress() {
		return this.address;
	}

	/** The bound UDP port. */
	public int getPort() {
		return this.address.getPort();
	}

	@Override
	public String toString() {
		return "KcpServerListeningEvent [address=" + this.address + "]";
	}

}
