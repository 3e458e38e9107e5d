package io.github.kcp.spring.core;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.KcpException;
import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.core.transport.KcpEventLoopGroup;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.spring.event.KcpSessionClosedEvent;
import io.github.kcp.spring.event.KcpSessionOpenedEvent;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpTargets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.messaging.Message;
import org.springframework.messaging.converter.MessageConversionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * {@link KcpTemplate} against a plain kcp-core server over loopback UDP.
 */
@Timeout(30)
class KcpTemplateTests {

	private static final Duration WAIT = Duration.ofSeconds(5);

	/** Fast mode so that each exchange takes milliseconds. */
	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final JsonMapper json = JsonMapper.builder().build();

	private final List<AutoCloseable> resources = new ArrayList<>();

	record QuoteRequest(String symbol, int quantity) {
	}

	record Quote(String symbol, long priceCents, long totalCents) {
	}

	@AfterEach
	void closeResources() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	@Test
	void jsonRequestIsAnsweredWithJsonReply() {
		ReplyingServer server = server(FAST, (session, message) -> {
			QuoteRequest request = json.readValue(message, QuoteRequest.class);
			return json.writeValueAsBytes(new Quote(request.symbol(), 1250, 1250L * request.quantity()));
		});
		KcpTemplate template = template(FAST);
		template.setDefaultTarget(server.address());

		Quote quote = template.sendAndReceive(new QuoteRequest("KCP", 4), Quote.class).join();

		assertThat(quote).isEqualTo(new Quote("KCP", 1250, 5000));
	}

	@Test
	void bytesByteBufferAndTextRoundTrip() {
		ReplyingServer reversing = server(FAST, (session, message) -> reversed(message));
		ReplyingServer echoing = server(FAST, (session, message) -> message);
		KcpTemplate template = template(FAST);
		InetSocketAddress target = reversing.address();

		byte[] bytes = template.sendAndReceiveBlocking(target, null, new byte[] { 1, 2, 3, (byte) 0xff }, byte[].class,
				WAIT);
		ByteBuffer buffer = ByteBuffer.wrap(new byte[] { 9, 8, 7, 6, 5 }, 1, 3);
		ByteBuffer fromBuffer = template.sendAndReceiveBlocking(target, null, buffer, ByteBuffer.class, WAIT);
		String text = template.sendAndReceive(KcpTargets.parse(target.getHostString() + ":" + target.getPort()), null,
				"hello kcp", String.class, WAIT).join();
		byte[] utf8 = template.sendAndReceiveBlocking(echoing.address(), null, "héllo ✓", byte[].class, WAIT);

		assertThat(bytes).containsExactly((byte) 0xff, 3, 2, 1);
		assertThat(toArray(fromBuffer)).containsExactly(6, 7, 8);
		assertThat(buffer.remaining()).as("the payload buffer is not consumed").isEqualTo(3);
		assertThat(text).isEqualTo("pck olleh");
		assertThat(utf8).as("text is sent as UTF-8").isEqualTo("héllo ✓".getBytes(StandardCharsets.UTF_8));
	}

	@Test
	void sendCompletesWhenTheServerAcknowledged() throws Exception {
		BlockingQueue<String> received = new LinkedBlockingQueue<>();
		ReplyingServer server = server(FAST, (session, message) -> {
			received.add(new String(message, StandardCharsets.UTF_8));
			return null;
		});
		KcpTemplate template = template(FAST);
		template.setDefaultTarget(server.address());

		template.send("one").get(5, TimeUnit.SECONDS);
		template.sendBlocking("two");

		// Acknowledged means the server's engine has the data; its handler sees it right after.
		assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("one");
		assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("two");
	}

	@Test
	void concurrentRequestsOnOneSessionGetTheirOwnReplies() throws Exception {
		ReplyingServer server = server(FAST, (session, message) -> {
			long n = Long.parseLong(new String(message, StandardCharsets.US_ASCII));
			return Long.toString(n * n).getBytes(StandardCharsets.US_ASCII);
		});
		KcpTemplate template = template(FAST);
		template.setDefaultTarget(server.address());
		int threads = 8;
		int perThread = 50;
		ExecutorService callers = Executors.newFixedThreadPool(threads);
		this.resources.add(callers::shutdownNow);
		CountDownLatch start = new CountDownLatch(1);
		List<CompletableFuture<List<String>>> results = new ArrayList<>();
		for (int t = 0; t < threads; t++) {
			int first = t * perThread;
			results.add(CompletableFuture.supplyAsync(() -> {
				await(start);
				List<CompletableFuture<String>> replies = new ArrayList<>();
				for (int n = first; n < first + perThread; n++) {
					replies.add(template.sendAndReceive(Integer.toString(n), String.class));
				}
				return replies.stream().map(CompletableFuture::join).toList();
			}, callers));
		}
		start.countDown();

		for (int t = 0; t < threads; t++) {
			List<String> replies = results.get(t).get(20, TimeUnit.SECONDS);
			for (int i = 0; i < perThread; i++) {
				long n = (long) t * perThread + i;
				assertThat(replies.get(i)).as("reply to %d", n).isEqualTo(Long.toString(n * n));
			}
		}
		assertThat(server.convs).as("all callers share one session").hasSize(1);
	}

	@Test
	void sessionIsReusedAndReopenedAfterTheServerClosedIt() throws Exception {
		ReplyingServer server = server(FAST, (session, message) -> Integer.toUnsignedString(session.conv())
			.getBytes(StandardCharsets.US_ASCII));
		KcpTemplate template = template(FAST);
		template.setDefaultTarget(server.address());
		BlockingQueue<Object> events = new LinkedBlockingQueue<>();
		template.setApplicationEventPublisher(events::add);

		String first = template.sendAndReceiveBlocking("a", String.class);
		String second = template.sendAndReceiveBlocking("b", String.class);
		assertThat(second).as("second call on the same session").isEqualTo(first);
		assertThat(events.poll(5, TimeUnit.SECONDS)).isInstanceOf(KcpSessionOpenedEvent.class);

		server.sessions.get(0).close().get(5, TimeUnit.SECONDS);
		Object closed = events.poll(5, TimeUnit.SECONDS);
		assertThat(closed).isInstanceOfSatisfying(KcpSessionClosedEvent.class, (event) -> {
			assertThat(event.getReason()).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(event.isServerSession()).isFalse();
		});
		String third = template.sendAndReceiveBlocking("c", String.class);

		assertThat(third).as("a new session after the close").isNotEqualTo(first);
		assertThat(server.convs).hasSize(2);
	}

	@Test
	void messagesThePeerSendsUnaskedGoToThePushHandlers() throws Exception {
		ReplyingServer server = server(FAST, (session, message) -> {
			String command = new String(message, StandardCharsets.UTF_8);
			if (command.equals("subscribe")) {
				// Reply first, then push two ticks unasked.
				session.send("subscribed".getBytes(StandardCharsets.UTF_8));
				session.send(json.writeValueAsBytes(new Quote("KCP", 1251, 1251)));
				return json.writeValueAsBytes(new Quote("KCP", 1252, 1252));
			}
			return null;
		});
		KcpTemplate template = template(FAST);
		template.setDefaultTarget(server.address());
		BlockingQueue<Message<byte[]>> pushes = new LinkedBlockingQueue<>();
		List<String> threads = new CopyOnWriteArrayList<>();
		template.addPushHandler((message) -> {
			threads.add(Thread.currentThread().getName());
			pushes.add(message);
		});
		template.addPushHandler((message) -> {
			throw new IllegalStateException("a failing handler does not stop delivery");
		});

		String reply = template.sendAndReceiveBlocking("subscribe", String.class);
		Message<byte[]> firstPush = pushes.poll(5, TimeUnit.SECONDS);
		Message<byte[]> secondPush = pushes.poll(5, TimeUnit.SECONDS);

		assertThat(reply).isEqualTo("subscribed");
		assertThat(firstPush).isNotNull();
		assertThat(secondPush).isNotNull();
		assertThat(template.convert(firstPush, Quote.class).priceCents()).isEqualTo(1251);
		assertThat(template.convert(secondPush, Quote.class).priceCents()).isEqualTo(1252);
		assertThat(firstPush.getHeaders().get(KcpHeaders.REMOTE_ADDRESS)).isEqualTo(server.address());
		assertThat(firstPush.getHeaders().get(KcpHeaders.CONV)).isIn(server.convs.toArray());
		assertThat(firstPush.getHeaders().get(KcpHeaders.SESSION)).isInstanceOf(KcpSession.class);
		assertThat(threads).allMatch((name) -> name.startsWith("kcp-template-"));
	}

	@Test
	void missingReplyTimesOutClearlyAndTheNextRequestUsesANewSession() {
		// Answers in order, "slow ..." after a second, "ignore me" never, anything else at once.
		ScheduledExecutorService slowReplies = Executors.newSingleThreadScheduledExecutor();
		this.resources.add(slowReplies::shutdownNow);
		ReplyingServer server = server(FAST, (session, message) -> {
			String text = new String(message, StandardCharsets.UTF_8);
			byte[] answer = ("re: " + text).getBytes(StandardCharsets.UTF_8);
			if (text.startsWith("slow")) {
				slowReplies.schedule(() -> session.send(answer), 1, TimeUnit.SECONDS);
				return null;
			}
			return text.equals("ignore me") ? null : answer;
		});
		KcpTemplate template = template(FAST);
		template.setDefaultTarget(server.address());
		assertThat(template.sendAndReceiveBlocking("hello", String.class)).isEqualTo("re: hello");

		long started = System.nanoTime();
		CompletableFuture<String> late = template.sendAndReceive(server.address(), null, "slow 1", String.class,
				Duration.ofMillis(300));
		CompletableFuture<String> queuedBehind = template.sendAndReceive("slow 2", String.class);

		assertThat(late).failsWithin(WAIT)
			.withThrowableOfType(ExecutionException.class)
			.havingCause()
			.isInstanceOf(KcpReplyTimeoutException.class)
			.withMessageContaining("No reply from " + server.address())
			.withMessageContaining("within 300 ms");
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
		// The late reply to "slow 1" would be taken for the reply to "slow 2": the template refuses to guess.
		assertThat(queuedBehind).failsWithin(WAIT)
			.withThrowableOfType(ExecutionException.class)
			.havingCause()
			.isInstanceOf(KcpSessionClosedException.class)
			.withMessageContaining("timed out");
		assertThatExceptionOfType(KcpReplyTimeoutException.class)
			.isThrownBy(() -> template.sendAndReceiveBlocking(server.address(), null, "ignore me", String.class,
					Duration.ofMillis(200)))
			.satisfies((ex) -> assertThat(ex.getTimeout()).isEqualTo(Duration.ofMillis(200)));
		assertThat(template.sendAndReceiveBlocking("again", String.class)).isEqualTo("re: again");
		assertThat(server.convs).as("a new session after each timeout").hasSize(3);
	}

	@Test
	void replyThatCannotBeConvertedFailsOnlyItsRequest() {
		ReplyingServer server = server(FAST, (session, message) -> "not json".getBytes(StandardCharsets.UTF_8));
		KcpTemplate template = template(FAST);
		template.setDefaultTarget(server.address());

		assertThatExceptionOfType(MessageConversionException.class)
			.isThrownBy(() -> template.sendAndReceiveBlocking("x", Quote.class))
			.withMessageContaining(Quote.class.getName());
		assertThat(template.sendAndReceiveBlocking("y", String.class)).isEqualTo("not json");
		assertThat(server.convs).hasSize(1);
	}

	@ParameterizedTest
	@EnumSource(value = CipherMode.class, names = { "AES_GCM", "AES_CBC_HMAC" })
	void encryptedRoundTrip(CipherMode mode) {
		// aes-cbc-hmac derives its keys with 480,000 PBKDF2 iterations: once per mode here, shared by both ends.
		PacketCipher cipher = PacketCiphers.of(mode, "demo secret".getBytes(StandardCharsets.UTF_8),
				"demo salt".getBytes(StandardCharsets.UTF_8));
		ReplyingServer server = new ReplyingServer(FAST, cipher, (session, message) -> {
			QuoteRequest request = json.readValue(message, QuoteRequest.class);
			return json.writeValueAsBytes(new Quote(request.symbol(), 7, 7L * request.quantity()));
		});
		this.resources.add(server);
		KcpTemplate template = template(FAST);
		template.setPacketCipher(cipher);
		KcpTemplate plaintext = template(FAST);

		Quote quote = template.sendAndReceiveBlocking(server.address(), null, new QuoteRequest("AES", 3), Quote.class,
				WAIT);

		assertThat(quote).isEqualTo(new Quote("AES", 7, 21));
		assertThatExceptionOfType(KcpReplyTimeoutException.class)
			.as("the server ignores datagrams that are not encrypted with its key")
			.isThrownBy(() -> plaintext.sendAndReceiveBlocking(server.address(), null, new QuoteRequest("AES", 1),
					Quote.class, Duration.ofMillis(300)));
	}

	@Test
	void destroyClosesSessionsAndRefusesLaterCalls() throws Exception {
		ReplyingServer server = server(FAST, (session, message) -> message);
		KcpTemplate template = new KcpTemplate(FAST, KcpMessageConverters.create());
		template.setDefaultTarget(server.address());
		assertThat(template.sendAndReceiveBlocking("ping", String.class)).isEqualTo("ping");

		template.destroy();

		assertThat(server.closed.poll(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		assertThatIllegalStateException().isThrownBy(() -> template.send("late"))
			.withMessageContaining("destroyed");
	}

	@Test
	void destroyGivesUpOnAServerThatNeverAnswersAfterTheCloseTimeout() throws Exception {
		try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
			KcpTemplate template = new KcpTemplate(FAST.toBuilder().closeTimeout(Duration.ofMillis(500)).build(),
					KcpMessageConverters.create());
			CompletableFuture<Void> unacknowledged = template
				.send(new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()), null,
						"anyone there?");

			long started = System.nanoTime();
			template.destroy();
			Duration took = Duration.ofNanos(System.nanoTime() - started);

			assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(450)).isLessThan(Duration.ofSeconds(3));
			assertThat(unacknowledged).failsWithin(WAIT)
				.withThrowableOfType(ExecutionException.class)
				.havingCause()
				.isInstanceOf(KcpException.class);
		}
	}

	@Test
	void defaultTargetIsRequiredForCallsWithoutTarget() {
		KcpTemplate template = template(FAST);

		assertThatIllegalStateException().isThrownBy(() -> template.send("x"))
			.withMessageContaining("setDefaultTarget");
	}

	@Test
	void targetsAreParsedAsHostAndPort() {
		assertThat(KcpTargets.parse("127.0.0.1:9700")).isEqualTo(new InetSocketAddress("127.0.0.1", 9700));
		assertThat(KcpTargets.parse("[::1]:9701")).isEqualTo(new InetSocketAddress("::1", 9701));
		assertThatIllegalArgumentException().isThrownBy(() -> KcpTargets.parse("localhost"))
			.withMessageContaining("host:port");
		assertThatIllegalArgumentException().isThrownBy(() -> KcpTargets.parse("::1:9700"))
			.withMessageContaining("brackets");
		assertThatIllegalArgumentException().isThrownBy(() -> KcpTargets.parse("localhost:http"))
			.withMessageContaining("numeric port");
		assertThatIllegalArgumentException().isThrownBy(() -> KcpTargets.parse("localhost:70000"))
			.withMessageContaining("1..65535");
	}

	@Test
	void sessionsRunOnTheEventLoopsSetOnTheTemplate() throws Exception {
		KcpEventLoopGroup loops = KcpEventLoopGroup.create(1, "template-loop-", true);
		this.resources.add(loops);
		ReplyingServer server = server(FAST, (session, message) -> message);
		KcpTemplate template = template(FAST);
		template.setEventLoops(loops);
		BlockingQueue<Object> events = new LinkedBlockingQueue<>();
		template.setApplicationEventPublisher(events::add);

		assertThat(template.sendAndReceiveBlocking(server.address(), null, "on my loop", String.class, WAIT))
			.isEqualTo("on my loop");

		KcpSessionOpenedEvent opened = (KcpSessionOpenedEvent) events.poll(5, TimeUnit.SECONDS);
		assertThat(opened).isNotNull();
		String thread = CompletableFuture.supplyAsync(() -> Thread.currentThread().getName(),
				opened.getSession().executor()).get(5, TimeUnit.SECONDS);
		assertThat(thread).startsWith("template-loop-");
	}

	private ReplyingServer server(KcpConfig config,
			java.util.function.BiFunction<KcpSession, byte[], byte @org.jspecify.annotations.Nullable []> reply) {
		ReplyingServer server = new ReplyingServer(config, reply);
		this.resources.add(server);
		return server;
	}

	private KcpTemplate template(KcpConfig config) {
		KcpTemplate template = new KcpTemplate(config, KcpMessageConverters.create());
		template.setReplyTimeout(WAIT);
		this.resources.add(template::destroy);
		return template;
	}

	private static byte[] reversed(byte[] bytes) {
		byte[] result = new byte[bytes.length];
		for (int i = 0; i < bytes.length; i++) {
			result[i] = bytes[bytes.length - 1 - i];
		}
		return result;
	}

	private static byte[] toArray(ByteBuffer buffer) {
		byte[] bytes = new byte[buffer.remaining()];
		buffer.duplicate().get(bytes);
		return bytes;
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
