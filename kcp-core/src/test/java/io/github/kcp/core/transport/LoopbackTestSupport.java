package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.testsupport.relay.LinkImpairment;
import io.github.kcp.testsupport.relay.LossyUdpRelay;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;

/**
 * Base of transport tests on loopback: servers, clients, relays and raw peers made through it are closed after each
 * test, newest first, so that a failing assertion never leaves sockets or event-loop work behind for the next test.
 */
abstract class LoopbackTestSupport {

	/** What the tests register for closing; newest last. */
	protected final List<AutoCloseable> resources = new ArrayList<>();

	@AfterEach
	void release() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	/** A server on an ephemeral loopback port, shut down after the test. */
	protected KcpServer server(KcpConfig config, KcpSessionHandler handler) {
		return server(config, null, handler);
	}

	/** A server on a free loopback port with a packet cipher, shut down after the test. */
	protected KcpServer server(KcpConfig config, @Nullable PacketCipher cipher, KcpSessionHandler handler) {
		KcpServer server = KcpServer.builder().config(config).cipher(cipher).handler(handler).bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		return server;
	}

	/** A client session to {@code target}, aborted after the test. */
	protected KcpSession client(KcpConfig config, KcpSessionHandler handler, InetSocketAddress target) {
		return client(config, null, handler, target);
	}

	/** A client session to {@code target} with a packet cipher, aborted after the test. */
	protected KcpSession client(KcpConfig config, @Nullable PacketCipher cipher, KcpSessionHandler handler,
			InetSocketAddress target) {
		KcpSession session = KcpClient.builder().config(config).cipher(cipher).handler(handler).connect(target);
		this.resources.add(session::abort);
		return session;
	}

	/** An unimpaired relay to {@code target} (impair it with {@link LossyUdpRelay#setImpairment}). */
	protected LossyUdpRelay relay(InetSocketAddress target) throws Exception {
		LossyUdpRelay relay = LossyUdpRelay.start(target, LinkImpairment.none());
		this.resources.add(relay);
		return relay;
	}

	/** A relay recording every datagram that crosses it. */
	protected SniffingRelay sniffer(InetSocketAddress target) {
		SniffingRelay relay = SniffingRelay.start(target);
		this.resources.add(relay);
		return relay;
	}

	/** A bare UDP socket speaking whatever bytes the test writes. */
	protected RawUdpPeer raw() {
		RawUdpPeer peer = new RawUdpPeer();
		this.resources.add(peer);
		return peer;
	}

}
