package io.github.kcp.core.transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.AesGcmCipher;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketEncryptionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A packet cipher that fails to encrypt never lets plaintext out: the datagram is dropped and counted as
 * {@link DropReason#ENCRYPT_FAILED}, and the session closes with {@link CloseReason#ERROR} carrying the cipher's
 * exception, failing its unacknowledged sends — rather than retransmitting into the same failure until dead link.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KcpEncryptFailureTest {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final Duration WAIT = Duration.ofSeconds(5);

	private static final byte[] KEY = new byte[32];

	private final List<AutoCloseable> resources = new ArrayList<>();

	@AfterEach
	void release() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	@Test
	void serverWhoseCipherFailsSendsNothingAndClosesTheSessionWithError() throws Exception {
		BreakableCipher breakable = new BreakableCipher(AesGcmCipher.withKey(KEY));
		LinkedBlockingQueue<CompletableFuture<Void>> echoes = new LinkedBlockingQueue<>();
		RecordingHandler serverSide = new RecordingHandler(false) {
			@Override
			public void onMessage(KcpSession session, byte[] message) {
				super.onMessage(session, message);
				echoes.add(session.send(message));
			}
		};
		KcpServer server = KcpServer.builder()
			.config(FAST)
			.cipher(breakable)
			.handler(serverSide)
			.bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		SniffingRelay relay = SniffingRelay.start(server.localAddress());
		this.resources.add(relay);
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = KcpClient.builder()
			.config(FAST)
			.cipher(AesGcmCipher.withKey(KEY))
			.handler(clientSide)
			.connect(relay.localAddress());
		this.resources.add(client::abort);
		client.send("warm-up".getBytes(StandardCharsets.US_ASCII)).get(5, TimeUnit.SECONDS);
		KcpSession serverSession = serverSide.opened.get(5, TimeUnit.SECONDS);
		echoes.poll(5, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
		clientSide.nextMessage(WAIT);
		await().atMost(WAIT).until(() -> relay.toClient().size() == serverSession.stats().datagramsOut());
		int sentBeforeFailure = relay.toClient().size();

		breakable.broken = true;
		byte[] secret = "top-secret-payload-0123456789".getBytes(StandardCharsets.US_ASCII);
		CompletableFuture<Void> clientSend = client.send(secret);
		assertThat(serverSide.closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.ERROR);
		assertThat(serverSide.closeCause).isInstanceOf(PacketEncryptionException.class);
		// The server got the message (decryption works) and tried to echo it: that send fails with the session.
		assertThat(serverSide.messages).hasSize(2);
		CompletableFuture<Void> failedEcho = echoes.poll(1, TimeUnit.SECONDS);
		assertThatThrownBy(failedEcho::join).cause()
			.isInstanceOf(KcpSessionClosedException.class)
			.satisfies((ex) -> assertThat(((KcpSessionClosedException) ex).getReason()).isEqualTo(CloseReason.ERROR));
		assertThat(serverSession.isOpen()).isFalse();
		assertThat(server.droppedDatagrams(DropReason.ENCRYPT_FAILED)).isPositive();
		assertThat(breakable.refused).hasValueGreaterThan(0);

		// The client keeps retransmitting; the closed conversation's answer cannot be encrypted either. Nothing at
		// all leaves the server from the moment the cipher broke: no echo, no acknowledgement, no close signal.
		long refusedSoFar = breakable.refused.get();
		await().atMost(WAIT).until(() -> breakable.refused.get() > refusedSoFar);
		assertThat(relay.toClient()).hasSize(sentBeforeFailure);
		assertThat(SniffingRelay.anyContains(relay.toClient(), secret)).isFalse();
		assertThat(clientSide.messages).isEmpty();
		assertThat(clientSend).isNotDone();
	}

	@Test
	void clientWhoseCipherFailsFailsItsSendAndLeaksNoPlaintext() throws Exception {
		RecordingHandler serverSide = RecordingHandler.echo();
		KcpServer server = KcpServer.builder()
			.config(FAST)
			.cipher(AesGcmCipher.withKey(KEY))
			.handler(serverSide)
			.bind("127.0.0.1", 0);
		this.resources.add(() -> server.shutdown(Duration.ofMillis(200)).get(5, TimeUnit.SECONDS));
		SniffingRelay relay = SniffingRelay.start(server.localAddress());
		this.resources.add(relay);
		BreakableCipher breakable = new BreakableCipher(AesGcmCipher.withKey(KEY));
		RecordingHandler clientSide = RecordingHandler.recorder();
		KcpSession client = KcpClient.builder()
			.config(FAST)
			.cipher(breakable)
			.handler(clientSide)
			.connect(relay.localAddress());
		this.resources.add(client::abort);
		client.send("warm-up".getBytes(StandardCharsets.US_ASCII)).get(5, TimeUnit.SECONDS);
		clientSide.nextMessage(WAIT);
		await().atMost(WAIT).until(() -> relay.toTarget().size() == client.stats().datagramsOut());
		int sentBeforeFailure = relay.toTarget().size();

		breakable.broken = true;
		byte[] secret = "client-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
		CompletableFuture<Void> send = client.send(secret);
		assertThatThrownBy(() -> send.get(5, TimeUnit.SECONDS)).cause()
			.isInstanceOf(KcpSessionClosedException.class)
			.satisfies((ex) -> assertThat(((KcpSessionClosedException) ex).getReason()).isEqualTo(CloseReason.ERROR));
		assertThat(clientSide.closed.get(1, TimeUnit.SECONDS)).isEqualTo(CloseReason.ERROR);
		assertThat(clientSide.closeCause).isInstanceOf(PacketEncryptionException.class);
		assertThat(client.closeReason()).isEqualTo(CloseReason.ERROR);
		assertThat(client.stats().droppedDatagrams(DropReason.ENCRYPT_FAILED)).isPositive();
		// Later sends are refused at once.
		assertThatThrownBy(() -> client.send(new byte[1]).join()).cause()
			.isInstanceOf(KcpSessionClosedException.class);
		assertThat(relay.toTarget()).hasSize(sentBeforeFailure);
		assertThat(SniffingRelay.anyContains(relay.toTarget(), secret)).isFalse();
		assertThat(serverSide.messages).hasSize(1);
	}

	/** Encrypts with a real cipher until told to fail; then every call throws, as a broken JCE provider might. */
	private static final class BreakableCipher implements PacketCipher {

		final AtomicInteger refused = new AtomicInteger();

		private final PacketCipher delegate;

		volatile boolean broken;

		BreakableCipher(PacketCipher delegate) {
			this.delegate = delegate;
		}

		@Override
		public String name() {
			return "breakable-" + this.delegate.name();
		}

		@Override
		public int overhead() {
			return this.delegate.overhead();
		}

		@Override
		public byte[] encrypt(byte[] plaintext, int offset, int length) {
			if (this.broken) {
				this.refused.incrementAndGet();
				throw new PacketEncryptionException("simulated cipher failure", null);
			}
			return this.delegate.encrypt(plaintext, offset, length);
		}

		@Override
		public byte[] decrypt(byte[] datagram, int offset, int length) {
			return this.delegate.decrypt(datagram, offset, length);
		}

	}

}
