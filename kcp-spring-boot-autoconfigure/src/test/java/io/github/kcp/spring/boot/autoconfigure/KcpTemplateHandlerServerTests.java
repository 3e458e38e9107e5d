package io.github.kcp.spring.boot.autoconfigure;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.core.KcpReplyTimeoutException;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.event.KcpServerListeningEvent;
import io.github.kcp.spring.event.KcpSessionClosedEvent;
import io.github.kcp.spring.event.KcpSessionOpenedEvent;
import io.github.kcp.spring.support.KcpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The auto-configured {@link KcpTemplate} against the auto-configured {@code @KcpHandler} server of the same
 * context, over loopback UDP.
 */
@Timeout(60)
class KcpTemplateHandlerServerTests {

	private static final Duration WAIT = Duration.ofSeconds(5);

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpTemplateAutoConfiguration.class))
		.withUserConfiguration(HandlerConfiguration.class)
		.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.interval=10ms",
				"kcp.congestion-control=false");

	record Order(String item, int quantity) {
	}

	record Confirmation(String item, int quantity, long totalCents) {
	}

	@Test
	void jsonTextAndBytesReachTheirHandlersAndAreAnswered() {
		this.contextRunner.run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			InetSocketAddress server = serverAddress(context);

			Confirmation confirmation = template.sendAndReceiveBlocking(server, null, new Order("tea", 3),
					Confirmation.class, WAIT);
			String shout = template.sendAndReceiveBlocking(server, null, "hello", String.class, WAIT);
			byte[] echo = template.sendAndReceiveBlocking(server, null, new byte[] { (byte) 0xc3, 0x28, 0, (byte) 0xff },
					byte[].class, WAIT);

			assertThat(confirmation).isEqualTo(new Confirmation("tea", 3, 750));
			assertThat(shout).isEqualTo("HELLO");
			assertThat(echo).as("not UTF-8, so the bytes handler echoes it")
				.containsExactly((byte) 0xc3, 0x28, 0, (byte) 0xff);
		});
	}

	@Test
	void concurrentMixedRequestsEachGetTheirOwnReply() {
		this.contextRunner.run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			InetSocketAddress server = serverAddress(context);
			ExecutorService callers = Executors.newFixedThreadPool(4);
			try {
				List<CompletableFuture<Void>> callersDone = new ArrayList<>();
				for (int t = 0; t < 4; t++) {
					int caller = t;
					callersDone.add(CompletableFuture.runAsync(() -> {
						List<CompletableFuture<?>> checks = new ArrayList<>();
						for (int i = 0; i < 50; i++) {
							int quantity = caller * 1000 + i;
							// JSON and text handlers interleaved on the one shared session
							checks.add(template.sendAndReceive(server, null, new Order("tea", quantity), Confirmation.class,
									WAIT)
								.thenAccept((reply) -> assertThat(reply.quantity()).isEqualTo(quantity)));
							checks.add(template.sendAndReceive(server, null, "word" + quantity, String.class, WAIT)
								.thenAccept((reply) -> assertThat(reply).isEqualTo("WORD" + quantity)));
						}
						CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).join();
					}, callers));
				}
				CompletableFuture.allOf(callersDone.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
			}
			finally {
				callers.shutdownNow();
			}
		});
	}

	@Test
	void sessionIsReusedAndReopenedAfterTheServerClosedIt() {
		this.contextRunner.run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			InetSocketAddress server = serverAddress(context);
			BlockingQueue<KcpSessionClosedEvent> clientClosed = context.getBean(HandlerConfiguration.class).clientClosed;

			String first = template.sendAndReceiveBlocking(server, null, "whoami", String.class, WAIT);
			String second = template.sendAndReceiveBlocking(server, null, "whoami", String.class, WAIT);
			KcpSession serverSide = context.getBean(HandlerConfiguration.class).serverSessions.poll(5,
					TimeUnit.SECONDS);
			assertThat(serverSide).isNotNull();
			serverSide.close().get(5, TimeUnit.SECONDS);
			KcpSessionClosedEvent closed = clientClosed.poll(5, TimeUnit.SECONDS);
			String third = template.sendAndReceiveBlocking(server, null, "whoami", String.class, WAIT);

			assertThat(second).isEqualTo(first);
			assertThat(closed).isNotNull();
			assertThat(closed.getReason()).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(third).isNotEqualTo(first);
		});
	}

	@Test
	void serverPushReachesThePushHandler() {
		this.contextRunner.run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			BlockingQueue<Message<byte[]>> pushes = new LinkedBlockingQueue<>();
			template.addPushHandler(pushes::add);

			// No reply expected: the handler answers with two pushes on the session instead.
			template.send(serverAddress(context), null, "subscribe").get(5, TimeUnit.SECONDS);

			Message<byte[]> first = pushes.poll(5, TimeUnit.SECONDS);
			Message<byte[]> second = pushes.poll(5, TimeUnit.SECONDS);
			assertThat(first).isNotNull();
			assertThat(second).isNotNull();
			assertThat(template.convert(first, Confirmation.class)).isEqualTo(new Confirmation("tick", 1, 1));
			assertThat(template.convert(second, Confirmation.class)).isEqualTo(new Confirmation("tick", 2, 2));
		});
	}

	@Test
	void unansweredRequestTimesOutClearly() {
		this.contextRunner.run((context) -> {
			KcpTemplate template = context.getBean(KcpTemplate.class);
			InetSocketAddress server = serverAddress(context);

			assertThatExceptionOfType(KcpReplyTimeoutException.class)
				.isThrownBy(() -> template.sendAndReceiveBlocking(server, null, "silence", String.class,
						Duration.ofMillis(300)))
				.withMessageContaining("No reply from " + server)
				.withMessageContaining("300 ms");
			assertThat(template.sendAndReceiveBlocking(server, null, "after", String.class, WAIT)).isEqualTo("AFTER");
		});
	}

	@ParameterizedTest
	@ValueSource(strings = { "aes-gcm", "aes-cbc-hmac" })
	void encryptedEndToEnd(String mode) {
		// One PacketCipher bean serves both ends: aes-cbc-hmac's 480,000 PBKDF2 iterations run once per context.
		this.contextRunner
			.withPropertyValues("kcp.crypto.mode=" + mode, "kcp.crypto.key=hex:00112233445566778899aabbccddeeff",
					"kcp.crypto.salt=demo salt")
			.run((context) -> {
				KcpTemplate template = context.getBean(KcpTemplate.class);

				Confirmation confirmation = template.sendAndReceiveBlocking(serverAddress(context), null,
						new Order("coffee", 2), Confirmation.class, WAIT);

				assertThat(confirmation).isEqualTo(new Confirmation("coffee", 2, 500));
				assertThat(template.getPacketCipher()).isNotNull();
				assertThat(template.getPacketCipher().overhead()).isPositive();
			});
	}

	private static InetSocketAddress serverAddress(AssertableApplicationContext context) throws Exception {
		assertThat(context).hasNotFailed();
		int port = context.getBean(HandlerConfiguration.class).listening.get(5, TimeUnit.SECONDS).getPort();
		return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
	}

	@Configuration(proxyBeanMethods = false)
	static class HandlerConfiguration {

		final CompletableFuture<KcpServerListeningEvent> listening = new CompletableFuture<>();

		final BlockingQueue<KcpSessionClosedEvent> clientClosed = new LinkedBlockingQueue<>();

		final BlockingQueue<KcpSession> serverSessions = new LinkedBlockingQueue<>();

		@Bean
		ApplicationListener<KcpSessionOpenedEvent> serverOpenedListener() {
			return (event) -> {
				if (event.isServerSession()) {
					this.serverSessions.add(event.getSession());
				}
			};
		}

		@Bean
		ApplicationListener<KcpServerListeningEvent> listeningListener() {
			return this.listening::complete;
		}

		@Bean
		ApplicationListener<KcpSessionClosedEvent> clientClosedListener() {
			return (event) -> {
				if (!event.isServerSession()) {
					this.clientClosed.add(event);
				}
			};
		}

		@Bean
		Handlers handlers() {
			return new Handlers();
		}

	}

	static class Handlers {

		@KcpHandler
		Confirmation order(Order order) {
			return new Confirmation(order.item(), order.quantity(), 250L * order.quantity());
		}

		@KcpHandler
		String text(String text, KcpSession session, @Header(KcpHeaders.CONV) int conv) {
			switch (text) {
				case "whoami":
					return Integer.toUnsignedString(conv);
				case "subscribe":
					session.send("{\"item\":\"tick\",\"quantity\":1,\"totalCents\":1}"
						.getBytes(StandardCharsets.UTF_8));
					session.send("{\"item\":\"tick\",\"quantity\":2,\"totalCents\":2}"
						.getBytes(StandardCharsets.UTF_8));
					return null;
				case "silence":
					return null;
				default:
					return text.toUpperCase(Locale.ROOT);
			}
		}

		@KcpHandler
		byte[] bytes(byte[] bytes) {
			return bytes;
		}

	}

}
