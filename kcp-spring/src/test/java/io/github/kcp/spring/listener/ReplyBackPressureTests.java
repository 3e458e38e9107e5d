package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A peer that sends faster than the server's replies can leave (a small send window and send buffer on the server)
 * gets every reply, whole and in order: a reply that finds the session's send buffer full waits for room instead of
 * being dropped, and the session is read more slowly meanwhile, so the peer is slowed down rather than the replies
 * lost. (Before, the replies were dropped with "Send buffer full" and the echoes came back shifted.)
 */
@Timeout(120)
class ReplyBackPressureTests {

	private static final int MESSAGES = 3000;

	private static final int SIZE = 1024;

	@Test
	void everyReplyIsDeliveredInOrderWhenThePeerSendsFasterThanRepliesLeave() throws Exception {
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		registry.register(KcpHandlerEndpoint.of("echo", new Echo(), Echo.class.getDeclaredMethod("echo", byte[].class)));
		KcpServerContainer container = new KcpServerContainer(registry);
		// The server's replies leave slowly (8 segments per round trip) from a buffer of 16 KiB.
		container.setConfig(KcpConfig.builder()
			.nodelay(1, 10, 2, true)
			.windowSize(8, 1024)
			.sendBufferSize(16 * 1024)
			.build());
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.setShutdownTimeout(Duration.ofSeconds(5));
		ExecutorService handlers = Executors.newFixedThreadPool(2);
		container.setTaskExecutor(handlers);
		container.start();
		LinkedBlockingQueue<byte[]> echoes = new LinkedBlockingQueue<>();
		KcpSession client = KcpClient.builder()
			.config(KcpConfig.builder()
				.nodelay(1, 10, 2, true)
				.windowSize(1024, 1024)
				.sendBufferSize(2 * MESSAGES * SIZE)
				.build())
			.handler((session, message) -> echoes.add(message))
			.connect(container.getLocalAddress());
		try {
			// All at once: the client's window is far larger than what the server's replies can keep up with.
			List<CompletableFuture<Void>> sends = new ArrayList<>();
			for (int i = 0; i < MESSAGES; i++) {
				sends.add(client.send(message(i)));
			}
			for (int i = 0; i < MESSAGES; i++) {
				byte[] echo = echoes.poll(30, TimeUnit.SECONDS);
				assertThat(echo).as("echo %d", i).isNotNull();
				assertThat(Arrays.equals(echo, message(i))).as("echo %d is message %d", i, i).isTrue();
			}
			CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
			KcpHandlerMessageListenerAdapter adapter = (KcpHandlerMessageListenerAdapter) container
				.getMessageListener();
			assertThat(adapter.getReplyFailures()).isZero();
			// The situation that used to drop replies did arise: replies found the buffer full and waited.
			assertThat(adapter.getRepliesWaitedForRoom()).isPositive();
		}
		finally {
			client.abort();
			container.destroy();
			handlers.shutdownNow();
		}
	}

	private static byte[] message(int index) {
		byte[] message = new byte[SIZE];
		for (int i = 0; i < SIZE; i++) {
			message[i] = (byte) (index * 31 + i);
		}
		// Not valid UTF-8, so the bytes handler takes it
		message[0] = (byte) 0xff;
		return message;
	}

	static class Echo {

		@KcpHandler
		byte[] echo(byte[] payload) {
			return payload;
		}

	}

}
