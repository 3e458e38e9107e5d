package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.spring.annotation.EnableKcp;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.event.KcpServerListeningEvent;
import io.github.kcp.spring.event.KcpServerStoppedEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link KcpServerContainer} in a plain Spring application ({@link EnableKcp @EnableKcp}, no Boot).
 */
@Timeout(30)
class KcpServerContainerTests {

	private static final KcpConfig FAST = KcpConfig.builder().interval(10).build();

	@Test
	void enableKcpAndAContainerServeHandlers() throws Exception {
		try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext(
				PlainConfiguration.class)) {
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			PlainConfiguration configuration = context.getBean(PlainConfiguration.class);
			assertThat(configuration.listening).singleElement()
				.satisfies((event) -> assertThat(event.getPort()).isEqualTo(container.getPort()));
			BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
			KcpSession client = KcpClient.builder()
				.config(FAST)
				.handler((session, message) -> replies.add(message))
				.connect(new InetSocketAddress("127.0.0.1", container.getPort()));
			try {
				client.send("ping".getBytes(StandardCharsets.UTF_8));
				assertThat(replies.poll(10, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8).isEqualTo("pong:ping");
			}
			finally {
				client.abort();
			}
		}
	}

	@Test
	void stopTakesNoLongerThanTheShutdownTimeoutWhenAHandlerNeverAnswers() throws Exception {
		NeverAnswers handler = new NeverAnswers();
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		registry.register(KcpHandlerEndpoint.of("neverAnswers", handler,
				NeverAnswers.class.getDeclaredMethod("handle", String.class)));
		KcpServerContainer container = new KcpServerContainer(registry);
		container.setConfig(FAST);
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.setShutdownTimeout(Duration.ofMillis(500));
		List<Object> events = new CopyOnWriteArrayList<>();
		container.setApplicationEventPublisher(events::add);
		container.start();
		KcpSession client = KcpClient.builder()
			.config(FAST)
			.handler((session, message) -> {
			})
			.connect(new InetSocketAddress("127.0.0.1", container.getPort()));
		try {
			client.send("hang".getBytes(StandardCharsets.UTF_8));
			assertThat(handler.entered.await(10, TimeUnit.SECONDS)).isTrue();
			long started = System.nanoTime();
			container.stop();
			long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
			// 500 ms for the handler and the close together, at most a second more for the closed events, and
			// slack for a loaded machine: well below the 10 s default, which would show the timeout was ignored
			assertThat(tookMillis).isLessThan(5000);
			assertThat(container.isRunning()).isFalse();
			assertThat(container.getInFlightMessages()).isEqualTo(1);
			assertThat(events).last().isInstanceOf(KcpServerStoppedEvent.class);
			assertThat(client.closeFuture().get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		}
		finally {
			client.abort();
			container.destroy();
		}
	}

	/**
	 * The stop refuses new data from its start, not only once the acknowledged messages are handled: a message that
	 * reaches the server while a handler still holds the drain up is not acknowledged (its sender keeps it and its
	 * future fails when the session closes), while the messages acknowledged before the stop are all handled.
	 */
	@Test
	void fromTheStartOfAStopNewDataIsNotAcknowledgedWhileAcknowledgedMessagesAreHandled() throws Exception {
		Gate handler = new Gate();
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		registry.register(KcpHandlerEndpoint.of("gate", handler, Gate.class.getDeclaredMethod("handle", String.class)));
		KcpServerContainer container = new KcpServerContainer(registry);
		container.setConfig(FAST);
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.setShutdownTimeout(Duration.ofSeconds(10));
		container.start();
		KcpSession client = KcpClient.builder()
			.config(FAST)
			.handler((session, message) -> {
			})
			.connect(new InetSocketAddress("127.0.0.1", container.getPort()));
		try {
			// Acknowledged before the stop: one being handled (it holds the drain up), one waiting behind it.
			client.send(utf8("first")).get(10, TimeUnit.SECONDS);
			assertThat(handler.entered.await(10, TimeUnit.SECONDS)).isTrue();
			client.send(utf8("queued")).get(10, TimeUnit.SECONDS);

			KcpSession served = container.getSessionRegistry().getSessions().iterator().next();
			CountDownLatch stopped = new CountDownLatch(1);
			container.stop(stopped::countDown);
			// The stop's first step was handed to the server's event loop before stop() returned: once a task queued
			// behind it has run, it is in effect.
			CompletableFuture.runAsync(() -> {
			}, served.executor()).get(10, TimeUnit.SECONDS);
			long datagramsBefore = served.stats().datagramsIn();
			CompletableFuture<Void> late = client.send(utf8("late"));
			// The late message reached the server while the drain still waits for the handler.
			await().atMost(Duration.ofSeconds(10)).until(() -> served.stats().datagramsIn() > datagramsBefore);
			assertThat(late).isNotDone();
			assertThat(stopped.getCount()).isEqualTo(1);

			handler.release.countDown();
			assertThat(stopped.await(15, TimeUnit.SECONDS)).isTrue();
			assertThatThrownBy(() -> late.get(10, TimeUnit.SECONDS)).as("the late message was never acknowledged")
				.hasCauseInstanceOf(KcpSessionClosedException.class);
			assertThat(handler.handled).containsExactly("first", "queued");
		}
		finally {
			handler.release.countDown();
			client.abort();
			container.destroy();
		}
	}

	@Test
	void aSecondStopWhileDrainingWaitsForTheFirst() throws Exception {
		NeverAnswers handler = new NeverAnswers();
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		registry.register(KcpHandlerEndpoint.of("neverAnswers", handler,
				NeverAnswers.class.getDeclaredMethod("handle", String.class)));
		KcpServerContainer container = new KcpServerContainer(registry);
		container.setConfig(FAST);
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.setShutdownTimeout(Duration.ofMillis(300));
		List<Object> events = new CopyOnWriteArrayList<>();
		container.setApplicationEventPublisher(events::add);
		container.start();
		KcpSession client = KcpClient.builder()
			.config(FAST)
			.handler((session, message) -> {
			})
			.connect(new InetSocketAddress("127.0.0.1", container.getPort()));
		try {
			client.send("hang".getBytes(StandardCharsets.UTF_8));
			assertThat(handler.entered.await(10, TimeUnit.SECONDS)).isTrue();
			CountDownLatch first = new CountDownLatch(1);
			CountDownLatch second = new CountDownLatch(1);
			container.stop(first::countDown);
			container.stop(second::countDown);
			assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(events).filteredOn(KcpServerStoppedEvent.class::isInstance).hasSize(1);
			assertThat(container.isRunning()).isFalse();
		}
		finally {
			client.abort();
			container.destroy();
		}
	}

	@Test
	void withoutHandlersTheServerDoesNotBindUnlessAskedTo() {
		KcpServerContainer container = new KcpServerContainer(new KcpHandlerRegistry());
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.start();
		try {
			assertThat(container.isRunning()).isFalse();
			assertThat(container.getPort()).isEqualTo(-1);
			container.setStartWithoutHandlers(true);
			container.start();
			assertThat(container.isRunning()).isTrue();
			assertThat(container.getPort()).isPositive();
		}
		finally {
			container.stop();
			container.destroy();
		}
	}

	@Test
	void aRunningServerKeepsTheJvmAliveUntilStopped() throws Exception {
		// Netty's loops and the handler pool are daemon threads: without a non-daemon thread of its own, an
		// application whose only job is the KCP server would exit right after start-up.
		KcpServerContainer container = new KcpServerContainer(new KcpHandlerRegistry());
		container.setStartWithoutHandlers(true);
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.start();
		Thread keepAlive;
		try {
			String name = "kcp-server-" + container.getPort();
			keepAlive = Thread.getAllStackTraces().keySet().stream()
				.filter((thread) -> thread.getName().equals(name))
				.findFirst()
				.orElseThrow(() -> new AssertionError("no thread named " + name));
			assertThat(keepAlive.isDaemon()).isFalse();
			assertThat(keepAlive.isAlive()).isTrue();
		}
		finally {
			container.stop();
			container.destroy();
		}
		keepAlive.join(5000);
		assertThat(keepAlive.isAlive()).isFalse();
	}

	@Test
	void restartsAfterStop() throws Exception {
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		Echo echo = new Echo();
		registry.register(KcpHandlerEndpoint.of("echo", echo,
				Echo.class.getDeclaredMethod("handle", String.class)));
		KcpServerContainer container = new KcpServerContainer(registry);
		container.setConfig(FAST);
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		try {
			for (int round = 0; round < 2; round++) {
				container.start();
				CompletableFuture<byte[]> reply = new CompletableFuture<>();
				KcpSession client = KcpClient.builder()
					.config(FAST)
					.handler((session, message) -> reply.complete(message))
					.connect(new InetSocketAddress("127.0.0.1", container.getPort()));
				client.send(("round " + round).getBytes(StandardCharsets.UTF_8));
				assertThat(reply.get(10, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8)
					.isEqualTo("pong:round " + round);
				client.abort();
				container.stop();
				assertThat(container.isRunning()).isFalse();
			}
		}
		finally {
			container.destroy();
		}
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	static class Echo {

		@KcpHandler
		String handle(String text) {
			return "pong:" + text;
		}

	}

	static class Gate {

		final CountDownLatch entered = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

		final List<String> handled = new CopyOnWriteArrayList<>();

		@KcpHandler
		void handle(String text) throws InterruptedException {
			this.handled.add(text);
			this.entered.countDown();
			this.release.await(20, TimeUnit.SECONDS);
		}

	}

	static class NeverAnswers {

		final CountDownLatch entered = new CountDownLatch(1);

		@KcpHandler
		CompletableFuture<String> handle(String text) {
			this.entered.countDown();
			return new CompletableFuture<>();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableKcp
	static class PlainConfiguration {

		final List<KcpServerListeningEvent> listening = new CopyOnWriteArrayList<>();

		@Bean
		Echo echo() {
			return new Echo();
		}

		@Bean
		KcpServerContainer kcpServerContainer(KcpHandlerRegistry registry) {
			KcpServerContainer container = new KcpServerContainer(registry);
			container.setConfig(FAST);
			container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
			return container;
		}

		@Bean
		ApplicationListener<KcpServerListeningEvent> listeningRecorder() {
			return this.listening::add;
		}

	}

}
