package io.github.kcp.spring.support;

import java.net.InetSocketAddress;

import org.springframework.util.Assert;

/**
 * Turns the text of a KCP target into an address: {@code host:port}, with IPv6 literals in brackets
 * ({@code [::1]:9700}).
 */
public final class KcpTargets {

	private KcpTargets() {
	}

	/**
	 * Parses and resolves {@code host:port}.
	 * @param target the text
	 * @return the resolved address
	 * @throws IllegalArgumentException if the text is not {@code host:port} or the host cannot be resolved
	 */
	public static InetSocketAddress parse(String target) {
		Assert.hasText(target, "target must not be empty");
		int colon = target.lastIndexOf(':');
		if (colon <= 0 || colon == target.length() - 1) {
			throw new IllegalArgumentException("KCP target '" + target + "' is not host:port");
		}
		String host = target.substring(0, colon);
		if (host.startsWith("[") && host.endsWith("]")) {
			host = host.substring(1, host.length() - 1);
		}
		else if (host.indexOf(':') >= 0) {
			throw new IllegalArgumentException(
					"KCP target '" + target + "' is not host:port; write an IPv6 address in brackets: [::1]:9700");
		}
		int port;
		try {
			port = Integer.parseInt(target.substring(colon + 1));
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("KCP target '" + target + "' has no numeric port", ex);
		}
		return resolve(host, port);
	}

	/**
	 * Resolves {@code host} and checks the port.
	 * @param host a host name or address literal
	 * @param port a UDP port, 1..65535
	 * @return the resolved address
	 * @throws IllegalArgumentException if the port is out of range or the host cannot be resolved
	 */
	public static InetSocketAddress resolve(String host, int port) {
		Assert.hasText(host, "host must not be empty");
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException("KCP target " + host + ":" + port + " has port " + port
					+ "; use 1..65535");
		}
		InetSocketAddress address = new InetSocketAddress(host, port);
		if (address.isUnresolved()) {
			throw new IllegalArgumentException("Cannot resolve KCP target host '" + host + "'");
		}
		return address;
	}

}
