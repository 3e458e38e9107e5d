package io.github.kcp.core.interop;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.testsupport.interop.DeterministicContent;
import org.jspecify.annotations.Nullable;

/**
 * Test support: the Go peer's server protocols (see {@code kcppeer/main.go} and {@link DeterministicContent}) as
 * event-driven session handlers for our {@code KcpServer}, so that the Go clients can be pointed at it. Incoming
 * data is treated as a byte stream: whatever the peer's message boundaries, only the byte order counts.
 */
final class StreamProtocols {

	/** Size of the chunks the source sends (well within one message of the interop configurations). */
	static final int CHUNK_BYTES = 64 * 1024;

	private StreamProtocols() {
	}

	/** What a sink session saw: the announced length, the SHA-256 it replied and the first wrong offset (-1). */
	record SinkResult(long length, byte[] digest, long firstMismatch) {
	}

	/**
	 * The sink role: reads an 8-byte big-endian length N and N bytes, checking each against the bulk stream, then
	 * replies with their SHA-256. {@link #result()} completes once it replied.
	 */
	static final class Sink implements KcpSessionHandler {

		private final byte[] header = new byte[DeterministicContent.HEADER_BYTES];

		private final MessageDigest sha = DeterministicContent.sha256();

		private final CompletableFuture<SinkResult> result = new CompletableFuture<>();

		private int headerFilled;

		private long length = -1;

		private long offset;

		private long firstMismatch = -1;

		CompletableFuture<SinkResult> result() {
			return this.result;
		}

		@Override
		public void onMessage(KcpSession session, byte[] message) {
			int pos = 0;
			while (pos < message.length && !this.result.isDone()) {
				if (this.length < 0) {
					int k = Math.min(message.length - pos, this.header.length - this.headerFilled);
					System.arraycopy(message, pos, this.header, this.headerFilled, k);
					this.headerFilled += k;
					pos += k;
					if (this.headerFilled == this.header.length) {
						this.length = ByteBuffer.wrap(this.header).getLong();
					}
					continue;
				}
				int k = (int) Math.min(message.length - pos, this.length - this.offset);
				if (this.firstMismatch < 0) {
					this.firstMismatch = DeterministicContent.firstStreamMismatch(message, pos, k, this.offset);
				}
				this.sha.update(message, pos, k);
				this.offset += k;
				pos += k;
			}
			if (this.length >= 0 && this.offset == this.length && !this.result.isDone()) {
				byte[] digest = this.sha.digest();
				session.send(digest);
				this.result.complete(new SinkResult(this.length, digest, this.firstMismatch));
			}
		}

		@Override
		public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
			this.result.completeExceptionally(new AssertionError("Sink session closed (" + reason + ") after "
					+ this.offset + " of " + this.length + " bytes"));
		}

	}

	/**
	 * The source role: reads an 8-byte length N, sends N bytes of the bulk stream, then reads the peer's 32-byte
	 * SHA-256. {@link #verified()} completes with whether it matched the digest of what was sent.
	 */
	static final class Source implements KcpSessionHandler {

		private final byte[] received = new byte[DeterministicContent.HEADER_BYTES + DeterministicContent.DIGEST_BYTES];

		private final CompletableFuture<Boolean> verified = new CompletableFuture<>();

		private int filled;

		private byte @Nullable [] sentDigest;

		CompletableFuture<Boolean> verified() {
			return this.verified;
		}

		@Override
		public void onMessage(KcpSession session, byte[] message) {
			int k = Math.min(message.length, this.received.length - this.filled);
			System.arraycopy(message, 0, this.received, this.filled, k);
			this.filled += k;
			if (this.sentDigest == null && this.filled >= DeterministicContent.HEADER_BYTES) {
				long n = ByteBuffer.wrap(this.received, 0, DeterministicContent.HEADER_BYTES).getLong();
				this.sentDigest = send(session, n);
			}
			if (this.filled == this.received.length && this.sentDigest != null) {
				byte[] got = Arrays.copyOfRange(this.received, DeterministicContent.HEADER_BYTES, this.received.length);
				this.verified.complete(Arrays.equals(got, this.sentDigest));
			}
		}

		private byte[] send(KcpSession session, long n) {
			MessageDigest sha = DeterministicContent.sha256();
			for (long off = 0; off < n; off += CHUNK_BYTES) {
				byte[] chunk = DeterministicContent.stream(off, (int) Math.min(CHUNK_BYTES, n - off));
				sha.update(chunk);
				// the send buffer of the interop configurations holds the whole transfer: no waiting on the loop
				session.send(chunk).whenComplete((ignored, failure) -> {
					if (failure != null) {
						this.verified.completeExceptionally(failure);
					}
				});
			}
			return sha.digest();
		}

		@Override
		public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
			this.verified.completeExceptionally(
					new AssertionError("Source session closed (" + reason + ") with " + this.filled + " bytes read"));
		}

	}

	/** The echo role: sends every message straight back. */
	static final class Echo implements KcpSessionHandler {

		@Override
		public void onMessage(KcpSession session, byte[] message) {
			session.send(message);
		}

	}

}
