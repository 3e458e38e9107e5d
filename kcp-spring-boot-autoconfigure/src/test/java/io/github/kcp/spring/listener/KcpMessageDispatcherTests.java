package io.github.kcp.spring.listener;

import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageHandlerMethodFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.Header;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/**
 * Tests for {@link KcpMessageDispatcher}: routing, reply order, backpressure and stopping, on a mocked session.
 */
@Timeout(30)
class KcpMessageDispatcherTests {

	private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

	private final MessageConverter converter = KcpMessageConverters.create();

	private final KcpMessageHandlerMethodFactory methodFactory = new KcpMessageHandlerMethodFactory(this.converter);

	private ExecutorService executor;

	private KcpSession session;

	private final BlockingQueue<String> sent = new LinkedBlockingQueue<>();

	@BeforeEach
	void setUp() {
		this.executor = Executors.newFixedThreadPool(4);
		this.session = mock(KcpSession.class);
		when(this.session.conv()).thenReturn(42);
		when(this.session.remoteAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 5000));
		when(this.session.localAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 9700));
		when(this.session.send(any(byte[].class))).thenAnswer((invocation) -> {
			this.sent.add(new String(invocation.<byte[]>getArgument(0), StandardCharsets.UTF_8));
			return CompletableFuture.completedFuture(null);
		});
	}

	@AfterEach
	void tearDown() {
		this.executor.shutdownNow();
	}

	@Test
	void routesByPayloadKindWithFallThrough() {
		KcpMessageDispatcher all = dispatcher(new AllKinds(), "json", "text", "bytes");
		assertThat(routedTo(all, "{\"a\":1}")).isEqualTo("json");
		assertThat(routedTo(all, "  [1, 2]\n")).isEqualTo("json");
		assertThat(routedTo(all, "{ unbalanced")).isEqualTo("text");
		assertThat(routedTo(all, "héllo")).isEqualTo("text");
		assertThat(all.route(new byte[] { (byte) 0xc3, 0x28 })).extracting(KcpHandlerEndpoint::getMethod)
			.extracting(Method::getName)
			.isEqualTo("bytes");
		KcpMessageDispatcher textAndBytes = dispatcher(new AllKinds(), "text", "bytes");
		assertThat(routedTo(textAndBytes, "{\"a\":1}")).as("JSON falls through to text").isEqualTo("text");
		KcpMessageDispatcher jsonOnly = dispatcher(new AllKinds(), "json");
		assertThat(jsonOnly.route(utf8("plain"))).as("text without a text or bytes handler").isNull();
		KcpMessageDispatcher bytesOnly = dispatcher(new AllKinds(), "bytes");
		assertThat(routedTo(bytesOnly, "{\"a\":1}")).isEqualTo("bytes");
		assertThat(routedTo(bytesOnly, "plain")).isEqualTo("bytes");
	}

	@Test
	void eachHandlerIsInvokedWithItsPayloadConverted() throws Exception {
		KcpMessageDispatcher all = dispatcher(new AllKinds(), "json", "text", "bytes");
		all.sessionOpened(this.session, null);
		all.dispatch(this.session, utf8("{\"a\":7}"));
		all.dispatch(this.session, utf8("plain text"));
		all.dispatch(this.session, new byte[] { (byte) 0xff, 0, 1 });
		assertThat(List.of(next(), next(), next())).containsExactly("json:7", "text:plain text", "bytes:3");
		assertThat(all.getHandledMessages()).isEqualTo(3);
	}

	@Test
	void unroutedMessagesAreCountedAndDropped() {
		KcpMessageDispatcher jsonOnly = dispatcher(new AllKinds(), "json");
		jsonOnly.sessionOpened(this.session, null);
		jsonOnly.dispatch(this.session, utf8("not json"));
		await().atMost(TEN_SECONDS).until(() -> jsonOnly.getUnroutedMessages() == 1);
		assertThat(jsonOnly.whenIdle()).succeedsWithin(TEN_SECONDS);
		assertThat(jsonOnly.getHandledMessages()).isZero();
		verify(this.session, never()).send(any(byte[].class));
	}

	@Test
	void repliesLeaveInRequestOrderWhenFuturesCompleteOutOfOrder() throws Exception {
		AsyncHandler handler = new AsyncHandler();
		KcpMessageDispatcher dispatcher = dispatcher(handler, "reply");
		dispatcher.sessionOpened(this.session, null);
		dispatcher.dispatch(this.session, utf8("first"));
		dispatcher.dispatch(this.session, utf8("second"));
		dispatcher.dispatch(this.session, utf8("third"));
		CompletableFuture<String> first = handler.futures.poll(10, TimeUnit.SECONDS);
		CompletableFuture<String> second = handler.futures.poll(10, TimeUnit.SECONDS);
		CompletableFuture<String> third = handler.futures.poll(10, TimeUnit.SECONDS);
		third.complete("3");
		second.complete("2");
		assertThat(this.sent.poll(200, TimeUnit.MILLISECONDS)).as("nothing before the first reply").isNull();
		first.complete("1");
		assertThat(List.of(next(), next(), next())).containsExactly("1", "2", "3");
		assertThat(dispatcher.whenIdle()).succeedsWithin(TEN_SECONDS);
	}

	@Test
	void aFailedFutureSendsNothingAndDoesNotHoldUpLaterReplies() throws Exception {
		AsyncHandler handler = new AsyncHandler();
		KcpMessageDispatcher dispatcher = dispatcher(handler, "reply");
		dispatcher.sessionOpened(this.session, null);
		dispatcher.dispatch(this.session, utf8("first"));
		dispatcher.dispatch(this.session, utf8("second"));
		handler.futures.poll(10, TimeUnit.SECONDS).completeExceptionally(new IllegalStateException("failed"));
		handler.futures.poll(10, TimeUnit.SECONDS).complete("2");
		assertThat(next()).isEqualTo("2");
		assertThat(dispatcher.getHandlerFailures()).isEqualTo(1);
	}

	@Test
	void aSessionWithTooManyWaitingMessagesStopsReadingUntilHalfAreHandled() throws Exception {
		BlockingHandler handler = new BlockingHandler();
		KcpMessageDispatcher dispatcher = dispatcher(handler, "handle");
		dispatcher.setMaxQueuedPerSession(4);
		dispatcher.sessionOpened(this.session, null);
		for (int i = 0; i < 10; i++) {
			dispatcher.dispatch(this.session, utf8("m" + i));
		}
		verify(this.session, times(1)).pauseReading();
		verify(this.session, never()).resumeReading();
		handler.release.countDown();
		verify(this.session, timeout(10_000)).resumeReading();
		assertThat(dispatcher.whenIdle()).succeedsWithin(TEN_SECONDS);
		assertThat(handler.handled).hasSize(10);
	}

	@Test
	void stoppingRefusesNewMessagesAndWaitsForAcceptedOnes() throws Exception {
		BlockingHandler handler = new BlockingHandler();
		KcpMessageDispatcher dispatcher = dispatcher(handler, "handle");
		dispatcher.sessionOpened(this.session, null);
		dispatcher.dispatch(this.session, utf8("accepted"));
		assertThat(handler.entered.await(10, TimeUnit.SECONDS)).isTrue();
		dispatcher.stopAccepting();
		dispatcher.dispatch(this.session, utf8("refused"));
		CompletableFuture<Void> idle = dispatcher.whenIdle();
		assertThat(idle).isNotDone();
		assertThat(dispatcher.getRejectedMessages()).isEqualTo(1);
		handler.release.countDown();
		assertThat(idle).succeedsWithin(TEN_SECONDS);
		assertThat(handler.handled).containsExactly("accepted");
		assertThat(next()).isEqualTo("handled:accepted");
	}

	@Test
	void sessionEventsComeBeforeTheFirstAndAfterTheLastMessage() throws Exception {
		List<String> order = new CopyOnWriteArrayList<>();
		RecordingHandler handler = new RecordingHandler(order);
		KcpMessageDispatcher dispatcher = dispatcher(handler, "handle");
		dispatcher.sessionOpened(this.session, () -> order.add("opened"));
		for (int i = 0; i < 20; i++) {
			dispatcher.dispatch(this.session, utf8("m" + i));
		}
		dispatcher.sessionClosed(this.session, () -> order.add("closed"));
		assertThat(dispatcher.whenSessionsClosed()).succeedsWithin(TEN_SECONDS);
		List<String> expected = new ArrayList<>();
		expected.add("opened");
		for (int i = 0; i < 20; i++) {
			expected.add("m" + i);
		}
		expected.add("closed");
		assertThat(order).isEqualTo(expected);
	}

	@Test
	void messagesAreConvertedWithHeadersAndTheSession() throws Exception {
		HeadersHandler handler = new HeadersHandler();
		KcpMessageDispatcher dispatcher = dispatcher(handler, "handle");
		dispatcher.sessionOpened(this.session, null);
		dispatcher.dispatch(this.session, utf8("{\"name\":\"n\",\"size\":7}"));
		assertThat(next()).isEqualTo("{\"name\":\"n\",\"size\":8,\"conv\":42,\"sessionId\":\"127.0.0.1:5000/42\"}");
	}

	@Test
	void messageParametersGetTheConvertedPayloadAndTheHeaders() throws Exception {
		MessageHandler handler = new MessageHandler();
		KcpMessageDispatcher dispatcher = dispatcher(handler, "handle");
		dispatcher.sessionOpened(this.session, null);
		dispatcher.dispatch(this.session, utf8("[1,2,3]"));
		assertThat(next()).isEqualTo("3 from /127.0.0.1:5000");
	}

	private String next() throws InterruptedException {
		String reply = this.sent.poll(10, TimeUnit.SECONDS);
		assertThat(reply).as("a reply within 10 s").isNotNull();
		return reply;
	}

	private static String routedTo(KcpMessageDispatcher dispatcher, String message) {
		KcpHandlerEndpoint endpoint = dispatcher.route(utf8(message));
		return (endpoint != null) ? endpoint.getMethod().getName() : null;
	}

	private KcpMessageDispatcher dispatcher(Object bean, String... methodNames) {
		List<KcpHandlerEndpoint> endpoints = new ArrayList<>();
		for (Method method : bean.getClass().getDeclaredMethods()) {
			if (Arrays.asList(methodNames).contains(method.getName())) {
				endpoints.add(KcpHandlerEndpoint.of("bean", bean, method));
			}
		}
		assertThat(endpoints).hasSize(methodNames.length);
		return new KcpMessageDispatcher(endpoints, this.methodFactory, this.converter, this.executor);
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	static class AllKinds {

		@KcpHandler
		String json(Map<String, Object> map) {
			return "json:" + map.get("a");
		}

		@KcpHandler
		String text(String text) {
			return "text:" + text;
		}

		@KcpHandler
		String bytes(byte[] bytes) {
			return "bytes:" + bytes.length;
		}

	}

	static class AsyncHandler {

		final BlockingQueue<CompletableFuture<String>> futures = new LinkedBlockingQueue<>();

		@KcpHandler
		CompletableFuture<String> reply(String text) {
			CompletableFuture<String> future = new CompletableFuture<>();
			this.futures.add(future);
			return future;
		}

	}

	static class BlockingHandler {

		final CountDownLatch entered = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

		final List<String> handled = new CopyOnWriteArrayList<>();

		@KcpHandler
		String handle(String text) throws InterruptedException {
			this.entered.countDown();
			assertThat(this.release.await(10, TimeUnit.SECONDS)).isTrue();
			this.handled.add(text);
			return "handled:" + text;
		}

	}

	static class RecordingHandler {

		final List<String> order;

		RecordingHandler(List<String> order) {
			this.order = order;
		}

		@KcpHandler
		void handle(String text) {
			this.order.add(text);
		}

	}

	static class MessageHandler {

		@KcpHandler
		String handle(Message<List<Integer>> message) {
			return message.getPayload().size() + " from " + message.getHeaders().get(KcpHeaders.REMOTE_ADDRESS);
		}

	}

	record Item(String name, int size) {
	}

	record ItemReply(String name, int size, int conv, String sessionId) {
	}

	static class HeadersHandler {

		@KcpHandler
		ItemReply handle(Item item, KcpSession session, @Header(KcpHeaders.CONV) int conv,
				@Header(KcpHeaders.SESSION_ID) String sessionId) {
			assertThat(session.conv()).isEqualTo(conv);
			return new ItemReply(item.name(), item.size() + 1, conv, sessionId);
		}

	}

}
