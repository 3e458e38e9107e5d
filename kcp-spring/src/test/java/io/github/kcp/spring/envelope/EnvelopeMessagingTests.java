package io.github.kcp.spring.envelope;

import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.EnableKcp;
import io.github.kcp.spring.annotation.KcpBootstrapConfiguration;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpEnvelopeRequiredException;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpRemoteException;
import io.github.kcp.spring.core.KcpReplyTimeoutException;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.listener.KcpSessionRegistry;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpMessageHandlerMethodFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.ApplicationContextException;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.support.MessageBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * The messaging envelope end to end over loopback UDP, in a plain Spring application: routes, correlation under
 * concurrency, error frames, pushes and broadcasts through the session registry, client-side handlers.
 */
@Timeout(60)
class EnvelopeMessagingTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private AnnotationConfigApplicationContext context;

	private final List<KcpTemplate> extraTemplates = new ArrayList<>();

	@AfterEach
	void close() {
		this.extraTemplates.forEach(KcpTemplate::destroy);
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void routesChooseTheHandlerWithClassPrefixesPlaceholdersAndTheMostSpecificPattern() {
		KcpTemplate template = start();

		assertThat(template.sendAndReceiveBlocking("quote.get", new QuoteRequest("kcp", 3), Quote.class))
			.isEqualTo(new Quote("KCP", 3, new BigDecimal("37.50")));
		assertThat(template.sendAndReceiveBlocking("quote.price.ARQ", "", String.class)).isEqualTo("ARQ 48.00");
		assertThat(template.sendAndReceiveBlocking("quote.price.special", "", String.class))
			.as("a literal pattern is more specific than a placeholder").isEqualTo("special offer");
		assertThat(template.sendAndReceiveBlocking("echo", new byte[] { 1, 2, (byte) 0xff }, byte[].class))
			.containsExactly(1, 2, (byte) 0xff);
		assertThat(template.sendAndReceiveBlocking("route.header", "x", String.class)).isEqualTo("route.header");
		assertThat(template.sendAndReceiveBlocking("nothing", "x", String.class))
			.as("a handler that returns nothing answers with an empty reply").isNull();
		assertThat(template.sendAndReceiveBlocking("{\"a\":1}", Map.class))
			.as("a message without route goes to the routeless handlers by payload kind")
			.isEqualTo(Map.of("routeless", 1));
	}

	@Test
	void thousandsOfInterleavedRequestsOneWaySendsAndPushesEachGetTheirOwnReply() throws Exception {
		KcpTemplate template = start();
		Handlers handlers = this.context.getBean(Handlers.class);
		ClientHandlers pushes = this.context.getBean(ClientHandlers.class);
		int threads = 6;
		int perThread = 400;
		ExecutorService callers = Executors.newFixedThreadPool(threads);
		try {
			CountDownLatch start = new CountDownLatch(1);
			List<Future<List<String>>> results = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				int thread = t;
				results.add(callers.submit(() -> {
					start.await();
					List<CompletableFuture<String>> replies = new ArrayList<>();
					List<String> expected = new ArrayList<>();
					for (int i = 0; i < perThread; i++) {
						String id = thread + "-" + i;
						if (i % 4 == 0) {
							// A one-way message the server counts, and which makes it push to this session
							template.send("audit.note", id).join();
						}
						// Replies come back out of order: even ids are answered at once, odd ones after a delay
						replies.add(template.sendAndReceive("echo.async", id, String.class));
						expected.add("echo:" + id);
					}
					List<String> got = replies.stream().map(CompletableFuture::join).toList();
					assertThat(got).isEqualTo(expected);
					return got;
				}));
			}
			start.countDown();
			for (Future<List<String>> result : results) {
				assertThat(result.get(60, TimeUnit.SECONDS)).hasSize(perThread);
			}
		}
		finally {
			callers.shutdownNow();
		}
		int oneWay = threads * perThread / 4;
		await().atMost(WAIT).until(() -> handlers.notes.get() == oneWay && pushes.notes.size() == oneWay);
		assertThat(pushes.notes).as("every push reached the client-side handler, none was taken as a reply")
			.allSatisfy((note) -> assertThat(note).startsWith("noted:"));
		assertThat(template.getLateReplies()).isZero();
	}

	@Test
	void aPushWhileARequestWaitsIsNeverTakenForItsReply() throws Exception {
		KcpTemplate template = start();
		ClientHandlers pushes = this.context.getBean(ClientHandlers.class);

		// The handler pushes to the caller's session, then replies: the push arrives first
		String reply = template.sendAndReceiveBlocking("push.then.reply", "hello", String.class);

		assertThat(reply).isEqualTo("reply:hello");
		assertThat(pushes.alerts.poll(10, TimeUnit.SECONDS)).isEqualTo("alert before the reply to hello");
	}

	@Test
	void aFailingHandlerFailsTheCallerWithinOneRoundTripWithTheRemoteTypeAndMessage() {
		KcpTemplate template = start();
		template.setReplyTimeout(Duration.ofSeconds(60));

		CompletableFuture<String> failed = template.sendAndReceive("fail", "boom", String.class);

		// Far sooner than the 60 s reply timeout: the error frame came back
		assertThat(failed).failsWithin(WAIT)
			.withThrowableOfType(ExecutionException.class)
			.havingCause()
			.isInstanceOfSatisfying(KcpRemoteException.class, (ex) -> {
				assertThat(ex.getErrorCode()).isEqualTo("HANDLER_FAILED");
				assertThat(ex.getRemoteType()).isEqualTo(IllegalArgumentException.class.getName());
				assertThat(ex.getRemoteMessage()).isEqualTo("cannot handle boom");
				assertThat(ex.getRoute()).isEqualTo("fail");
			});
		assertThatExceptionOfType(KcpRemoteException.class)
			.isThrownBy(() -> template.sendAndReceiveBlocking("no.such.route", "x", String.class))
			.satisfies((ex) -> assertThat(ex.getErrorCode()).isEqualTo("NO_ROUTE"))
			.withMessageContaining("no.such.route");
		assertThatExceptionOfType(KcpRemoteException.class)
			.isThrownBy(() -> template.sendAndReceiveBlocking("quote.get", "not json", Quote.class))
			.satisfies((ex) -> assertThat(ex.getErrorCode()).isEqualTo("BAD_PAYLOAD"));
		assertThat(template.sendAndReceiveBlocking("quote.price.KCP", "", String.class))
			.as("the session goes on").isEqualTo("KCP 12.50");
	}

	@Test
	void aTimedOutRequestKeepsTheSessionAndItsLateReplyIsDropped() {
		KcpTemplate template = start();
		Handlers handlers = this.context.getBean(Handlers.class);
		InetSocketAddress server = template.getDefaultTarget();

		assertThatExceptionOfType(KcpReplyTimeoutException.class)
			.isThrownBy(() -> template.sendAndReceiveBlocking(server, "slow", "late", String.class,
					Duration.ofMillis(200)))
			.withMessageNotContaining("closed");
		handlers.slowGate.countDown();
		await().atMost(WAIT).until(() -> template.getLateReplies() == 1);
		assertThat(template.sendAndReceiveBlocking("echo", "same session".getBytes(), byte[].class))
			.asString().isEqualTo("same session");
		assertThat(handlers.sessions).as("one session throughout").hasSize(1);
	}

	@Test
	void theRegistryPushesToOneSessionToAllAndToAFilteredFew() throws Exception {
		KcpTemplate first = start();
		KcpTemplate second = newTemplate();
		ClientHandlers pushes = this.context.getBean(ClientHandlers.class);
		KcpSessionRegistry registry = this.context.getBean(KcpServerContainer.class).getSessionRegistry();
		assertThat(first.sendAndReceiveBlocking("login", "alice", String.class)).isEqualTo("hi alice");
		assertThat(second.sendAndReceiveBlocking("login", "bob", String.class)).isEqualTo("hi bob");
		assertThat(registry.getSessionCount()).isEqualTo(2);

		assertThat(registry.broadcast("ticker", new Tick("KCP", new BigDecimal("12.60")))).isEqualTo(2);
		assertThat(List.of(pushes.ticks.poll(10, TimeUnit.SECONDS), pushes.ticks.poll(10, TimeUnit.SECONDS)))
			.extracting(Tick::symbol)
			.containsExactly("KCP", "KCP");
		assertThat(registry.broadcast("ticker", new Tick("UDP", BigDecimal.ONE),
				(session) -> "bob".equals(session.attributes().get("user"))))
			.isEqualTo(1);
		KcpSession alice = registry.getSessions()
			.stream()
			.filter((session) -> "alice".equals(session.attributes().get("user")))
			.findFirst()
			.orElseThrow();
		registry.send(KcpHeaders.sessionId(alice), "ticker", new Tick("ARQ", BigDecimal.TEN)).get(10, TimeUnit.SECONDS);
		assertThat(List.of(pushes.ticks.poll(10, TimeUnit.SECONDS), pushes.ticks.poll(10, TimeUnit.SECONDS)))
			.extracting(Tick::symbol)
			.containsExactlyInAnyOrder("UDP", "ARQ");
		assertThat(pushes.tickReceivers).containsExactlyInAnyOrder("KCP", "KCP", "UDP", "ARQ");
		assertThat(registry.send("127.0.0.1:1/1", "ticker", "nobody")).isCompletedExceptionally();
	}

	@Test
	void messageHeadersTravelAsEnvelopeHeaders() {
		KcpTemplate template = start();
		Message<String> message = MessageBuilder.withPayload("payload")
			.setHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
			.build();

		assertThat(template.sendAndReceiveBlocking("trace", message, String.class))
			.isEqualTo("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
	}

	@Test
	void aRouteInRawModeFailsTheStartNamingTheEnvelope() {
		assertThatExceptionOfType(ApplicationContextException.class)
			.isThrownBy(() -> new AnnotationConfigApplicationContext(RawServerConfiguration.class))
			.havingRootCause()
			.isInstanceOf(KcpEnvelopeRequiredException.class)
			.withMessageContaining("quote.get")
			.withMessageContaining("ENVELOPE");
	}

	@Test
	void aRouteOnARawTemplateIsRefused() {
		KcpTemplate raw = new KcpTemplate(FAST, KcpMessageConverters.create());
		try {
			raw.setDefaultTarget("127.0.0.1", 9);
			assertThatIllegalStateException().isThrownBy(() -> raw.send("quote.get", "x"))
				.withMessageContaining("ENVELOPE");
		}
		finally {
			raw.destroy();
		}
	}

	@Test
	void twoHandlersForOneRouteFailNamingBoth() {
		assertThatExceptionOfType(BeanCreationException.class)
			.isThrownBy(() -> new AnnotationConfigApplicationContext(DuplicateRouteConfiguration.class))
			.withMessageContaining("route 'same'")
			.withMessageContaining("first")
			.withMessageContaining("second");
	}

	private KcpTemplate start() {
		this.context = new AnnotationConfigApplicationContext(EnvelopeConfiguration.class);
		return this.context.getBean("template", KcpTemplate.class);
	}

	private KcpTemplate newTemplate() {
		KcpTemplate template = EnvelopeConfiguration.newTemplate(this.context.getBean(KcpServerContainer.class),
				this.context.getBean(KcpHandlerRegistry.class),
				this.context.getBean(KcpMessageHandlerMethodFactory.class));
		this.extraTemplates.add(template);
		return template;
	}

	record QuoteRequest(String symbol, int quantity) {
	}

	record Quote(String symbol, int quantity, BigDecimal total) {
	}

	record Tick(String symbol, BigDecimal price) {
	}

	@KcpHandler("quote")
	static class QuoteHandlers {

		private static final Map<String, BigDecimal> PRICES = Map.of("KCP", new BigDecimal("12.50"), "ARQ",
				new BigDecimal("48.00"));

		@KcpHandler("get")
		Quote quote(QuoteRequest request) {
			String symbol = request.symbol().toUpperCase();
			return new Quote(symbol, request.quantity(),
					PRICES.get(symbol).multiply(BigDecimal.valueOf(request.quantity())));
		}

		@KcpHandler("price.{symbol}")
		String price(@DestinationVariable String symbol) {
			return symbol + " " + PRICES.get(symbol).toPlainString();
		}

		@KcpHandler("price.special")
		String special() {
			return "special offer";
		}

	}

	static class Handlers {

		final AtomicInteger notes = new AtomicInteger();

		final CountDownLatch slowGate = new CountDownLatch(1);

		final List<KcpSession> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();

		private final ExecutorService later = Executors.newSingleThreadExecutor();

		private KcpSessionRegistry registry;

		void setRegistry(KcpSessionRegistry registry) {
			this.registry = registry;
		}

		@KcpHandler("echo")
		byte[] echo(byte[] bytes, KcpSession session) {
			if (!this.sessions.contains(session)) {
				this.sessions.add(session);
			}
			return bytes;
		}

		@KcpHandler("echo.async")
		CompletableFuture<String> echoAsync(String id) {
			if (id.hashCode() % 2 == 0) {
				return CompletableFuture.completedFuture("echo:" + id);
			}
			return CompletableFuture.supplyAsync(() -> "echo:" + id, this.later);
		}

		@KcpHandler("audit.note")
		void note(String id, KcpSession session) {
			this.notes.incrementAndGet();
			this.registry.send(session, "audit.noted", "noted:" + id);
		}

		@KcpHandler("push.then.reply")
		String pushThenReply(String text, KcpSession session) throws Exception {
			this.registry.send(session, "alert", "alert before the reply to " + text).get(10, TimeUnit.SECONDS);
			return "reply:" + text;
		}

		@KcpHandler("route.header")
		String route(@Header(KcpHeaders.ROUTE) String route) {
			return route;
		}

		@KcpHandler("nothing")
		void nothing(String ignored) {
		}

		@KcpHandler("fail")
		String fail(String text) {
			throw new IllegalArgumentException("cannot handle " + text);
		}

		@KcpHandler("slow")
		String slow(String text, KcpSession session) throws InterruptedException {
			this.sessions.add(session);
			this.slowGate.await(10, TimeUnit.SECONDS);
			return text;
		}

		@KcpHandler("login")
		String login(String user, KcpSession session) {
			session.attributes().put("user", user);
			return "hi " + user;
		}

		@KcpHandler("trace")
		String trace(@Header("traceparent") String traceparent) {
			return traceparent;
		}

		@KcpHandler
		Map<String, Integer> routeless(Map<String, Integer> json) {
			return Map.of("routeless", json.get("a"));
		}

	}

	static class ClientHandlers {

		final BlockingQueue<String> notes = new LinkedBlockingQueue<>();

		final BlockingQueue<String> alerts = new LinkedBlockingQueue<>();

		final BlockingQueue<Tick> ticks = new LinkedBlockingQueue<>();

		final List<String> tickReceivers = new java.util.concurrent.CopyOnWriteArrayList<>();

		@KcpHandler(value = "audit.noted", side = KcpHandler.Side.CLIENT)
		void noted(String note) {
			this.notes.add(note);
		}

		@KcpHandler(value = "alert", side = KcpHandler.Side.CLIENT)
		void alert(String alert, @Header(KcpHeaders.FRAME_TYPE) KcpFrameType type) {
			assertThat(type).isEqualTo(KcpFrameType.PUSH);
			this.alerts.add(alert);
		}

		@KcpHandler(value = "ticker", side = KcpHandler.Side.CLIENT)
		void tick(Tick tick) {
			this.tickReceivers.add(tick.symbol());
			this.ticks.add(tick);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableKcp
	static class EnvelopeConfiguration {

		@Bean
		static KcpMessageHandlerMethodFactory kcpMessageHandlerMethodFactory() {
			return new KcpMessageHandlerMethodFactory(KcpMessageConverters.create());
		}

		@Bean
		KcpServerContainer kcpServerContainer(
				@Qualifier(KcpBootstrapConfiguration.KCP_HANDLER_REGISTRY_BEAN_NAME) KcpHandlerRegistry registry,
				KcpMessageHandlerMethodFactory methodFactory) {
			MessageConverter converter = KcpMessageConverters.create();
			KcpServerContainer container = new KcpServerContainer(registry, methodFactory, converter);
			container.setConfig(FAST);
			container.setMessageFormat(KcpMessageFormat.ENVELOPE);
			container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
			container.setShutdownTimeout(Duration.ofSeconds(2));
			return container;
		}

		@Bean
		KcpTemplate template(KcpServerContainer container, KcpHandlerRegistry registry,
				KcpMessageHandlerMethodFactory methodFactory) {
			return newTemplate(container, registry, methodFactory);
		}

		static KcpTemplate newTemplate(KcpServerContainer container, KcpHandlerRegistry registry,
				KcpMessageHandlerMethodFactory methodFactory) {
			KcpTemplate template = new KcpTemplate(FAST, KcpMessageConverters.create());
			template.setMessageFormat(KcpMessageFormat.ENVELOPE);
			template.setReplyTimeout(WAIT);
			// The server binds port 0 when the context starts, after the template exists
			template.setDefaultTarget(() -> new InetSocketAddress("127.0.0.1", container.getPort()));
			template.setHandlerMethods(registry, methodFactory);
			return template;
		}

		@Bean
		QuoteHandlers quoteHandlers() {
			return new QuoteHandlers();
		}

		@Bean
		Handlers handlers(KcpServerContainer container) {
			Handlers handlers = new Handlers();
			handlers.setRegistry(container.getSessionRegistry());
			return handlers;
		}

		@Bean
		ClientHandlers clientHandlers() {
			return new ClientHandlers();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableKcp
	static class RawServerConfiguration {

		@Bean
		KcpServerContainer kcpServerContainer(KcpHandlerRegistry registry) {
			KcpServerContainer container = new KcpServerContainer(registry);
			container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
			return container;
		}

		@Bean
		QuoteHandlers quoteHandlers() {
			return new QuoteHandlers();
		}

	}

	static class Duplicates {

		@KcpHandler("same")
		String first(String text) {
			return text;
		}

		@KcpHandler("same")
		String second(String text) {
			return text;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableKcp
	static class DuplicateRouteConfiguration {

		@Bean
		Duplicates duplicates() {
			return new Duplicates();
		}

	}

}
