package io.github.kcp.core.transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.AesCbcHmacCipher;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.protocol.KcpCodec;
import io.github.kcp.testsupport.interop.DeterministicContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Batched I/O on real loopback sockets: native epoll is chosen on Linux, runs of full-size datagrams leave as one
 * UDP GSO write and still arrive as ordinary datagrams at a plain socket (a standard KCP peer), every switch of
 * {@link UdpOptions} keeps transfers intact (encrypted ones show that every datagram arrives alone), and read buffers
 * grow with a raised mtu.
 */
class KcpBatchedIoTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder()
		.nodelay(1, 10, 2, true)
		.windowSize(256, 256)
		.build();

	@Test
	void linuxGetsNativeEpollWithItsOffloads() {
		assumeThat(System.getProperty("os.name")).startsWith("Linux");
		assumeThat(System.getProperty("os.arch")).isIn("amd64", "x86_64");
		assertThat(KcpEventLoopGroup.isNativeTransportAvailable()).as("the native library loads").isTrue();
		assertThat(KcpEventLoopGroup.shared().isNativeTransport()).isTrue();
		KcpServer server = server(FAST, RecordingHandler.echo());
		assertThat(server.endpoint().features()).startsWith("epoll recvmmsg sendmmsg");
	}

	@Test
	void aGroupWithoutNativeTransportUsesNioAndStillWorks() throws Exception {
		try (KcpEventLoopGroup nio = KcpEventLoopGroup.create(1, "nio-test", true, false)) {
			assertThat(nio.isNativeTransport()).isFalse();
			KcpServer server = KcpServer.builder().config(FAST).eventLoops(nio).handler(RecordingHandler.echo())
				.bind("127.0.0.1", 0);
			try {
				assertThat(server.endpoint().features()).isEqualTo("nio");
				RecordingHandler handler = RecordingHandler.recorder();
				KcpSession client = KcpClient.builder().config(FAST).eventLoops(nio).handler(handler)
					.connect(server.localAddress());
				byte[] message = DeterministicContent.indexedMessage(7, 100_000);
				client.send(message).get(10, TimeUnit.SECONDS);
				assertThat(handler.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(message);
				client.abort();
			}
			finally {
				server.shutdown(Duration.ofMillis(100)).get(5, TimeUnit.SECONDS);
			}
		}
	}

	@Test
	void aRunOfFullDatagramsLeavesAsOneSegmentedWriteAndArrivesAsOrdinaryDatagrams() {
		assumeThat(UdpFeatures.isSegmentationOffloadSupported()).as("UDP GSO on this kernel").isTrue();
		RawUdpPeer peer = raw();
		EventLoopSession client = (EventLoopSession) client(FAST, RecordingHandler.recorder(), peer.localAddress());
		int mss = FAST.mtu() - KcpCodec.OVERHEAD;
		int segments = 70;
		byte[] message = DeterministicContent.indexedMessage(1, segments * mss - 100);

		client.send(message);

		// The peer never acknowledges: the first flush sends every segment once (no congestion window, and the
		// peer's window is the default 128), as ordinary datagrams of at most the mtu.
		List<byte[]> received = new ArrayList<>();
		while (received.size() < segments) {
			byte[] datagram = peer.awaitDatagram((d) -> (d[4] & 0xff) == KcpCodec.CMD_PUSH, Duration.ofSeconds(5));
			received.add(datagram);
		}
		byte[] reassembled = new byte[message.length];
		int position = 0;
		for (int i = 0; i < segments; i++) {
			byte[] datagram = received.get(i);
			assertThat(datagram.length).as("datagram %d", i).isLessThanOrEqualTo(FAST.mtu());
			assertThat(KcpCodec.readInt(datagram, 12)).as("sn of datagram %d", i).isEqualTo(i);
			int length = KcpCodec.readInt(datagram, 20);
			// One whole segment; a datagram with room may also carry our close-handshake offer after it.
			int extra = datagram.length - (KcpCodec.OVERHEAD + length);
			assertThat(extra).as("one whole segment").isIn(0, KcpCodec.OVERHEAD);
			if (extra > 0) {
				assertThat(SniffingRelay.offersCloseHandshake(datagram)).as("datagram %d ends with an offer", i).isTrue();
			}
			System.arraycopy(datagram, KcpCodec.OVERHEAD, reassembled, position, length);
			position += length;
		}
		assertThat(position).isEqualTo(message.length);
		assertThat(reassembled).isEqualTo(message);
		assertThat(client.endpoint().segmentedWrites()).as("GSO writes").isBetween(1L, 3L);
		assertThat(client.endpoint().segmentedDatagrams()).as("datagrams sent through GSO").isGreaterThanOrEqualTo(64);
	}

	@Test
	void everySwitchOfTheOptionsKeepsATransferIntactInClearAndEncrypted() throws Exception {
		List<UdpOptions> variants = List.of(UdpOptions.defaults(), UdpOptions.plain(),
				UdpOptions.defaults().withSegmentationOffload(false), UdpOptions.defaults().withReceiveOffload(true),
				UdpOptions.defaults().withBatchedReads(false), UdpOptions.defaults().withBatchedWrites(false));
		// Encrypted datagrams show whether each datagram arrives alone: glued together, they would fail to decrypt.
		PacketCipher cipher = AesCbcHmacCipher.derive(bytes("12345678901234567890123456789012"),
				bytes("1234567890123456"), 1000);
		byte[] payload = DeterministicContent.indexedMessage(3, 300_000);
		for (PacketCipher stage : Arrays.asList(null, cipher)) {
			for (UdpOptions options : variants) {
				String what = options + ((stage != null) ? " encrypted" : " in clear");
				KcpServer server = KcpServer.builder().config(FAST).cipher(stage).udpOptions(options)
					.handler(RecordingHandler.echo()).bind("127.0.0.1", 0);
				this.resources.add(() -> server.shutdown(Duration.ofMillis(100)).get(5, TimeUnit.SECONDS));
				RecordingHandler handler = RecordingHandler.recorder();
				KcpSession client = KcpClient.builder().config(FAST).cipher(stage).udpOptions(options)
					.handler(handler).connect(server.localAddress());
				this.resources.add(client::abort);
				for (int i = 0; i < 4; i++) {
					client.send(Arrays.copyOfRange(payload, i * 75_000, (i + 1) * 75_000));
				}
				byte[] echoed = new byte[payload.length];
				for (int i = 0; i < 4; i++) {
					byte[] message = handler.messages.poll(10, TimeUnit.SECONDS);
					assertThat(message).as("%s: echo %d", what, i).isNotNull();
					System.arraycopy(message, 0, echoed, i * 75_000, message.length);
				}
				assertThat(echoed).as("%s", what).isEqualTo(payload);
				assertThat(server.droppedDatagrams()).as("%s: drops", what).isZero();
				UdpEndpoint endpoint = ((EventLoopSession) client).endpoint();
				if (!options.segmentationOffload() || !options.batchedWrites()) {
					assertThat(endpoint.segmentedWrites()).as("%s", what).isZero();
				}
				if (KcpEventLoopGroup.shared().isNativeTransport()) {
					assertThat(endpoint.usesReceiveOffload()).as("%s: GRO", what).isEqualTo(options.receiveOffload());
				}
			}
		}
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	@Test
	void readBuffersGrowWithARaisedMtu() throws Exception {
		UdpOptions noGro = UdpOptions.defaults();
		KcpServer server = KcpServer.builder().config(FAST).udpOptions(noGro).handler(RecordingHandler.echo())
			.bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(100)).get(5, TimeUnit.SECONDS));
		assertThat(server.endpoint().features()).endsWith("slot=" + UdpEndpoint.MIN_READ_SLOT);
		server.setMtu(9000);
		RecordingHandler handler = RecordingHandler.recorder();
		KcpSession client = KcpClient.builder().config(FAST.toBuilder().mtu(9000).build()).udpOptions(noGro)
			.handler(handler).connect(server.localAddress());
		this.resources.add(client::abort);
		await().atMost(Duration.ofSeconds(5)).until(() -> server.endpoint().features().endsWith("slot=9000"));
		assertThat(((EventLoopSession) client).endpoint().features()).endsWith("slot=9000");

		byte[] message = DeterministicContent.indexedMessage(9, 200_000);
		client.send(message).get(10, TimeUnit.SECONDS);
		assertThat(handler.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(message);
		assertThat(server.droppedDatagrams(DropReason.ENGINE_REJECTED)).isZero();
		assertThat(server.droppedDatagrams(DropReason.MALFORMED)).isZero();
	}

	/**
	 * Netty makes a channel's read handle at its first read and keeps it, so the mtu raised on a server that has
	 * already received must reach that handle: with one datagram per read (no recvmmsg) a 2 KiB buffer would cut
	 * every 9000-byte datagram short, and none of them would decode.
	 */
	@ParameterizedTest(name = "batched reads {0}")
	@ValueSource(booleans = { true, false })
	void readBuffersGrowWithAnMtuRaisedAfterTheFirstReads(boolean batchedReads) throws Exception {
		UdpOptions options = UdpOptions.defaults().withBatchedReads(batchedReads);
		KcpServer server = KcpServer.builder().config(FAST).udpOptions(options).handler(RecordingHandler.echo())
			.bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(100)).get(5, TimeUnit.SECONDS));
		RecordingHandler first = RecordingHandler.recorder();
		KcpSession small = KcpClient.builder().config(FAST).udpOptions(options).handler(first)
			.connect(server.localAddress());
		this.resources.add(small::abort);
		small.send("before".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
		assertThat(first.messages.poll(5, TimeUnit.SECONDS)).as("the server has read through its read handle")
			.isEqualTo("before".getBytes(StandardCharsets.UTF_8));

		server.setMtu(9000);
		await().atMost(Duration.ofSeconds(5)).until(() -> server.endpoint().features().endsWith("slot=9000"));
		RecordingHandler handler = RecordingHandler.recorder();
		KcpSession large = KcpClient.builder().config(FAST.toBuilder().mtu(9000).build()).udpOptions(options)
			.handler(handler).connect(server.localAddress());
		this.resources.add(large::abort);
		byte[] message = DeterministicContent.indexedMessage(10, 200_000);
		large.send(message).get(10, TimeUnit.SECONDS);
		assertThat(handler.messages.poll(10, TimeUnit.SECONDS)).isEqualTo(message);
		assertThat(server.droppedDatagrams(DropReason.MALFORMED)).isZero();
		assertThat(server.droppedDatagrams(DropReason.ENGINE_REJECTED)).isZero();
	}

}
