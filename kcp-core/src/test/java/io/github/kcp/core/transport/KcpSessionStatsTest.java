package io.github.kcp.core.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.crypto.AesGcmCipher;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.protocol.KcpCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A session's statistics agree with what really went over the wire, as seen by a relay in the middle: datagrams
 * and bytes in and out (after encryption), messages, acknowledged and buffered bytes.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KcpSessionStatsTest {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).windowSize(256, 256).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	private static final int MESSAGES = 100;

	private static final int SIZE = 3000;

	private final List<AutoCloseable> resources = new ArrayList<>();

	@AfterEach
	void release() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "plain", "aes-gcm" })
	void countersMatchTheDatagramsOnTheWire(String mode) throws Exception {
		PacketCipher cipher = mode.equals("aes-gcm") ? AesGcmCipher.withKey(new byte[32]) : null;
		KcpConfig config = FAST;
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = KcpServer.builder().config(config).cipher(cipher).handler(serverSide).bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		SniffingRelay relay = SniffingRelay.start(server.localAddress());
		this.resources.add(relay);
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = KcpClient.builder()
			.config(config)
			.cipher(cipher)
			.handler(clientSide)
			.connect(relay.localAddress());
		this.resources.add(client::abort);

		List<CompletableFuture<Void>> sends = new ArrayList<>();
		for (int i = 0; i < MESSAGES; i++) {
			sends.add(client.send(KcpSessionCloseTest.message(i, SIZE)));
		}
		CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
		for (int i = 0; i < MESSAGES; i++) {
			assertThat(clientSide.nextMessage(WAIT)).isEqualTo(KcpSessionCloseTest.message(i, SIZE));
		}
		KcpSession serverSession = serverSide.opened.get(1, TimeUnit.SECONDS);
		await().atMost(WAIT).until(() -> serverSession.stats().sendBufferedBytes() == 0);

		// Once the last acknowledgements have crossed, both ends and the relay agree exactly.
		await().atMost(WAIT).untilAsserted(() -> {
			KcpSessionStats c = client.stats();
			KcpSessionStats s = serverSession.stats();
			List<byte[]> up = relay.toTarget();
			List<byte[]> down = relay.toClient();
			assertThat(c.datagramsOut()).isEqualTo(up.size()).isEqualTo(s.datagramsIn());
			assertThat(c.bytesOut()).isEqualTo(totalBytes(up)).isEqualTo(s.bytesIn());
			assertThat(s.datagramsOut()).isEqualTo(down.size()).isEqualTo(c.datagramsIn());
			assertThat(s.bytesOut()).isEqualTo(totalBytes(down)).isEqualTo(c.bytesIn());
			// Segments: nothing lost, so what one side sent the other parsed.
			assertThat(c.segmentsOut()).isEqualTo(s.segmentsIn());
			assertThat(s.segmentsOut()).isEqualTo(c.segmentsIn());
		});
		KcpSessionStats c = client.stats();
		KcpSessionStats s = serverSession.stats();
		int mss = config.engineMtu((cipher != null) ? cipher.overhead() : 0) - KcpCodec.OVERHEAD;
		int fragmentsPerMessage = (SIZE + mss - 1) / mss;
		assertThat(c.messagesOut()).isEqualTo(MESSAGES);
		assertThat(s.messagesIn()).isEqualTo(MESSAGES);
		assertThat(s.messagesOut()).isEqualTo(MESSAGES);
		assertThat(c.messagesIn()).isEqualTo(MESSAGES);
		assertThat(c.payloadBytesOut()).isEqualTo((long) MESSAGES * SIZE).isEqualTo(s.payloadBytesIn());
		assertThat(s.payloadBytesOut()).isEqualTo((long) MESSAGES * SIZE).isEqualTo(c.payloadBytesIn());
		// Data segments alone; acknowledgements come on top.
		assertThat(c.segmentsOut()).isGreaterThanOrEqualTo((long) MESSAGES * fragmentsPerMessage);
		long overheadPerDatagram = (cipher != null) ? cipher.overhead() : 0;
		long minimumOut = (long) MESSAGES * SIZE + c.segmentsOut() * KcpCodec.OVERHEAD
				+ c.datagramsOut() * overheadPerDatagram;
		assertThat(c.bytesOut()).as("payload + headers + cipher overhead").isGreaterThanOrEqualTo(minimumOut);
		for (KcpSessionStats stats : List.of(c, s)) {
			assertThat(stats.sendBufferedBytes()).isZero();
			assertThat(stats.inFlight()).isZero();
			assertThat(stats.waitingSegments()).isZero();
			assertThat(stats.droppedDatagrams()).isZero();
			assertThat(stats.rto()).isPositive();
			assertThat(stats.remoteWindow()).isEqualTo(256);
		}
	}

	@Test
	void handlersHearTheRoundTripSamplesOfTheirSession() throws Exception {
		List<Integer> serverSamples = new java.util.concurrent.CopyOnWriteArrayList<>();
		KcpSessionHandler echo = new KcpSessionHandler() {
			@Override
			public void onMessage(KcpSession session, byte[] message) {
				session.send(message);
			}

			@Override
			public void onRttSample(KcpSession session, int rttMillis) {
				serverSamples.add(rttMillis);
			}
		};
		KcpServer server = KcpServer.builder().config(FAST).handler(echo).bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		List<Integer> clientSamples = new java.util.concurrent.CopyOnWriteArrayList<>();
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = KcpClient.builder().config(FAST).handler(new KcpSessionHandler() {
			@Override
			public void onMessage(KcpSession session, byte[] message) {
				clientSide.onMessage(session, message);
			}

			@Override
			public void onRttSample(KcpSession session, int rttMillis) {
				clientSamples.add(rttMillis);
			}
		}).connect(server.localAddress());
		this.resources.add(client::abort);
		for (int i = 0; i < 10; i++) {
			client.send(KcpSessionCloseTest.message(i, 100)).get(5, TimeUnit.SECONDS);
			assertThat(clientSide.nextMessage(WAIT)).isEqualTo(KcpSessionCloseTest.message(i, 100));
		}
		// Each acknowledged data segment is one sample at its sender; loopback round trips take milliseconds at most.
		await().atMost(WAIT).until(() -> clientSamples.size() >= 10 && serverSamples.size() >= 10);
		assertThat(clientSamples).allSatisfy((rtt) -> assertThat(rtt).isBetween(0, 1000));
		assertThat(client.stats().srtt()).isLessThanOrEqualTo(1000);
	}

	@Test
	void clientCountsDatagramsItDropsAgainstItsSession() throws Exception {
		// The client's "server" is a raw socket that answers with garbage, other conversations and one good ACK.
		RawUdpPeer fakeServer = new RawUdpPeer();
		this.resources.add(fakeServer);
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = KcpClient.builder().config(FAST).handler(clientSide).connect(fakeServer.localAddress());
		this.resources.add(client::abort);
		client.send("hello".getBytes(StandardCharsets.US_ASCII));
		byte[] push = fakeServer.awaitDatagram((d) -> RawUdpPeer.cmd(d) == KcpCodec.CMD_PUSH, WAIT);
		int conv = KcpCodec.readConv(push, 0);
		InetSocketAddress clientAddress = loopback(client.localAddress().getPort());

		fakeServer.send(clientAddress, new byte[] { 1, 2, 3 });
		fakeServer.send(clientAddress, RawUdpPeer.push(conv + 1, 0, new byte[10]));
		fakeServer.send(clientAddress, RawUdpPeer.segment(conv, 99, 0, 0, new byte[0]));
		await().atMost(WAIT).untilAsserted(() -> {
			KcpSessionStats stats = client.stats();
			assertThat(stats.droppedDatagrams(DropReason.MALFORMED)).isEqualTo(1);
			assertThat(stats.droppedDatagrams(DropReason.UNEXPECTED_SOURCE)).isEqualTo(1);
			assertThat(stats.droppedDatagrams(DropReason.ENGINE_REJECTED)).isEqualTo(1);
		});
		assertThat(client.stats().droppedDatagrams()).isEqualTo(3);
		assertThat(client.isOpen()).isTrue();
		assertThat(clientSide.messages).isEmpty();
	}

	private static long totalBytes(List<byte[]> datagrams) {
		return datagrams.stream().mapToLong((d) -> d.length).sum();
	}

	private static InetSocketAddress loopback(int port) {
		return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
	}

}
