package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.AesGcmCipher;
import io.github.kcp.core.crypto.EndpointRole;
import io.github.kcp.core.crypto.PacketCipher;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Captured aes-gcm traffic replayed over UDP, from the client's own address and from another source port, opens no
 * session and reaches no handler: the server's cipher refuses every copy (counted as {@link DropReason#REPLAYED}), while a
 * fresh datagram sent afterwards from that other port does open a session, which proves the replays were read.
 */
class KcpEncryptedReplayTest extends LoopbackTestSupport {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	private static final byte[] KEY = new byte[32];

	@Test
	void replayedCiphertextOpensNoSessionAndRunsNoHandler() throws Exception {
		RecordingHandler handler = RecordingHandler.recorder();
		KcpServer server = server(FAST, AesGcmCipher.withKey(KEY), handler);
		SniffingRelay sniffer = sniffer(server.localAddress());
		KcpSession client = client(FAST, AesGcmCipher.withKey(KEY), RecordingHandler.recorder(),
				sniffer.localAddress());
		client.send(text("pay 100")).get(5, TimeUnit.SECONDS);
		assertThat(handler.nextMessage(WAIT)).isEqualTo(text("pay 100"));
		List<byte[]> captured = new ArrayList<>(sniffer.toTarget());
		assertThat(captured).isNotEmpty();
		long refusedBefore = server.droppedDatagrams(DropReason.REPLAYED);

		// From the client's own address, into its live session ...
		for (byte[] datagram : captured) {
			sniffer.injectToTarget(datagram);
		}
		// ... and from another source port, where it would open a session.
		RawUdpPeer attacker = raw();
		InetSocketAddress target = server.localAddress();
		for (byte[] datagram : captured) {
			attacker.send(target, datagram);
		}
		await().atMost(WAIT)
			.until(() -> server.droppedDatagrams(DropReason.REPLAYED) - refusedBefore >= 2L * captured.size());

		// A fresh datagram from the attacker's port, sent after the replays, opens a session: the replays were read
		// and had their chance.
		PacketCipher honest = AesGcmCipher.withKey(KEY).forRole(EndpointRole.CLIENT);
		attacker.send(target, honest.encrypt(RawUdpPeer.push(0x5eed, 0, text("fresh"))));
		assertThat(handler.nextMessage(WAIT)).isEqualTo(text("fresh"));

		assertThat(handler.events()).containsExactly("open", "message", "open", "message");
		assertThat(server.sessionCount()).isEqualTo(2);
		assertThat(handler.messages).isEmpty();
	}

	private static byte[] text(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

}
