package io.github.kcp.core.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over UDP, what the transport adds to the connection layer's budgets (tested in virtual time there): sends count
 * against the server's memory budget until acknowledged and fail fast beyond it; limits per address count an IPv6
 * address by its /64 prefix.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KcpServerMemoryBudgetTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final Duration WAIT = Duration.ofSeconds(10);

	@Test
	void aSendBeyondTheServersMemoryBudgetFailsFastAndOneWithinItGoes() throws Exception {
		CompletableFuture<Throwable> large = new CompletableFuture<>();
		CompletableFuture<Void> small = new CompletableFuture<>();
		// 50 kB for all sessions: a 100 kB reply (73 segments of 1,400 bytes held) cannot be taken.
		KcpServer server = KcpServer.builder().config(FAST).memoryBudget(50_000).handler((session, message) -> {
			session.send(new byte[100_000]).whenComplete((ignored, ex) -> large.complete(ex));
			session.send(message).whenComplete((ignored, ex) -> {
				if (ex == null) {
					small.complete(null);
				}
				else {
					small.completeExceptionally(ex);
				}
			});
		}).bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ZERO));
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = client(FAST, clientSide, server.localAddress());
		client.send(new byte[] { 7 });

		Throwable refused = large.get(WAIT.toSeconds(), TimeUnit.SECONDS);
		assertThat(refused).isInstanceOf(KcpSendBufferFullException.class).hasMessageContaining("memory budget")
			.hasMessageContaining("memoryBudget");
		small.get(WAIT.toSeconds(), TimeUnit.SECONDS);
		assertThat(clientSide.nextMessage(WAIT)).containsExactly(7);
	}

	@Test
	void anIpv6AddressCountsByItsSlash64PrefixAndAnIpv4AddressByItself() throws Exception {
		Object a = SourceAddress.of(new InetSocketAddress(InetAddress.getByName("2001:db8:1:2:aaaa::1"), 1000));
		Object b = SourceAddress.of(new InetSocketAddress(InetAddress.getByName("2001:db8:1:2:bbbb::9"), 2000));
		Object c = SourceAddress.of(new InetSocketAddress(InetAddress.getByName("2001:db8:1:3::1"), 1000));
		assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(c);
		assertThat(a).hasToString("2001:0db8:0001:0002::/64");
		Object v4 = SourceAddress.of(new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 1000));
		Object v4OtherPort = SourceAddress.of(new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 2000));
		Object mapped = SourceAddress.of(new InetSocketAddress(InetAddress.getByName("::ffff:192.0.2.7"), 3000));
		assertThat(v4).isEqualTo(v4OtherPort).isEqualTo(mapped);
		assertThat(SourceAddress.of(new InetSocketAddress(InetAddress.getByName("192.0.2.8"), 1000))).isNotEqualTo(v4);
	}

}
