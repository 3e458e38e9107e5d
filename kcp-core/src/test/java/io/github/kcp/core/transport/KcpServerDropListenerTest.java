package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.AesGcmCipher;
import io.github.kcp.core.crypto.EndpointRole;
import io.github.kcp.core.crypto.PacketCipher;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KcpServer.Builder#dropListener}: a datagram the packet stage drops is told to the listener with its reason
 * and its source address — what the counters alone cannot say (which peer has the wrong key) — and a listener that
 * throws does not disturb the server.
 */
class KcpServerDropListenerTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	private static final byte[] KEY = new byte[32];

	private static final byte[] OTHER_KEY = filled(32, (byte) 7);

	/** What the listener was told, in order. */
	private final BlockingQueue<String> told = new LinkedBlockingQueue<>();

	@Test
	void tellsEachDatagramThePacketStageDropsWithItsReasonAndSource() throws Exception {
		RecordingHandler handler = RecordingHandler.recorder();
		KcpServer server = server((reason, sender) -> this.told.add(reason + " from " + sender), handler);
		RawUdpPeer peer = raw();
		InetSocketAddress target = server.localAddress();

		// Encrypted with another key: it cannot be authenticated.
		PacketCipher wrongKey = AesGcmCipher.withKey(OTHER_KEY).forRole(EndpointRole.CLIENT);
		peer.send(target, wrongKey.encrypt(RawUdpPeer.push(0x1001, 0, text("wrong key"))));
		assertThat(this.told.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS))
			.isEqualTo(DropReason.DECRYPT_FAILED + " from " + peer.localAddress());

		// The right key opens a session; the very same datagram again is a replay.
		PacketCipher rightKey = AesGcmCipher.withKey(KEY).forRole(EndpointRole.CLIENT);
		byte[] datagram = rightKey.encrypt(RawUdpPeer.push(0x1002, 0, text("right key")));
		peer.send(target, datagram);
		assertThat(handler.nextMessage(WAIT)).isEqualTo(text("right key"));
		peer.send(target, datagram);
		assertThat(this.told.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS))
			.isEqualTo(DropReason.REPLAYED + " from " + peer.localAddress());

		// Each tell matches a counted drop, and nothing else was dropped or told.
		assertThat(server.droppedDatagrams(DropReason.DECRYPT_FAILED)).isEqualTo(1);
		assertThat(server.droppedDatagrams(DropReason.REPLAYED)).isEqualTo(1);
		assertThat(this.told).isEmpty();
		assertThat(handler.events()).containsExactly("open", "message");
	}

	@Test
	void aListenerThatThrowsDoesNotDisturbTheServer() throws Exception {
		RecordingHandler handler = RecordingHandler.recorder();
		KcpServer server = server((reason, sender) -> {
			this.told.add(reason.toString());
			throw new IllegalStateException("listener bug");
		}, handler);
		RawUdpPeer peer = raw();
		InetSocketAddress target = server.localAddress();

		PacketCipher wrongKey = AesGcmCipher.withKey(OTHER_KEY).forRole(EndpointRole.CLIENT);
		for (int i = 0; i < 3; i++) {
			peer.send(target, wrongKey.encrypt(RawUdpPeer.push(0x2001, i, text("junk " + i))));
		}
		PacketCipher rightKey = AesGcmCipher.withKey(KEY).forRole(EndpointRole.CLIENT);
		peer.send(target, rightKey.encrypt(RawUdpPeer.push(0x2002, 0, text("still served"))));

		// Sent after the failing calls, on the same socket: the server read on and opened the session.
		assertThat(handler.nextMessage(WAIT)).isEqualTo(text("still served"));
		assertThat(this.told).hasSize(3).containsOnly(DropReason.DECRYPT_FAILED.toString());
		assertThat(server.droppedDatagrams(DropReason.DECRYPT_FAILED)).isEqualTo(3);
		assertThat(server.droppedDatagrams(DropReason.INPUT_FAILED)).isZero();
	}

	private KcpServer server(BiConsumer<DropReason, InetSocketAddress> listener, KcpSessionHandler handler) {
		KcpServer server = KcpServer.builder()
			.config(FAST)
			.cipher(AesGcmCipher.withKey(KEY))
			.dropListener(listener)
			.handler(handler)
			.bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		return server;
	}

	private static byte[] text(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	private static byte[] filled(int length, byte value) {
		byte[] bytes = new byte[length];
		Arrays.fill(bytes, value);
		return bytes;
	}

}
