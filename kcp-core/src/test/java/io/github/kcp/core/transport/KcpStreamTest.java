package io.github.kcp.core.transport;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.protocol.KcpCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The async streams API ({@link KcpStreams}, {@link KcpStream}) over loopback: the counterpart of aiokcp's
 * {@code open_connection} / {@code start_server} example.
 */
@Timeout(30)
class KcpStreamTest {

	private static final KcpConfig FAST = KcpConfig.builder()
		.nodelay(1, 10, 2, true)
		.windowSize(256, 256)
		.build();

	private static final KcpConfig FAST_STREAM = FAST.toBuilder().stream(true).build();

	private static final long WAIT = 10;

	@Test
	void echoServerAnswersAMessageLikeTheAiokcpExample() throws Exception {
		try (KcpServer server = KcpStreams.startServer("127.0.0.1", 0, FAST, KcpStreamTest::echo)) {
			KcpStream client = KcpStreams.connect("127.0.0.1", server.localPort(), FAST);
			byte[] hello = "Hello World!".getBytes(StandardCharsets.UTF_8);
			client.write(hello).get(WAIT, TimeUnit.SECONDS);
			assertThat(client.read().get(WAIT, TimeUnit.SECONDS)).isEqualTo(hello);
			assertThat(client.close().get(WAIT, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
		}
	}

	@Test
	void echoesOneMegabyteByteForByteInStreamMode() throws Exception {
		try (KcpServer server = KcpStreams.startServer("127.0.0.1", 0, FAST_STREAM, KcpStreamTest::echo)) {
			KcpStream client = KcpStreams.connect("127.0.0.1", server.localPort(), FAST_STREAM);
			byte[] data = randomBytes(1 << 20, 1);
			List<CompletableFuture<Void>> writes = new ArrayList<>();
			for (int offset = 0; offset < data.length; offset += 50_000) {
				writes.add(client.write(data, offset, Math.min(50_000, data.length - offset)));
			}
			byte[] echoed = client.readExactly(data.length).get(20, TimeUnit.SECONDS);
			assertThat(echoed).isEqualTo(data);
			CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(WAIT, TimeUnit.SECONDS);
			client.close().get(WAIT, TimeUnit.SECONDS);
		}
	}

	@Test
	void echoesOneMegabyteOfMessagesInOrderInMessageMode() throws Exception {
		try (KcpServer server = KcpStreams.startServer("127.0.0.1", 0, FAST, KcpStreamTest::echo)) {
			KcpStream client = KcpStreams.connect("127.0.0.1", server.localPort(), FAST);
			byte[] data = randomBytes(1 << 20, 2);
			int messageSize = 10_000;
			List<CompletableFuture<Void>> writes = new ArrayList<>();
			for (int offset = 0; offset < data.length; offset += messageSize) {
				writes.add(client.write(data, offset, Math.min(messageSize, data.length - offset)));
			}
			ByteArrayOutputStream echoed = new ByteArrayOutputStream();
			while (echoed.size() < data.length) {
				byte[] message = client.read().get(20, TimeUnit.SECONDS);
				assertThat(message).isNotNull();
				// Message boundaries survive: every message but the last is exactly one write.
				assertThat(message.length).isEqualTo(Math.min(messageSize, data.length - echoed.size()));
				echoed.write(message);
			}
			assertThat(echoed.toByteArray()).isEqualTo(data);
			CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(WAIT, TimeUnit.SECONDS);
			client.close().get(WAIT, TimeUnit.SECONDS);
		}
	}

	@Test
	void writeCompletesOnlyOnceThePeerHasTheData() throws Exception {
		CompletableFuture<KcpStream> accepted = new CompletableFuture<>();
		try (KcpServer server = KcpStreams.startServer("127.0.0.1", 0, FAST, accepted::complete)) {
			KcpStream client = KcpStreams.connect("127.0.0.1", server.localPort(), FAST);
			byte[] data = randomBytes(100_000, 3);
			client.write(data).get(WAIT, TimeUnit.SECONDS);
			// The server stream buffered every byte before its engine acknowledged them, so nothing to wait for.
			assertThat(accepted.get(WAIT, TimeUnit.SECONDS).bufferedBytes()).isEqualTo(data.length);
			client.close().get(WAIT, TimeUnit.SECONDS);
		}
	}

	@Test
	void drainCompletesOnceEveryEarlierWriteIsAcknowledged() throws Exception {
		KcpStreams.StreamPair pair = KcpStreams.pair(FAST);
		int total = 0;
		for (int i = 0; i < 20; i++) {
			byte[] data = randomBytes(5_000 + i, i);
			pair.first().write(data);
			total += data.length;
		}
		pair.first().drain().get(WAIT, TimeUnit.SECONDS);
		assertThat(pair.second().bufferedBytes()).isEqualTo(total);
		pair.first().close().get(WAIT, TimeUnit.SECONDS);
		// After the close, drain reports the last write's outcome: it was delivered, so success.
		pair.first().drain().get(WAIT, TimeUnit.SECONDS);
	}

	@Test
	void writeToAPeerThatNeverAcknowledgesStaysPending() throws Exception {
		try (RawUdpPeer silent = new RawUdpPeer()) {
			KcpStream client = KcpStreams.connect(silent.localAddress(), FAST);
			CompletableFuture<Void> write = client.write("unanswered".getBytes(StandardCharsets.UTF_8));
			// The data left: the silent peer received the segment, and never acknowledged it.
			silent.awaitDatagram((datagram) -> datagram.length > KcpCodec.OVERHEAD, Duration.ofSeconds(WAIT));
			assertThat(write).isNotDone();
			CompletableFuture<Void> drained = client.drain();
			client.abort();
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> drained.get(WAIT, TimeUnit.SECONDS))
				.withCauseInstanceOf(KcpSessionClosedException.class);
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> write.get(WAIT, TimeUnit.SECONDS))
				.withCauseInstanceOf(KcpSessionClosedException.class);
		}
	}

	@Test
	void peerCloseDeliversEverythingThenEndOfStream() throws Exception {
		CompletableFuture<KcpStream> accepted = new CompletableFuture<>();
		try (KcpServer server = KcpStreams.startServer("127.0.0.1", 0, FAST, accepted::complete)) {
			KcpStream client = KcpStreams.connect("127.0.0.1", server.localPort(), FAST);
			client.write(bytes("first"));
			client.write(bytes("last"));
			CompletableFuture<CloseReason> clientClosed = client.close();
			KcpStream serverSide = accepted.get(WAIT, TimeUnit.SECONDS);
			assertThat(serverSide.read().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("first"));
			assertThat(serverSide.read().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("last"));
			assertThat(serverSide.read().get(WAIT, TimeUnit.SECONDS)).isNull();
			assertThat(serverSide.isAtEnd()).isTrue();
			assertThat(serverSide.closeFuture().get(WAIT, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(clientClosed.get(WAIT, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_LOCALLY);
			// Once at the end, it stays there.
			assertThat(serverSide.read(10).get(WAIT, TimeUnit.SECONDS)).isNull();
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> serverSide.write(bytes("too late")).get(WAIT, TimeUnit.SECONDS))
				.withCauseInstanceOf(KcpSessionClosedException.class);
		}
	}

	@Test
	void pendingReadCompletesWithEndOfStreamWhenThePeerCloses() throws Exception {
		KcpStreams.StreamPair pair = KcpStreams.pair(FAST);
		CompletableFuture<byte[]> waiting = pair.second().read();
		assertThat(waiting).isNotDone();
		pair.first().close().get(WAIT, TimeUnit.SECONDS);
		assertThat(waiting.get(WAIT, TimeUnit.SECONDS)).isNull();
	}

	@Test
	void serverCloseIsEndOfStreamForTheClient() throws Exception {
		try (KcpServer server = KcpStreams.startServer("127.0.0.1", 0, FAST,
				(stream) -> stream.read().thenAccept((data) -> {
					stream.write(bytes("goodbye"));
					stream.close();
				}))) {
			KcpStream client = KcpStreams.connect("127.0.0.1", server.localPort(), FAST);
			client.write(bytes("hi"));
			assertThat(client.read().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("goodbye"));
			assertThat(client.read().get(WAIT, TimeUnit.SECONDS)).isNull();
			assertThat(client.closeFuture().get(WAIT, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
		}
	}

	@Test
	void serverShutdownEndsTheClientsStreamAndFailsTheServersReads() throws Exception {
		CompletableFuture<CompletableFuture<byte[]>> serverRead = new CompletableFuture<>();
		KcpServer server = KcpStreams.startServer("127.0.0.1", 0, FAST, (stream) -> stream.read()
			.thenAccept((first) -> serverRead.complete(stream.read())));
		KcpStream client = KcpStreams.connect("127.0.0.1", server.localPort(), FAST);
		client.write(bytes("hello")).get(WAIT, TimeUnit.SECONDS);
		CompletableFuture<byte[]> pending = serverRead.get(WAIT, TimeUnit.SECONDS);
		server.close();
		// The client hears a close from its peer: the end of its stream.
		assertThat(client.read().get(WAIT, TimeUnit.SECONDS)).isNull();
		// The server side's reader learns why its stream stopped: not a clean end from the peer.
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> pending.get(WAIT, TimeUnit.SECONDS))
			.havingCause()
			.isInstanceOfSatisfying(KcpSessionClosedException.class,
					(ex) -> assertThat(ex.getReason()).isEqualTo(CloseReason.SERVER_SHUTDOWN));
	}

	@Test
	void aConnectionCallbackThatThrowsAbortsOnlyItsSession() throws Exception {
		AtomicInteger connections = new AtomicInteger();
		try (KcpServer server = KcpStreams.startServer("127.0.0.1", 0, FAST, (stream) -> {
			if (connections.incrementAndGet() == 1) {
				throw new IllegalStateException("cannot serve the first one");
			}
			echo(stream);
		})) {
			KcpStream refused = KcpStreams.connect("127.0.0.1", server.localPort(), FAST);
			refused.write(bytes("hello"));
			assertThat(refused.read().get(WAIT, TimeUnit.SECONDS)).isNull();
			assertThat(refused.closeFuture().get(WAIT, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
			KcpStream served = KcpStreams.connect("127.0.0.1", server.localPort(), FAST);
			served.write(bytes("hello again"));
			assertThat(served.read().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("hello again"));
			served.close().get(WAIT, TimeUnit.SECONDS);
		}
	}

	@Test
	void readExactlyAndReadLineSpanMessages() throws Exception {
		KcpStreams.StreamPair pair = KcpStreams.pair(FAST);
		KcpStream writer = pair.first();
		KcpStream reader = pair.second();
		writer.write(bytes("ab"));
		writer.write(bytes("cd"));
		writer.write(bytes("e\nfg"));
		writer.write(bytes("h\n")).get(WAIT, TimeUnit.SECONDS);
		assertThat(reader.readExactly(3).get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("abc"));
		assertThat(reader.readLine().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("de\n"));
		assertThat(reader.readLine().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("fgh\n"));
		// A line that is not there yet is awaited.
		CompletableFuture<byte[]> line = reader.readLine();
		writer.write(bytes("par"));
		writer.write(bytes("tial\nrest"));
		assertThat(line.get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("partial\n"));
		writer.close().get(WAIT, TimeUnit.SECONDS);
		// At the end the last bytes come without a line end, then the end.
		assertThat(reader.readLine().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("rest"));
		assertThat(reader.readLine().get(WAIT, TimeUnit.SECONDS)).isNull();
	}

	@Test
	void readExactlyFailsWithWhatArrivedWhenTheStreamEnds() throws Exception {
		KcpStreams.StreamPair pair = KcpStreams.pair(FAST);
		pair.first().write(bytes("12345"));
		CompletableFuture<byte[]> read = pair.second().readExactly(10);
		pair.first().close().get(WAIT, TimeUnit.SECONDS);
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> read.get(WAIT, TimeUnit.SECONDS))
			.havingCause()
			.isInstanceOfSatisfying(KcpStreamIncompleteReadException.class, (ex) -> {
				assertThat(ex.getPartial()).isEqualTo(bytes("12345"));
				assertThat(ex.getExpected()).isEqualTo(10);
			});
	}

	@Test
	void readUpToSplitsALongMessageAndKeepsBoundaries() throws Exception {
		KcpStreams.StreamPair pair = KcpStreams.pair(FAST);
		pair.first().write(bytes("0123456789"));
		pair.first().write(bytes("next")).get(WAIT, TimeUnit.SECONDS);
		assertThat(pair.second().read(4).get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("0123"));
		assertThat(pair.second().read(4).get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("4567"));
		assertThat(pair.second().read(4).get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("89"));
		assertThat(pair.second().read().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("next"));
		pair.first().close().get(WAIT, TimeUnit.SECONDS);
	}

	@Test
	void aReadThatTimesOutLosesNothingAndASecondConcurrentReadIsRefused() throws Exception {
		KcpStreams.StreamPair pair = KcpStreams.pair(FAST);
		CompletableFuture<byte[]> first = pair.second().read().orTimeout(50, TimeUnit.MILLISECONDS);
		CompletableFuture<byte[]> second = pair.second().read();
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> second.get(WAIT, TimeUnit.SECONDS))
			.withCauseInstanceOf(IllegalStateException.class);
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> first.get(WAIT, TimeUnit.SECONDS))
			.withCauseInstanceOf(TimeoutException.class);
		pair.first().write(bytes("after the timeout")).get(WAIT, TimeUnit.SECONDS);
		assertThat(pair.second().read().get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("after the timeout"));
		pair.first().close().get(WAIT, TimeUnit.SECONDS);
	}

	@Test
	void aSlowReaderClosesTheWindowAndLosesNothing() throws Exception {
		// Small read buffer: the reader pauses the session, the engine's window closes, writes stop completing.
		KcpConfig small = FAST.toBuilder().windowSize(32, 32).readBufferSize(20_000).build();
		KcpStreams.StreamPair pair = KcpStreams.pair(small);
		byte[] data = randomBytes(400_000, 4);
		int messageSize = 1000;
		List<CompletableFuture<Void>> writes = new ArrayList<>();
		for (int offset = 0; offset < data.length; offset += messageSize) {
			writes.add(pair.first().write(data, offset, messageSize));
		}
		CompletableFuture<Void> all = CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
		// The last write cannot be acknowledged while the reader holds back: 20 kB buffer + 32-segment window.
		assertThatExceptionOfType(TimeoutException.class).isThrownBy(() -> all.get(300, TimeUnit.MILLISECONDS));
		assertThat(pair.second().bufferedBytes()).isLessThan(data.length / 2);
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		while (received.size() < data.length) {
			received.write(pair.second().read().get(WAIT, TimeUnit.SECONDS));
		}
		assertThat(received.toByteArray()).isEqualTo(data);
		all.get(WAIT, TimeUnit.SECONDS);
		pair.first().close().get(WAIT, TimeUnit.SECONDS);
	}

	@Test
	void idleTimeoutFailsReadsInsteadOfEndingTheStream() throws Exception {
		KcpConfig shortIdle = FAST.toBuilder().idleTimeout(Duration.ofMillis(300)).build();
		try (RawUdpPeer silent = new RawUdpPeer()) {
			KcpStream client = KcpStreams.connect(silent.localAddress(), shortIdle);
			CompletableFuture<byte[]> read = client.read();
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> read.get(WAIT, TimeUnit.SECONDS))
				.havingCause()
				.isInstanceOfSatisfying(KcpSessionClosedException.class,
						(ex) -> assertThat(ex.getReason()).isEqualTo(CloseReason.IDLE_TIMEOUT));
			assertThat(client.isAtEnd()).isFalse();
		}
	}

	@Test
	void streamPairExchangesBothWays() throws Exception {
		KcpStreams.StreamPair pair = KcpStreams.pair(FAST);
		pair.first().write(bytes("123")).get(WAIT, TimeUnit.SECONDS);
		assertThat(pair.second().read(100).get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("123"));
		pair.second().write(bytes("234")).get(WAIT, TimeUnit.SECONDS);
		assertThat(pair.first().read(100).get(WAIT, TimeUnit.SECONDS)).isEqualTo(bytes("234"));
		pair.first().close().get(WAIT, TimeUnit.SECONDS);
		assertThat(pair.second().closeFuture().get(WAIT, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLOSED_BY_PEER);
	}

	/**
	 * Echoes every read back until the end of the stream, then closes: non-blocking, chained on futures. Reads that
	 * complete at once are served in a loop, so a full buffer does not deepen the stack.
	 */
	private static void echo(KcpStream stream) {
		CompletableFuture<byte[]> read;
		while ((read = stream.read()).isDone()) {
			if (!echoed(stream, read.exceptionally((ex) -> null).join(), read.isCompletedExceptionally())) {
				return;
			}
		}
		read.whenComplete((data, ex) -> {
			if (echoed(stream, data, ex != null)) {
				echo(stream);
			}
		});
	}

	/** Writes the data back; at the end (or on failure) closes instead and answers false. */
	private static boolean echoed(KcpStream stream, byte[] data, boolean failed) {
		if (failed) {
			stream.abort();
			return false;
		}
		if (data == null) {
			stream.close();
			return false;
		}
		stream.write(data);
		return true;
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static byte[] randomBytes(int length, long seed) {
		byte[] data = new byte[length];
		new Random(seed).nextBytes(data);
		return data;
	}


}
