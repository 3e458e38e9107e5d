package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;

/**
 * The {@link KcpServerContainer} could not start its server, typically because the UDP port is taken or the address
 * is not local. The message names the address; the root cause is the underlying error (for example a
 * {@link java.net.BindException}).
 */
public class KcpServerStartException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	private final transient InetSocketAddress address;

	/**
	 * An exception for a server that could not bind {@code address}.
	 * @param address the address the server was to listen on
	 * @param cause what went wrong
	 */
	public KcpServerStartException(InetSocketAddress address, Throwable cause) {
		super("Could not start the KCP server on " + address + ": " + cause.getMessage()
				+ " (choose another address or port; port 0 picks any free one)", cause);
		this.address = address;
	}

	/** The address the server was to listen on. */
	public InetSocketAddress getAddress() {
		return this.address;
	}

}
