package io.github.kcp.spring.listener.adapter;

import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerConfigurationException;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageHandlerMethodFactory;
import io.github.kcp.spring.support.KcpMessages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.Header;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/**
 * Tests for {@link KcpHandlerMessageListenerAdapter} with a {@link PayloadKindRouter}: routing by payload kind,
 * argument conversion, replies in request order, failures; on a mocked session.
 */
@Timeout(30)
class KcpHandlerMessageListenerAdapterTests {

	private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

	private final MessageConverter converter = KcpMessageConverters.create();

	private final KcpMessageHandlerMethodFactory methodFactory = new KcpMessageHandlerMethodFactory(this.converter);

	private KcpSession session;

	private final BlockingQueue<String> sent = new LinkedBlockingQueue<>();

	@BeforeEach
	void setUp() {
		this.session = mock(KcpSession.class);
		when(this.session.conv()).thenReturn(42);
		when(this.session.remoteAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 5000));
		when(this.session.localAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 9700));
		when(this.session.attributes()).thenReturn(new ConcurrentHashMap<>());
		when(this.session.send(any(byte[].class))).thenAnswer((invocation) -> {
			this.sent.add(new String(invocation.<byte[]>getArgument(0), StandardCharsets.UTF_8));
			return CompletableFuture.completedFuture(null);
		});
	}

	@Test
	void routesByPayloadKindWithFallThrough() {
		PayloadKindRouter all = router(new AllKinds(), "json", "text", "bytes");
		assertThat(routedTo(all, utf8("{\"a\":1}"))).isEqualTo("json");
		assertThat(routedTo(all, utf8("  [1, 2]\n"))).isEqualTo("json");
		assertThat(routedTo(all, utf8("{ unbalanced"))).isEqualTo("text");
		assertThat(routedTo(all, utf8("héllo"))).isEqualTo("text");
		assertThat(routedTo(all, new byte[] { (byte) 0xc3, 0x28 })).isEqualTo("bytes");
		PayloadKindRouter textAndBytes = router(new AllKinds(), "text", "bytes");
		assertThat(routedTo(textAndBytes, utf8("{\"a\":1}"))).as("JSON falls through to text").isEqualTo("text");
		PayloadKindRouter jsonOnly = router(new AllKinds(), "json");
		assertThat(routedTo(jsonOnly, utf8("plain"))).as("text without a text or bytes handler").isNull();
		PayloadKindRouter bytesOnly = router(new AllKinds(), "bytes");
		assertThat(routedTo(bytesOnly, utf8("{\"a\":1}"))).isEqualTo("bytes");
		assertThat(routedTo(bytesOnly, utf8("plain"))).isEqualTo("bytes");
	}

	@Test
	void twoHandlersOfOneKindAreRefusedNamingBoth() {
		assertThatExceptionOfType(KcpHandlerConfigurationException.class)
			.isThrownBy(() -> router(new TwoTexts(), "first", "second"))
			.withMessageContaining("first(String)")
			.withMessageContaining("second(String)");
	}

	@Test
	void eachHandlerIsInvokedWithItsPayloadConverted() throws Exception {
		KcpHandlerMessageListenerAdapter adapter = adapter(new AllKinds(), "json", "text", "bytes");
		adapter.onMessage(this.session, utf8("{\"a\":7}"));
		adapter.onMessage(this.session, utf8("plain text"));
		adapter.onMessage(this.session, new byte[] { (byte) 0xff, 0, 1 });
		assertThat(List.of(next(), next(), next())).containsExactly("json:7", "text:plain text", "bytes:3");
		assertThat(adapter.getHandledMessages()).isEqualTo(3);
	}

	@Test
	void unroutedMessagesAreCountedAndDropped() {
		KcpHandlerMessageListenerAdapter adapter = adapter(new AllKinds(), "json");
		assertThat(adapter.onMessage(this.session, utf8("not json"))).isNull();
		assertThat(adapter.getUnroutedMessages()).isEqualTo(1);
		assertThat(adapter.getHandledMessages()).isZero();
		verify(this.session, never()).send(any(byte[].class));
	}

	@Test
	void repliesLeaveInRequestOrderWhenFuturesCompleteOutOfOrder() throws Exception {
		AsyncHandler handler = new AsyncHandler();
		KcpHandlerMessageListenerAdapter adapter = adapter(handler, "reply");
		List<CompletionStage<?>> done = new ArrayList<>();
		for (String text : List.of("first", "second", "third")) {
			done.add(adapter.onMessage(this.session, utf8(text)));
		}
		CompletableFuture<String> first = handler.futures.poll(10, TimeUnit.SECONDS);
		CompletableFuture<String> second = handler.futures.poll(10, TimeUnit.SECONDS);
		CompletableFuture<String> third = handler.futures.poll(10, TimeUnit.SECONDS);
		third.complete("3");
		second.complete("2");
		assertThat(this.sent).as("nothing before the first reply").isEmpty();
		assertThat(done.get(2).toCompletableFuture()).as("the third is not done before the first").isNotDone();
		first.complete("1");
		assertThat(List.of(next(), next(), next())).containsExactly("1", "2", "3");
		assertThat(done.get(2).toCompletableFuture()).succeedsWithin(TEN_SECONDS);
	}

	@Test
	void aFailedFutureSendsNothingAndDoesNotHoldUpLaterReplies() throws Exception {
		AsyncHandler handler = new AsyncHandler();
		KcpHandlerMessageListenerAdapter adapter = adapter(handler, "reply");
		adapter.onMessage(this.session, utf8("first"));
		adapter.onMessage(this.session, utf8("second"));
		handler.futures.poll(10, TimeUnit.SECONDS).completeExceptionally(new IllegalStateException("failed"));
		handler.futures.poll(10, TimeUnit.SECONDS).complete("2");
		assertThat(next()).isEqualTo("2");
		assertThat(adapter.getHandlerFailures()).isEqualTo(1);
	}

	@Test
	void anErrorHandlerRepliesForAFailedHandler() throws Exception {
		KcpHandlerMessageListenerAdapter adapter = adapter(new Failing(), "fail");
		adapter.setErrorHandler((session, endpoint, message, error) -> "error:" + error.getMessage());
		adapter.onMessage(this.session, utf8("x"));
		assertThat(next()).isEqualTo("error:no");
		assertThat(adapter.getHandlerFailures()).isEqualTo(1);
	}

	@Test
	void messagesAreConvertedWithHeadersAndTheSession() throws Exception {
		KcpHandlerMessageListenerAdapter adapter = adapter(new HeadersHandler(), "handle");
		adapter.onMessage(this.session, utf8("{\"name\":\"n\",\"size\":7}"));
		assertThat(next()).isEqualTo("{\"name\":\"n\",\"size\":8,\"conv\":42,\"sessionId\":\"127.0.0.1:5000/42\"}");
	}

	@Test
	void messageParametersGetTheConvertedPayloadAndTheHeaders() throws Exception {
		KcpHandlerMessageListenerAdapter adapter = adapter(new MessageHandler(), "handle");
		adapter.onMessage(this.session, utf8("[1,2,3]"));
		assertThat(next()).isEqualTo("3 from /127.0.0.1:5000");
	}

	private String next() throws InterruptedException {
		String reply = this.sent.poll(10, TimeUnit.SECONDS);
		assertThat(reply).as("a reply within 10 s").isNotNull();
		return reply;
	}

	private String routedTo(PayloadKindRouter router, byte[] message) {
		KcpHandlerRouter.Match match = router.route(KcpMessages.of(this.session, message));
		return (match != null) ? match.handler().getEndpoint().getMethod().getName() : null;
	}

	private KcpHandlerMessageListenerAdapter adapter(Object bean, String... methodNames) {
		return new KcpHandlerMessageListenerAdapter(router(bean, methodNames), this.converter);
	}

	private PayloadKindRouter router(Object bean, String... methodNames) {
		List<HandlerAdapter> handlers = new ArrayList<>();
		for (Method method : bean.getClass().getDeclaredMethods()) {
			if (Arrays.asList(methodNames).contains(method.getName())) {
				KcpHandlerEndpoint endpoint = KcpHandlerEndpoint.of("bean", bean, method);
				handlers.add(new HandlerAdapter(endpoint,
						this.methodFactory.createInvocableHandlerMethod(bean, endpoint.getMethod())));
			}
		}
		assertThat(handlers).hasSize(methodNames.length);
		return new PayloadKindRouter(handlers);
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

	static class TwoTexts {

		@KcpHandler
		String first(String text) {
			return text;
		}

		@KcpHandler
		String second(String text) {
			return text;
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

	static class Failing {

		@KcpHandler
		String fail(String text) {
			throw new IllegalArgumentException("no");
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
