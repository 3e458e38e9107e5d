package io.github.kcp.core.transport;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over real sockets: a kcp-core client that only uploads, to a server that never answers, proves its address by
 * echoing the server's challenge, and so is not held to the unproven peers' window (see ServerProtectionTest for
 * the rules in virtual time).
 */
class KcpAddressChallengeTest {

	private static final KcpConfig WIDE = KcpConfig.builder()
		.nodelay(1, 10, 2, true)
		.sendWindow(1024)
		.receiveWindow(1024)
		.build();

	@Test
	void anUploadOnlyClientIsProvenWithoutServerDataAndGetsTheWholeWindow() throws Exception {
		LinkedBlockingQueue<KcpSession> receiving = new LinkedBlockingQueue<>();
		try (KcpServer server = KcpServer.builder().config(WIDE).handler((session, message) -> {
			if (receiving.isEmpty()) {
				receiving.add(session);
			}
		}).bind("127.0.0.1", 0)) {
			KcpSession client = KcpClient.builder()
				.config(WIDE)
				.handler((session, message) -> {
				})
				.connect(server.localAddress());
			byte[] chunk = new byte[1000];
			for (int i = 0; i < 200; i++) {
				client.send(chunk).get(5, TimeUnit.SECONDS);
			}
			KcpSession served = receiving.poll(5, TimeUnit.SECONDS);
			assertThat(served).isNotNull();
			assertThat(served.stats().payloadBytesOut()).as("the server sent no data").isZero();
			assertThat(served.stats().peerProven()).isTrue();
			assertThat(client.stats().remoteWindow()).as("not the unproven budget's ~47 segments").isGreaterThan(900);
			client.close().get(5, TimeUnit.SECONDS);
		}
	}

}
