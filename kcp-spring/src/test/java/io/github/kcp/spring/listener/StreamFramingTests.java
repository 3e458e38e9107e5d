package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpStreamFraming;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.integration.ip.tcp.serializer.TcpCodecs;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @KcpHandler} methods in stream mode with a {@link KcpStreamFraming}: each handler call gets one whole
 * message however the stream cut it, replies and pushes are framed alike, and a {@link KcpTemplate} with the same
 * framing talks to it, in both message formats.
 */
@Timeout(60)
class StreamFramingTests {

	private static final KcpConfig STREAM = KcpConfig.builder().interval(10).stream(true).build();

	private static final KcpStreamFraming LENGTH_HEADER = KcpStreamFraming.of(TcpCodecs.lengthHeader4(1 << 20));

	@Test
	void handlersGetWholeMessagesWhateverPiecesTheStreamArrivesIn() throws Exception {
		Echo echo = new Echo();
		KcpServerContainer container = container(echo, KcpMessageFormat.RAW);
		BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
		KcpSession client = KcpClient.builder()
			.config(STREAM)
			.handler((session, bytes) -> received.add(bytes))
			.connect(new InetSocketAddress("127.0.0.1", container.getPort()));
		try {
			byte[] first = LENGTH_HEADER.frame(utf8("first"));
			byte[] second = LENGTH_HEADER.frame(utf8("second"));
			byte[] third = LENGTH_HEADER.frame(utf8("x".repeat(5000)));
			// two messages in one send, then one message cut in three sends
			byte[] firstTwo = concat(first, second);
			client.send(firstTwo).get(10, TimeUnit.SECONDS);
			client.send(Arrays.copyOfRange(third, 0, 3)).get(10, TimeUnit.SECONDS);
			client.send(Arrays.copyOfRange(third, 3, 2000)).get(10, TimeUnit.SECONDS);
			client.send(Arrays.copyOfRange(third, 2000, third.length)).get(10, TimeUnit.SECONDS);
			KcpStreamFraming.Decoder replies = LENGTH_HEADER.newDecoder();
			List<String> answers = new CopyOnWriteArrayList<>();
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
			while (answers.size() < 3 && System.nanoTime() < deadline) {
				byte[] piece = received.poll(100, TimeUnit.MILLISECONDS);
				if (piece != null) {
					replies.append(piece);
					replies.drain().forEach((answer) -> answers.add(new String(answer, StandardCharsets.UTF_8)));
				}
			}
			assertThat(echo.calls).containsExactly("first", "second", "x".repeat(5000));
			assertThat(answers).containsExactly("echo:first", "echo:second", "echo:" + "x".repeat(5000));
		}
		finally {
			client.abort();
			container.destroy();
		}
	}

	@Test
	void aTemplateWithTheSameFramingTalksToTheServerInBothFormats() throws Exception {
		for (KcpMessageFormat format : KcpMessageFormat.values()) {
			Echo echo = new Echo();
			KcpServerContainer container = container(echo, format);
			KcpTemplate template = new KcpTemplate(STREAM, KcpMessageConverters.create());
			template.setMessageFormat(format);
			template.setStreamFraming(LENGTH_HEADER);
			template.setDefaultTarget("127.0.0.1", container.getPort());
			try {
				for (int i = 0; i < 50; i++) {
					String request = i + ":" + "y".repeat(i * 97);
					assertThat(template.sendAndReceiveBlocking(request, String.class)).as(format.toString())
						.isEqualTo("echo:" + request);
				}
				// a push from the server's registry is framed too
				BlockingQueue<String> pushes = new LinkedBlockingQueue<>();
				template.addPushHandler((message) -> pushes.add(new String(message.getPayload(), StandardCharsets.UTF_8)));
				container.getSessionRegistry().broadcast(null, "pushed");
				assertThat(pushes.poll(10, TimeUnit.SECONDS)).isEqualTo("pushed");
			}
			finally {
				template.destroy();
				container.destroy();
			}
		}
	}

	@Test
	void aSessionWhoseBytesCannotBeFramedIsClosed() throws Exception {
		Echo echo = new Echo();
		KcpServerContainer container = new KcpServerContainer(registry(echo));
		container.setConfig(STREAM);
		container.setStreamFraming(KcpStreamFraming.of(TcpCodecs.stxetx()));
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.start();
		KcpSession client = KcpClient.builder()
			.config(STREAM)
			.handler((session, bytes) -> {
			})
			.connect(new InetSocketAddress("127.0.0.1", container.getPort()));
		try {
			client.send(concat(new byte[] { 2 }, utf8("good"), new byte[] { 3 }, utf8("no STX")));
			assertThat(client.closeFuture().get(20, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(echo.calls).containsExactly("good");
		}
		finally {
			client.abort();
			container.destroy();
		}
	}

	@Test
	void aCodecReadingToTheEndOfTheStreamGetsItsMessageWhenThePeerCloses() throws Exception {
		Echo echo = new Echo();
		KcpServerContainer container = new KcpServerContainer(registry(echo));
		container.setConfig(STREAM);
		container.setStreamFraming(KcpStreamFraming.of(TcpCodecs.raw()));
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.start();
		KcpSession client = KcpClient.builder()
			.config(STREAM)
			.handler((session, bytes) -> {
			})
			.connect(new InetSocketAddress("127.0.0.1", container.getPort()));
		try {
			client.send(utf8("one stream, "));
			client.send(utf8("sent in two parts"));
			client.close().get(20, TimeUnit.SECONDS);
			assertThat(echo.called.poll(20, TimeUnit.SECONDS)).isEqualTo("one stream, sent in two parts");
			assertThat(echo.calls).containsExactly("one stream, sent in two parts");
		}
		finally {
			client.abort();
			container.destroy();
		}
	}

	private static KcpServerContainer container(Echo echo, KcpMessageFormat format) throws Exception {
		KcpServerContainer container = new KcpServerContainer(registry(echo));
		container.setConfig(STREAM);
		container.setMessageFormat(format);
		container.setStreamFraming(LENGTH_HEADER);
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.setShutdownTimeout(Duration.ofSeconds(2));
		container.start();
		return container;
	}

	private static KcpHandlerRegistry registry(Echo echo) throws Exception {
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		registry.register(KcpHandlerEndpoint.of("echo", echo, Echo.class.getDeclaredMethod("handle", String.class)));
		return registry;
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static byte[] concat(byte[]... parts) {
		int length = Arrays.stream(parts).mapToInt((part) -> part.length).sum();
		byte[] all = new byte[length];
		int offset = 0;
		for (byte[] part : parts) {
			System.arraycopy(part, 0, all, offset, part.length);
			offset += part.length;
		}
		return all;
	}

	static class Echo {

		final List<String> calls = new CopyOnWriteArrayList<>();

		final BlockingQueue<String> called = new LinkedBlockingQueue<>();

		@KcpHandler
		String handle(String text) {
			this.calls.add(text);
			this.called.add(text);
			return "echo:" + text;
		}

	}

}
