package io.github.kcp.core.transport;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The source a peer's address counts for in a server's limits per address: its IPv4 address (any port), or the
 * /64 prefix of its IPv6 address — one host, or one customer's network, usually owns a whole /64 and can pick any
 * address in it. (An IPv4-mapped IPv6 address is its IPv4 address: the JDK hands those over as IPv4.)
 */
final class SourceAddress {

	private SourceAddress() {
	}

	/** The source of {@code address}, to be compared with {@code equals}. */
	static Object of(InetSocketAddress address) {
		InetAddress host = address.getAddress();
		if (host == null) {
			return address.getHostString();
		}
		if (host instanceof Inet6Address) {
			byte[] bytes = host.getAddress();
			long prefix = 0;
			for (int i = 0; i < 8; i++) {
				prefix = (prefix << 8) | (bytes[i] & 0xff);
			}
			return new Ipv6Prefix(prefix);
		}
		return host;
	}

	/** The upper 64 bits of an IPv6 address. */
	record Ipv6Prefix(long bits) {

		@Override
		public String toString() {
			return String.format("%04x:%04x:%04x:%04x::/64", (this.bits >>> 48) & 0xffff, (this.bits >>> 32) & 0xffff,
					(this.bits >>> 16) & 0xffff, this.bits & 0xffff);
		}

	}

}
