package io.github.kcp.spring.boot.autoconfigure;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.AesCbcHmacCipher;
import io.github.kcp.core.crypto.AesGcmCipher;
import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.event.KcpEvent;
import io.github.kcp.spring.event.KcpServerListeningEvent;
import io.github.kcp.spring.event.KcpServerStoppedEvent;
import io.github.kcp.spring.event.KcpSessionClosedEvent;
import io.github.kcp.spring.event.KcpSessionOpenedEvent;
import io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpHeaders;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.messaging.handler.annotation.Header;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The auto-configured KCP server over real UDP on loopback, talked to by core {@link KcpClient} sessions: request
 * and reply in JSON, text and bytes; per-session order with sessions in parallel; encryption; failing handlers;
 * graceful shutdown; events.
 */
@Timeout(60)
class KcpServerIntegrationTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final KcpConfig CLIENT_CONFIG = KcpConfig.builder().interval(10).build();

	private final JsonMapper json = JsonMapper.builder().build();

	private final List<KcpSession> clients = new CopyOnWriteArrayList<>();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, KcpAutoConfiguration.class))
		.withUserConfiguration(HandlersConfiguration.class)
		.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.interval=10ms",
				"kcp.server.shutdown-timeout=5s");

	@AfterEach
	void closeClients() {
		this.clients.forEach(KcpSession::abort);
	}

	@Test
	void jsonRequestGetsJsonReplyWithSessionHeaders() {
		this.contextRunner.run((context) -> {
			TestClient client = connect(context, CLIENT_CONFIG);
			byte[] reply = client.request(this.json.writeValueAsBytes(new GreetingRequest("kcp", 3)));
			Greeting greeting = this.json.readValue(reply, Greeting.class);
			assertThat(greeting.text()).isEqualTo("hello kcp x3");
			assertThat(greeting.conv()).isEqualTo(client.session.conv());
			assertThat(greeting.remotePort()).isEqualTo(client.session.localAddress().getPort());
			assertThat(greeting.sameSession()).isTrue();
		});
	}

	@Test
	void jsonGoesThroughBootsJsonMapper() {
		this.contextRunner.withPropertyValues("spring.jackson.property-naming-strategy=SNAKE_CASE").run((context) -> {
			TestClient client = connect(context, CLIENT_CONFIG);
			String reply = text(client.request(utf8("{\"name\":\"snake\",\"times\":2}")));
			assertThat(reply).contains("\"remote_port\":" + client.session.localAddress().getPort())
				.contains("\"same_session\":true");
		});
	}

	@Test
	void textAndBytesGoToTheirHandlers() {
		this.contextRunner.run((context) -> {
			TestClient client = connect(context, CLIENT_CONFIG);
			assertThat(text(client.request(utf8("héllo")))).isEqualTo("echo:héllo");
			byte[] binary = { (byte) 0xff, (byte) 0xfe, 1, 2, 3 };
			assertThat(client.request(binary)).containsExactly(3, 2, 1, (byte) 0xfe, (byte) 0xff);
			// A JSON-looking message that the JSON handler cannot read is a counted failure without a reply
			client.session.send(utf8("{not json}"));
			assertThat(text(client.request(utf8("also text")))).isEqualTo("echo:also text");
			assertThat(handlerListener(context).getHandlerFailures()).isEqualTo(1);
		});
	}

	@Test
	void failingHandlerIsCountedAndTheSessionGoesOn() {
		this.contextRunner.run((context) -> {
			TestClient client = connect(context, CLIENT_CONFIG);
			client.session.send(utf8("fail")).get(10, TimeUnit.SECONDS);
			// Replies are in request order and the failure sends none: the next reply is the next request's
			assertThat(text(client.request(utf8("after")))).isEqualTo("echo:after");
			KcpHandlerMessageListenerAdapter dispatcher = handlerListener(context);
			assertThat(dispatcher.getHandlerFailures()).isEqualTo(1);
			assertThat(client.session.isOpen()).isTrue();
			assertThat(client.session.closeFuture()).isNotDone();
			// A CompletableFuture that fails counts the same way
			client.session.send(utf8("async-fail")).get(10, TimeUnit.SECONDS);
			assertThat(text(client.request(utf8("again")))).isEqualTo("echo:again");
			assertThat(dispatcher.getHandlerFailures()).isEqualTo(2);
		});
	}

	@Test
	void messagesOfEachSessionAreHandledInOrderAndSessionsInParallel() throws Exception {
		int sessions = 6;
		int messages = 150;
		this.contextRunner.run((context) -> {
			Handlers handlers = context.getBean(Handlers.class);
			List<TestClient> testClients = new ArrayList<>();
			for (int i = 0; i < sessions; i++) {
				testClients.add(connect(context, CLIENT_CONFIG));
			}
			ExecutorService senders = Executors.newFixedThreadPool(sessions);
			try {
				List<Future<?>> sent = new ArrayList<>();
				for (TestClient client : testClients) {
					// Sent as fast as the send buffer takes them, from one thread per session, all at once
					sent.add(senders.submit(() -> {
						List<CompletableFuture<Void>> acks = new ArrayList<>();
						for (int n = 0; n < messages; n++) {
							acks.add(client.session.send(utf8("seq:" + n)));
						}
						CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).join();
						return null;
					}));
				}
				for (Future<?> future : sent) {
					future.get(20, TimeUnit.SECONDS);
				}
			}
			finally {
				senders.shutdownNow();
			}
			for (TestClient client : testClients) {
				List<String> replies = new ArrayList<>();
				for (int n = 0; n < messages; n++) {
					replies.add(text(client.next()));
				}
				List<String> expected = new ArrayList<>();
				for (int n = 0; n < messages; n++) {
					expected.add("echo:seq:" + n);
				}
				assertThat(replies).isEqualTo(expected);
				assertThat(handlers.received(client.session)).isEqualTo(
						expected.stream().map((reply) -> reply.substring("echo:".length())).toList());
			}
			assertThat(handlers.maxConcurrentSameSession).as("one handler at a time per session").isEqualTo(1);
			// Two sessions meet inside the handler: only possible if sessions run in parallel
			TestClient first = testClients.get(0);
			TestClient second = testClients.get(1);
			first.session.send(utf8("barrier"));
			second.session.send(utf8("barrier"));
			assertThat(text(first.next())).isEqualTo("passed");
			assertThat(text(second.next())).isEqualTo("passed");
		});
	}

	@ParameterizedTest
	@EnumSource(value = CipherMode.class, names = { "AES_CBC_HMAC", "AES_GCM" })
	void encryptedEndToEnd(CipherMode mode) {
		this.contextRunner
			.withPropertyValues("kcp.crypto.mode=" + mode.modeName(), "kcp.crypto.key=correct horse",
					"kcp.crypto.salt=hex:00112233445566778899aabbccddeeff")
			.run((context) -> {
				// Keys are derived once (PBKDF2 is slow by design): the client shares the server's cipher, which
				// kcp.crypto.* produced; the derivation itself is checked against aiokcp's vectors in kcp-core
				PacketCipher cipher = context.getBean(PacketCipher.class);
				assertThat(cipher).isInstanceOf((mode == CipherMode.AES_GCM) ? AesGcmCipher.class : AesCbcHmacCipher.class);
				TestClient client = connect(context, CLIENT_CONFIG, cipher);
				byte[] reply = client.request(this.json.writeValueAsBytes(new GreetingRequest("secret", 1)));
				assertThat(this.json.readValue(reply, Greeting.class).text()).isEqualTo("hello secret x1");
				assertThat(text(client.request(utf8("plain?")))).isEqualTo("echo:plain?");
				// A client without the key gets nowhere: its datagrams are dropped and open no session
				KcpServer server = context.getBean(KcpServerContainer.class).getServer();
				long droppedBefore = server.droppedDatagrams();
				TestClient plaintext = connect(context, CLIENT_CONFIG);
				plaintext.session.send(utf8("hello?"));
				await().atMost(WAIT).until(() -> server.droppedDatagrams() > droppedBefore);
				assertThat(server.sessionCount()).isEqualTo(1);
				assertThat(plaintext.replies).isEmpty();
			});
	}

	@Test
	void perAddressSessionLimitFromPropertiesReachesTheServer() {
		this.contextRunner.withPropertyValues("kcp.server.max-sessions-per-address=2").run((context) -> {
			// Two sessions from 127.0.0.1 that the server answered: both proven, so none can be evicted for a third
			TestClient first = connect(context, CLIENT_CONFIG);
			TestClient second = connect(context, CLIENT_CONFIG);
			assertThat(text(first.request(utf8("one")))).isEqualTo("echo:one");
			assertThat(text(second.request(utf8("two")))).isEqualTo("echo:two");
			KcpServer server = context.getBean(KcpServerContainer.class).getServer();
			await().atMost(WAIT)
				.until(() -> server.sessions().stream().allMatch((session) -> session.stats().peerProven()));
			TestClient third = connect(context, CLIENT_CONFIG);
			third.session.send(utf8("three?"));
			await().atMost(WAIT).until(() -> server.droppedDatagrams(DropReason.ADDRESS_SESSION_LIMIT) > 0);
			assertThat(server.sessionCount()).isEqualTo(2);
			assertThat(third.replies).isEmpty();
		});
	}

	@Test
	void readCoalescingBeyondItsRangeFailsTheStartNamingTheProperty() {
		this.contextRunner.withPropertyValues("kcp.server.read-coalescing=20ms").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("kcp.server.read-coalescing")
				.hasMessageContaining("zero (off) up to 10 ms");
		});
	}

	@Test
	void gracefulShutdownDeliversRepliesBeingComputedAndAcknowledgesNothingNew() {
		this.contextRunner.run((context) -> {
			Handlers handlers = context.getBean(Handlers.class);
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			EventRecorder events = context.getBean(EventRecorder.class);
			TestClient client = connect(context, CLIENT_CONFIG);
			client.session.send(utf8("slow:1"));
			client.session.send(utf8("slow:2"));
			assertThat(handlers.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
			KcpServer server = container.getServer();
			CompletableFuture<Void> closed = CompletableFuture.runAsync(context::close);
			await().atMost(WAIT).until(container::isStopping);
			// A session that opens now is not admitted and its data not acknowledged: its sender keeps it
			TestClient late = connect(context, CLIENT_CONFIG);
			CompletableFuture<Void> lateSend = late.session.send(utf8("too late"));
			// The message of the open session sent now is not acknowledged either
			CompletableFuture<Void> afterStop = client.session.send(utf8("after the stop"));
			await().atMost(WAIT).until(() -> server.droppedDatagrams(DropReason.SHUTTING_DOWN) > 0);
			assertThat(closed).isNotDone();
			// The replies being computed when the stop began are delivered, in order, then the session closes
			handlers.slowGate.complete(null);
			assertThat(text(client.next())).isEqualTo("done:slow:1");
			assertThat(text(client.next())).isEqualTo("done:slow:2");
			assertThat(client.session.closeFuture().get(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
			closed.get(10, TimeUnit.SECONDS);
			assertThat(afterStop).as("never acknowledged").isCompletedExceptionally();
			assertThat(lateSend).as("never acknowledged").isNotDone();
			late.session.abort();
			assertThat(handlers.received.values()).flatMap((texts) -> texts)
				.containsExactlyInAnyOrder("slow:1", "slow:2");
			assertThat(container.isRunning()).isFalse();
			assertThat(events.events).last().isInstanceOf(KcpServerStoppedEvent.class);
			assertThat(events.events).filteredOn(KcpSessionClosedEvent.class::isInstance)
				.singleElement()
				.satisfies((event) -> assertThat(((KcpSessionClosedEvent) event).getReason())
					.isEqualTo(CloseReason.SERVER_SHUTDOWN));
		});
	}

	private static KcpHandlerMessageListenerAdapter handlerListener(ApplicationContext context) {
		return (KcpHandlerMessageListenerAdapter) context.getBean(KcpServerContainer.class).getMessageListener();
	}

	@Test
	void eventsCarryTheBoundPortAndTheSessionLifecycle() {
		this.contextRunner.run((context) -> {
			EventRecorder events = context.getBean(EventRecorder.class);
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			assertThat(events.events).first().isInstanceOfSatisfying(KcpServerListeningEvent.class, (listening) -> {
				assertThat(listening.getPort()).isNotZero().isEqualTo(container.getPort());
				assertThat(listening.getAddress().getAddress().isLoopbackAddress()).isTrue();
			});
			TestClient client = connect(context, CLIENT_CONFIG);
			assertThat(text(client.request(utf8("hi")))).isEqualTo("echo:hi");
			client.session.close().get(10, TimeUnit.SECONDS);
			KcpSessionClosedEvent closedEvent = events.closed.poll(10, TimeUnit.SECONDS);
			assertThat(closedEvent).isNotNull();
			assertThat(closedEvent.getReason()).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(closedEvent.isServerSession()).isTrue();
			assertThat(closedEvent.getSession().conv()).isEqualTo(client.session.conv());
			List<KcpEvent> sessionEvents = events.events.stream()
				.filter((event) -> !(event instanceof KcpServerListeningEvent))
				.toList();
			assertThat(sessionEvents).hasSize(2);
			assertThat(sessionEvents.get(0)).isInstanceOf(KcpSessionOpenedEvent.class);
			// The opened event came before the handler saw the first message
			assertThat(context.getBean(Handlers.class).openedBeforeFirstMessage).isTrue();
		});
	}

	@Test
	void aSpringApplicationGetsTheServerFromTheImportsFile() throws Exception {
		// Everything from the imports files on the class path (KCP and Jackson), as an application would have it
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(BootApplication.class)
			.web(WebApplicationType.NONE)
			.properties("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.interval=10ms",
					"spring.jackson.property-naming-strategy=SNAKE_CASE")
			.run()) {
			TestClient client = connect(context, CLIENT_CONFIG);
			String reply = text(client.request(utf8("{\"name\":\"boot\",\"times\":1}")));
			assertThat(reply).contains("\"text\":\"hello boot x1\"").contains("\"same_session\":true");
		}
	}

	private TestClient connect(ApplicationContext context, KcpConfig config) {
		return connect(context, config, null);
	}

	private TestClient connect(ApplicationContext context, KcpConfig config, @Nullable PacketCipher cipher) {
		int port = context.getBean(KcpServerContainer.class).getPort();
		assertThat(port).isPositive();
		TestClient client = new TestClient();
		client.session = KcpClient.builder()
			.config(config)
			.cipher(cipher)
			.handler((session, message) -> client.replies.add(message))
			.connect(new InetSocketAddress("127.0.0.1", port));
		this.clients.add(client.session);
		return client;
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static String text(byte[] bytes) {
		return new String(bytes, StandardCharsets.UTF_8);
	}

	/** A client session and the messages the server sent it. */
	static final class TestClient {

		KcpSession session;

		final BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();

		byte[] request(byte[] message) throws Exception {
			this.session.send(message);
			return next();
		}

		byte[] next() throws InterruptedException {
			byte[] reply = this.replies.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
			assertThat(reply).as("a reply within " + WAIT).isNotNull();
			return reply;
		}

	}

	record GreetingRequest(String name, int times) {
	}

	record Greeting(String text, int conv, int remotePort, boolean sameSession) {
	}

	/** One handler per kind of payload: JSON, text and bytes. */
	static class Handlers {

		final Map<KcpSession, List<String>> received = new ConcurrentHashMap<>();

		final Map<KcpSession, Integer> active = new ConcurrentHashMap<>();

		volatile int maxConcurrentSameSession;

		final CyclicBarrier barrier = new CyclicBarrier(2);

		final CountDownLatch slowStarted = new CountDownLatch(2);

		final CompletableFuture<Void> slowGate = new CompletableFuture<>();

		volatile boolean openedBeforeFirstMessage;

		EventRecorder events;

		@KcpHandler
		Greeting greet(GreetingRequest request, KcpSession session, @Header(KcpHeaders.CONV) int conv,
				@Header(KcpHeaders.REMOTE_ADDRESS) InetSocketAddress remote,
				@Header(KcpHeaders.SESSION) KcpSession sessionHeader) {
			return new Greeting("hello " + request.name() + " x" + request.times(), conv, remote.getPort(),
					session == sessionHeader);
		}

		@KcpHandler
		Object text(String text, KcpSession session) throws Exception {
			int concurrent = this.active.merge(session, 1, Integer::sum);
			this.maxConcurrentSameSession = Math.max(this.maxConcurrentSameSession, concurrent);
			try {
				if (this.received.isEmpty() && this.events != null) {
					this.openedBeforeFirstMessage = this.events.events.stream()
						.anyMatch((event) -> event instanceof KcpSessionOpenedEvent opened
								&& opened.getSession() == session);
				}
				this.received.computeIfAbsent(session, (key) -> new CopyOnWriteArrayList<>()).add(text);
				if (text.equals("fail")) {
					throw new IllegalStateException("This handler fails on purpose");
				}
				if (text.equals("async-fail")) {
					return CompletableFuture.failedFuture(new IllegalStateException("This future fails on purpose"));
				}
				if (text.equals("barrier")) {
					this.barrier.await(10, TimeUnit.SECONDS);
					return "passed";
				}
				if (text.startsWith("slow:")) {
					this.slowStarted.countDown();
					return this.slowGate.thenApply((ignored) -> "done:" + text);
				}
				return "echo:" + text;
			}
			finally {
				this.active.merge(session, -1, Integer::sum);
			}
		}

		@KcpHandler
		byte[] bytes(ByteBuffer buffer) {
			byte[] reversed = new byte[buffer.remaining()];
			for (int i = reversed.length - 1; i >= 0; i--) {
				reversed[i] = buffer.get();
			}
			return reversed;
		}

		List<String> received(KcpSession clientSession) {
			return this.received.entrySet()
				.stream()
				.filter((entry) -> entry.getKey().conv() == clientSession.conv())
				.findFirst()
				.map(Map.Entry::getValue)
				.orElse(List.of());
		}

	}

	/** Records the KCP events in the order they were published. */
	static class EventRecorder implements ApplicationListener<KcpEvent> {

		final List<KcpEvent> events = new CopyOnWriteArrayList<>();

		final BlockingQueue<KcpSessionClosedEvent> closed = new LinkedBlockingQueue<>();

		@Override
		public void onApplicationEvent(KcpEvent event) {
			this.events.add(event);
			if (event instanceof KcpSessionClosedEvent closedEvent) {
				this.closed.add(closedEvent);
			}
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@Import(HandlersConfiguration.class)
	static class BootApplication {

	}

	@Configuration(proxyBeanMethods = false)
	static class HandlersConfiguration {

		@Bean
		EventRecorder eventRecorder() {
			return new EventRecorder();
		}

		@Bean
		Handlers handlers(EventRecorder events) {
			Handlers handlers = new Handlers();
			handlers.events = events;
			return handlers;
		}

	}

}
