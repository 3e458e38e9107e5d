package io.github.kcp.core.transport;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server echoes, a client sends and receives, and a close on one side is seen as "closed by peer" on the other.
 */
@Timeout(30)
class KcpEchoSmokeTest {

	@Test
	void echoAndCloseNotification() throws Exception {
		KcpConfig config = KcpConfig.builder().nodelay(1, 10, 2, true).build();
		CompletableFuture<CloseReason> serverSideClose = new CompletableFuture<>();
		try (KcpServer server = KcpServer.builder().config(config).handler(new KcpSessionHandler() {
			@Override
			public void onMessage(KcpSession session, byte[] message) {
				session.send(message);
			}

			@Override
			public void onClose(KcpSession session, CloseReason reason, Throwable cause) {
				serverSideClose.complete(reason);
			}
		}).bind("127.0.0.1", 0)) {
			LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
			KcpSession client = KcpClient.builder()
				.config(config)
				.handler((s, m) -> replies.add(new String(m, StandardCharsets.UTF_8)))
				.connect("127.0.0.1", server.localPort());
			client.send("hello".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
			assertThat(replies.poll(5, TimeUnit.SECONDS)).isEqualTo("hello");
			assertThat(server.sessionCount()).isEqualTo(1);
			assertThat(client.close().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
			assertThat(serverSideClose.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(server.sessionCount()).isZero();
		}
	}

}
