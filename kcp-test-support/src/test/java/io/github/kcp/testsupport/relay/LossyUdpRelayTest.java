package io.github.kcp.testsupport.relay;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.kcp.testsupport.relay.LossyUdpRelay.Stats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests for {@link LossyUdpRelay}, against a plain UDP echo target.
 *
 * <p>Traffic is sent in small windows and the test waits, on the relay's counters,
 * until each window has settled before reading replies: that keeps kernel socket
 * buffers from overflowing (which would be loss the relay cannot count) and tells the
 * test exactly how many replies to expect.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LossyUdpRelayTest {

	private static final InetAddress LOOPBACK_V4 = address(new byte[] { 127, 0, 0, 1 });

	private static final int SOCKET_TIMEOUT_MILLIS = 2000;

	private final Deque<AutoCloseable> resources = new ArrayDeque<>();

	@AfterEach
	void closeResources() throws Exception {
		while (!this.resources.isEmpty()) {
			this.resources.pop().close();
		}
	}

	@Test
	void relaysVariedDatagramsIntactAndInOrderWithoutImpairment() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		LossyUdpRelay relay = relay(target, LinkImpairment.none());
		DatagramSocket client = client(relay);
		int count = 1000;
		int window = 32;
		for (int start = 0; start < count; start += window) {
			int end = Math.min(count, start + window);
			for (int i = start; i < end; i++) {
				send(client, variedPayload(i));
			}
			for (int i = start; i < end; i++) {
				assertThat(receive(client)).as("reply %d", i).isEqualTo(variedPayload(i));
			}
		}
		// The relay counts a datagram as forwarded just after writing it, so the last reply
		// can reach the client before the count: wait for the counters to settle.
		Stats stats = awaitSettled(relay, count);
		assertThat(stats.toTarget().received()).isEqualTo(count);
		assertThat(stats.toTarget().forwarded()).isEqualTo(count);
		assertThat(stats.toClient().received()).isEqualTo(count);
		assertThat(stats.toClient().forwarded()).isEqualTo(count);
		assertThat(stats.droppedByLoss()).isZero();
		assertThat(stats.droppedByOverflow()).isZero();
		assertThat(stats.duplicated()).isZero();
		assertThat(stats.clients()).isEqualTo(1);
	}

	@Test
	void lossDropsAboutTheConfiguredShareInEachDirection() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		LossyUdpRelay relay = relay(target, LinkImpairment.builder().loss(0.3).seed(42).build());
		DatagramSocket client = client(relay);
		int count = 2000;
		List<Integer> arrivals = exchange(relay, client, count, 50);

		Stats stats = relay.stats();
		// Expected 30% each way; +-10 points is about 10 standard deviations at n = 2000.
		assertThat(stats.toTarget().received()).isEqualTo(count);
		assertThat((double) stats.toTarget().droppedByLoss() / count).isBetween(0.2, 0.4);
		assertThat((double) stats.toClient().droppedByLoss() / stats.toClient().received()).isBetween(0.2, 0.4);
		assertThat(stats.toTarget().forwarded()).isEqualTo(count - stats.toTarget().droppedByLoss());
		assertThat(target.received()).isEqualTo((int) stats.toTarget().forwarded());
		assertThat(stats.toClient().received()).isEqualTo(stats.toTarget().forwarded());
		assertThat(arrivals).hasSize((int) stats.toClient().forwarded())
			.hasSize(count - (int) stats.droppedByLoss())
			.doesNotHaveDuplicates()
			.isSorted();
		assertThat(stats.droppedByOverflow()).isZero();
	}

	@Test
	void sameSeedYieldsSameFates() throws Exception {
		LinkImpairment impairment = LinkImpairment.builder().loss(0.5).seed(7).build();
		List<List<Integer>> runs = new ArrayList<>();
		for (int run = 0; run < 2; run++) {
			try (EchoTarget target = new EchoTarget(LOOPBACK_V4);
					LossyUdpRelay relay = LossyUdpRelay.start(target.address(), impairment);
					DatagramSocket client = client(relay)) {
				runs.add(exchange(relay, client, 200, 50));
			}
		}
		assertThat(runs.get(0)).isNotEmpty().hasSizeLessThan(200).isEqualTo(runs.get(1));
	}

	@Test
	void duplicationDeliversMoreThanWasSent() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		LossyUdpRelay relay = relay(target, LinkImpairment.builder().duplicate(0.5).seed(3).build());
		DatagramSocket client = client(relay);
		int count = 500;
		List<Integer> arrivals = exchange(relay, client, count, 25);

		Stats stats = relay.stats();
		assertThat(arrivals).hasSizeGreaterThan(count).hasSize((int) stats.toClient().forwarded());
		assertThat(stats.toTarget().duplicated()).isPositive();
		assertThat(stats.toClient().duplicated()).isPositive();
		assertThat(stats.toTarget().forwarded()).isEqualTo(count + stats.toTarget().duplicated());
		assertThat(target.received()).isEqualTo((int) stats.toTarget().forwarded());
		assertThat(stats.toClient().forwarded())
			.isEqualTo(stats.toClient().received() + stats.toClient().duplicated());
		Map<Integer, Integer> copies = new HashMap<>();
		arrivals.forEach((sequence) -> copies.merge(sequence, 1, Integer::sum));
		assertThat(copies).hasSize(count);
		// At most one duplicate per direction.
		assertThat(copies.values()).allSatisfy((n) -> assertThat(n).isBetween(1, 4));
		assertThat(stats.droppedByLoss()).isZero();
		assertThat(stats.droppedByOverflow()).isZero();
	}

	@Test
	void delayAppliesInEachDirection() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		LossyUdpRelay relay = relay(target, LinkImpairment.builder().delay(Duration.ofMillis(50)).build());
		DatagramSocket client = client(relay);
		byte[] payload = "ping".getBytes(StandardCharsets.US_ASCII);
		long start = System.nanoTime();
		send(client, payload);
		assertThat(receive(client)).isEqualTo(payload);
		long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		assertThat(elapsedMillis).isBetween(95L, 1500L);
	}

	@Test
	void reorderingLetsLaterDatagramsOvertake() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		LossyUdpRelay relay = relay(target,
				LinkImpairment.builder().reorder(0.3, Duration.ofMillis(10)).seed(11).build());
		DatagramSocket client = client(relay);
		int count = 500;
		List<Integer> arrivals = exchange(relay, client, count, 50);

		assertThat(arrivals).hasSize(count).doesNotHaveDuplicates().isNotEqualTo(sorted(arrivals));
		assertThat(relay.stats().droppedByLoss()).isZero();
	}

	@Test
	void bandwidthCapPacesAndDropsBeyondTheQueue() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		// 1000-byte datagrams at 100 kB/s: one every 10 ms, at most 5 waiting.
		LossyUdpRelay relay = relay(target, LinkImpairment.builder().bandwidth(100_000).queueLimit(5).build());
		DatagramSocket client = client(relay);
		int count = 40;
		long start = System.nanoTime();
		for (int i = 0; i < count; i++) {
			send(client, sequencedPayload(i, 1000));
		}
		Stats stats = awaitSettled(relay, count);
		long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

		assertThat(stats.toTarget().droppedByOverflow()).isPositive();
		assertThat(stats.toTarget().forwarded() + stats.toTarget().droppedByOverflow()).isEqualTo(count);
		assertThat(stats.toTarget().forwarded()).isGreaterThanOrEqualTo(5);
		// The bottleneck needs 10 ms per forwarded datagram, however fast they came in.
		assertThat(elapsedMillis).isGreaterThanOrEqualTo(stats.toTarget().forwarded() * 10 * 9 / 10);
		List<Integer> arrivals = new ArrayList<>();
		for (long i = 0; i < stats.toClient().forwarded(); i++) {
			arrivals.add(sequenceOf(receive(client)));
		}
		assertThat(arrivals).hasSize((int) stats.toTarget().forwarded()).isSorted();
	}

	@Test
	void clientsGetSeparateUpstreamPortsAndTheirOwnReplies() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		LossyUdpRelay relay = relay(target, LinkImpairment.none());
		DatagramSocket alice = client(relay);
		DatagramSocket bob = client(relay);
		for (int i = 0; i < 20; i++) {
			send(alice, ("alice-" + i).getBytes(StandardCharsets.US_ASCII));
			send(bob, ("bob-" + i).getBytes(StandardCharsets.US_ASCII));
		}
		for (int i = 0; i < 20; i++) {
			assertThat(new String(receive(alice), StandardCharsets.US_ASCII)).isEqualTo("alice-" + i);
			assertThat(new String(receive(bob), StandardCharsets.US_ASCII)).isEqualTo("bob-" + i);
		}
		assertThat(target.sources()).hasSize(2)
			.doesNotContain(alice.getLocalSocketAddress(), bob.getLocalSocketAddress())
			.extracting((source) -> ((InetSocketAddress) source).getPort())
			.doesNotHaveDuplicates();
		assertThat(relay.stats().clients()).isEqualTo(2);
	}

	@Test
	void cutLinkDropsEverythingUntilRestored() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		LinkImpairment original = LinkImpairment.builder().delay(Duration.ofMillis(1)).build();
		LossyUdpRelay relay = relay(target, original);
		DatagramSocket client = client(relay);
		byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
		send(client, ping);
		assertThat(receive(client)).isEqualTo(ping);

		relay.setImpairment(LinkImpairment.cut());
		assertThat(relay.impairment()).isEqualTo(LinkImpairment.cut());
		for (int i = 0; i < 20; i++) {
			send(client, sequencedPayload(i, 16));
		}
		Stats stats = awaitSettled(relay, 21);
		assertThat(stats.toTarget().droppedByLoss()).isEqualTo(20);
		assertThat(target.received()).isEqualTo(1);
		// A bounded negative check: nothing may arrive while the link is cut.
		client.setSoTimeout(200);
		assertThatThrownBy(() -> receive(client)).isInstanceOf(SocketTimeoutException.class);

		relay.setImpairment(original);
		client.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
		send(client, ping);
		assertThat(receive(client)).isEqualTo(ping);
		assertThat(target.received()).isEqualTo(2);
	}

	@Test
	void closeReleasesThePortAndStopsTheThreads() throws Exception {
		EchoTarget target = echoTarget(LOOPBACK_V4);
		LossyUdpRelay relay = relay(target, LinkImpairment.builder().delay(Duration.ofMillis(20)).build());
		DatagramSocket client = client(relay);
		byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
		send(client, ping);
		assertThat(receive(client)).isEqualTo(ping);
		// Leave a datagram in flight so that close() has something to discard.
		send(client, ping);
		int port = relay.localAddress().getPort();

		relay.close();
		Stats stats = relay.stats();
		assertThat(stats.toTarget().isSettled()).isTrue();
		assertThat(stats.toClient().isSettled()).isTrue();
		assertThat(stats.toTarget().inFlight() + stats.toClient().inFlight()).isZero();
		assertThat(Thread.getAllStackTraces().keySet()).noneMatch(
				(thread) -> thread.getName().startsWith("lossy-udp-relay-" + port + "-") && thread.isAlive());
		try (DatagramSocket rebound = new DatagramSocket(new InetSocketAddress(LOOPBACK_V4, port))) {
			assertThat(rebound.getLocalPort()).isEqualTo(port);
		}
		relay.close();
	}

	@Test
	void worksOverIpv6Loopback() throws Exception {
		InetAddress loopbackV6 = address(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 });
		assumeTrue(canBind(loopbackV6), "IPv6 loopback unavailable");
		EchoTarget target = echoTarget(loopbackV6);
		LossyUdpRelay relay = relay(target, LinkImpairment.none());
		assertThat(relay.localAddress().getAddress()).isInstanceOf(Inet6Address.class)
			.satisfies((address) -> assertThat(address.isLoopbackAddress()).isTrue());
		DatagramSocket client = client(relay);
		byte[] ping = "ping6".getBytes(StandardCharsets.US_ASCII);
		send(client, ping);
		assertThat(receive(client)).isEqualTo(ping);
		assertThat(target.sources()).allSatisfy(
				(source) -> assertThat(((InetSocketAddress) source).getAddress()).isInstanceOf(Inet6Address.class));
	}

	@Test
	void rejectsBindAddressOfAnotherFamily() throws Exception {
		InetSocketAddress target = new InetSocketAddress(LOOPBACK_V4, 9);
		InetSocketAddress bindV6 = new InetSocketAddress(
				address(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }), 0);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LossyUdpRelay.start(bindV6, target, LinkImpairment.none()))
			.withMessageContaining("address family");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LossyUdpRelay.start(InetSocketAddress.createUnresolved("example.invalid", 9),
					LinkImpairment.none()))
			.withMessageContaining("resolved");
	}

	/**
	 * Send {@code count} sequenced datagrams in windows, wait after each window until
	 * the relay has settled both ways, then read exactly the replies it forwarded.
	 * @return the sequence numbers of the replies, in arrival order
	 */
	private static List<Integer> exchange(LossyUdpRelay relay, DatagramSocket client, int count, int window)
			throws IOException {
		List<Integer> arrivals = new ArrayList<>();
		for (int start = 0; start < count; start += window) {
			int end = Math.min(count, start + window);
			for (int i = start; i < end; i++) {
				send(client, sequencedPayload(i, 4 + i % 200));
			}
			Stats stats = awaitSettled(relay, end);
			while (arrivals.size() < stats.toClient().forwarded()) {
				arrivals.add(sequenceOf(receive(client)));
			}
		}
		return arrivals;
	}

	/**
	 * Wait until the relay has read {@code sentToTarget} datagrams from clients, the
	 * echo target has answered everything forwarded to it, and nothing is in flight.
	 * Relies on the echo target answering every datagram, which holds on loopback with
	 * the small windows used here.
	 */
	private static Stats awaitSettled(LossyUdpRelay relay, long sentToTarget) {
		return await().atMost(Duration.ofSeconds(5))
			.pollInSameThread()
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(1))
			.until(relay::stats,
					(stats) -> stats.toTarget().received() == sentToTarget && stats.toTarget().isSettled()
							&& stats.toClient().received() == stats.toTarget().forwarded()
							&& stats.toClient().isSettled());
	}

	private EchoTarget echoTarget(InetAddress address) throws IOException {
		EchoTarget target = new EchoTarget(address);
		this.resources.push(target);
		return target;
	}

	private LossyUdpRelay relay(EchoTarget target, LinkImpairment impairment) throws IOException {
		LossyUdpRelay relay = LossyUdpRelay.start(target.address(), impairment);
		this.resources.push(relay);
		return relay;
	}

	private DatagramSocket client(LossyUdpRelay relay) throws IOException {
		DatagramSocket socket = new DatagramSocket(new InetSocketAddress(relay.localAddress().getAddress(), 0));
		socket.connect(relay.localAddress());
		socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
		socket.setReceiveBufferSize(1 << 20);
		this.resources.push(socket);
		return socket;
	}

	private static void send(DatagramSocket client, byte[] payload) throws IOException {
		client.send(new DatagramPacket(payload, payload.length));
	}

	private static byte[] receive(DatagramSocket client) throws IOException {
		DatagramPacket packet = new DatagramPacket(new byte[65536], 65536);
		client.receive(packet);
		return Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getOffset() + packet.getLength());
	}

	/** Sizes cycle through 1..1400 bytes; contents differ per index. */
	private static byte[] variedPayload(int index) {
		byte[] payload = new byte[1 + (index * 397) % 1400];
		for (int i = 0; i < payload.length; i++) {
			payload[i] = (byte) (index * 31 + i * 7);
		}
		return payload;
	}

	private static byte[] sequencedPayload(int sequence, int size) {
		return ByteBuffer.allocate(size).putInt(sequence).array();
	}

	private static int sequenceOf(byte[] payload) {
		return ByteBuffer.wrap(payload).getInt();
	}

	private static List<Integer> sorted(List<Integer> values) {
		return values.stream().sorted().toList();
	}

	private static boolean canBind(InetAddress address) {
		try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, 0))) {
			return socket.isBound();
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static InetAddress address(byte[] bytes) {
		try {
			return InetAddress.getByAddress(bytes);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
