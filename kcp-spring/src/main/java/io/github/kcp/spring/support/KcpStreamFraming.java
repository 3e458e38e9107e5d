package io.github.kcp.spring.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import org.springframework.core.serializer.Deserializer;
import org.springframework.core.serializer.Serializer;

/**
 * Message boundaries for KCP stream mode, drawn by a spring-core {@link Serializer} and {@link Deserializer} of
 * {@code byte[]} &mdash; in practice spring-integration-ip's codecs ({@code TcpCodecs.lengthHeader4()},
 * {@code crlf()}, {@code stxetx()}, {@code raw()} ...), so that a KCP stream is framed exactly as a TCP connection of
 * Spring Integration would be.
 * <p>
 * In stream mode KCP delivers bytes, not messages: one send may arrive in several pieces and several sends in one.
 * {@link #frame} turns one message into the bytes to write; a {@link Decoder} (one per session) collects what
 * arrives and hands back whole messages.
 * <p>
 * The codecs read a blocking {@link InputStream}; a decoder never blocks. It offers the codec the bytes received so
 * far, as a stream that ends where they end, and keeps the codec's answer only if the codec did not need to look
 * past them: a message, or an error, that depended on the end of the bytes received so far waits for more bytes
 * (or for the real end of the stream, when the session closes). So a codec that reads until the end of the stream
 * ({@code raw()}) yields its one message when the session closes, and one that fails on bad input (a missing STX, a
 * message beyond its maximum size) fails at once, whatever follows.
 * <p>
 * Each attempt reads the bytes buffered since the last message again. So that a message arriving in many small
 * pieces (or a peer trickling bytes on purpose) does not cost work growing with the square of its size, the decoder
 * knows spring-integration-ip's codecs and runs one again only when the new bytes can change its answer: a length
 * header codec once the bytes it asked for are there; a terminator codec (CRLF, LF, single terminator, STX/ETX) when
 * the new bytes complete its terminator, or the bytes buffered have doubled since its last attempt (which is how a
 * message beyond its maximum size is found, with at most twice that size buffered); {@code raw()} when they have
 * doubled, and at the end of the stream. The work per message is then linear in its size. Another codec is run
 * again whenever bytes arrive: keep its maximum message size to what the application needs.
 * <p>
 * A codec that publishes application events on failures (spring-integration-ip's publish a
 * {@code TcpDeserializationExceptionEvent} when they were given an event publisher, as beans are) publishes one
 * each time a message is not complete yet; declare such codecs inline rather than as beans.
 * <p>
 * Thread-safe; a {@link Decoder} is not (one session's bytes arrive in order, on one thread at a time).
 */
public final class KcpStreamFraming {

	private final Serializer<byte[]> serializer;

	private final Deserializer<byte[]> deserializer;

	private final RetryRule retryRule;

	/**
	 * Framing with separate halves.
	 * @param serializer writes one message with its boundary
	 * @param deserializer reads one message
	 */
	public KcpStreamFraming(Serializer<byte[]> serializer, Deserializer<byte[]> deserializer) {
		this.serializer = Objects.requireNonNull(serializer, "serializer");
		this.deserializer = Objects.requireNonNull(deserializer, "deserializer");
		this.retryRule = RetryRule.of(deserializer);
	}

	/**
	 * Framing with one codec that writes and reads, as every spring-integration-ip serializer does.
	 * @param <C> the codec type
	 * @param codec the codec, for example {@code TcpCodecs.lengthHeader4()}
	 * @return the framing
	 */
	public static <C extends Serializer<byte[]> & Deserializer<byte[]>> KcpStreamFraming of(C codec) {
		return new KcpStreamFraming(codec, codec);
	}

	/** The writing half. */
	public Serializer<byte[]> getSerializer() {
		return this.serializer;
	}

	/** The reading half. */
	public Deserializer<byte[]> getDeserializer() {
		return this.deserializer;
	}

	/**
	 * The bytes to write for one message.
	 * @param message the message
	 * @return the message with its boundary
	 * @throws KcpStreamFramingException if the codec refuses it (for example too long for its length header)
	 */
	public byte[] frame(byte[] message) {
		ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 8);
		try {
			this.serializer.serialize(message, out);
		}
		catch (IOException | RuntimeException ex) {
			throw new KcpStreamFramingException("Could not frame a message of " + message.length + " bytes with "
					+ describe(this.serializer) + ": " + ex.getMessage(), ex);
		}
		return out.toByteArray();
	}

	/**
	 * A decoder for one session's stream.
	 * @return a new decoder with nothing buffered
	 */
	public Decoder newDecoder() {
		return new Decoder(this.deserializer, this.retryRule);
	}

	@Override
	public String toString() {
		return "KcpStreamFraming [" + describe(this.serializer)
				+ ((this.serializer == this.deserializer) ? "" : " / " + describe(this.deserializer)) + "]";
	}

	private static String describe(Object codec) {
		return codec.getClass().getSimpleName();
	}

	/**
	 * Collects the bytes of one stream and cuts them into messages; see {@link KcpStreamFraming}. Not thread-safe.
	 */
	public static final class Decoder {

		private final Deserializer<byte[]> deserializer;

		private byte[] buffer = new byte[256];

		private int start;

		private int end;

		private boolean ended;

		private final BufferedBytes input = new BufferedBytes();

		private final RetryRule retryRule;

		// The last attempt at the message starting at `start` needed more bytes: what it had and asked for, and how
		// far the new bytes were looked at for a terminator (all counted from `start`).
		private boolean waiting;

		private int attemptedBytes;

		private long demandedBytes;

		private int checkedBytes;

		private long attempts;

		Decoder(Deserializer<byte[]> deserializer, RetryRule retryRule) {
			this.deserializer = deserializer;
			this.retryRule = retryRule;
		}

		/**
		 * Adds received bytes of the stream.
		 * @param chunk the bytes, in the order they arrived
		 * @throws IllegalStateException after {@link #endOfStream()}
		 */
		public void append(byte[] chunk) {
			if (this.ended) {
				throw new IllegalStateException("The stream has ended");
			}
			if (chunk.length == 0) {
				return;
			}
			if (this.buffer.length - this.end < chunk.length) {
				int buffered = this.end - this.start;
				int needed = buffered + chunk.length;
				byte[] target = (needed <= this.buffer.length) ? this.buffer
						: new byte[Math.max(needed, this.buffer.length * 2)];
				System.arraycopy(this.buffer, this.start, target, 0, buffered);
				this.buffer = target;
				this.start = 0;
				this.end = buffered;
			}
			System.arraycopy(chunk, 0, this.buffer, this.end, chunk.length);
			this.end += chunk.length;
		}

		/**
		 * Marks the end of the stream (the session closed): the bytes still buffered may now form a last message
		 * (a codec reading to the end of the stream) or be an incomplete one.
		 */
		public void endOfStream() {
			this.ended = true;
		}

		/** Bytes received and not yet part of a message taken. */
		public int buffered() {
			return this.end - this.start;
		}

		/**
		 * The next whole message, if the bytes buffered hold one.
		 * @return the message, or {@code null} if more bytes are needed (or, after the end of the stream, if none
		 * is left)
		 * @throws KcpStreamFramingException if the bytes cannot be a message (the codec failed without needing more
		 * bytes), or the stream ended inside a message; the decoder is then unusable: close the session
		 */
		public byte @Nullable [] next() {
			if (this.start == this.end) {
				return null;
			}
			if (this.waiting && !this.ended && !mayComplete()) {
				return null;
			}
			this.attempts++;
			this.input.reset(this.buffer, this.start, this.end);
			byte[] message;
			try {
				message = this.deserializer.deserialize(this.input);
			}
			catch (IOException | RuntimeException ex) {
				if (this.input.reachedEnd && !this.ended) {
					return needMore();
				}
				int buffered = buffered();
				discard();
				throw new KcpStreamFramingException(this.ended && this.input.reachedEnd
						? "The stream ended inside a message (" + buffered + " bytes left): " + ex.getMessage()
						: "Received bytes that are not a message for " + this.deserializer.getClass().getSimpleName()
								+ ": " + ex.getMessage(), ex);
			}
			if (this.input.reachedEnd && !this.ended) {
				// The codec read to the end of what is here, so the message may not be over yet.
				return needMore();
			}
			if (message == null) {
				discard();
				throw new KcpStreamFramingException("The codec " + this.deserializer.getClass().getSimpleName()
						+ " returned no message", null);
			}
			this.start = this.input.position;
			if (this.start == this.end) {
				this.start = 0;
				this.end = 0;
			}
			this.waiting = false;
			return message;
		}

		/** The codec needed more than the bytes buffered: notes what it had and asked for. */
		private byte @Nullable [] needMore() {
			this.waiting = true;
			this.attemptedBytes = buffered();
			this.checkedBytes = this.attemptedBytes;
			this.demandedBytes = this.input.demandedEnd - this.start;
			return null;
		}

		/** Whether the bytes that arrived since the last attempt can change the codec's answer. */
		private boolean mayComplete() {
			int buffered = buffered();
			switch (this.retryRule.kind) {
				case FILLS_READS:
					return buffered >= this.demandedBytes;
				case TERMINATOR: {
					if (buffered >= 2L * this.attemptedBytes) {
						return true;
					}
					byte[] terminator = this.retryRule.terminator;
					int from = this.start + Math.max(0, this.checkedBytes - (terminator.length - 1));
					this.checkedBytes = buffered;
					return contains(this.buffer, from, this.end, terminator);
				}
				case TO_END_OF_STREAM:
					return buffered >= 2L * this.attemptedBytes;
				default:
					return true;
			}
		}

		/** How many times the codec was run (tests). */
		long attempts() {
			return this.attempts;
		}

		/**
		 * Every whole message the bytes buffered hold, in order.
		 * @return the messages, possibly none
		 * @throws KcpStreamFramingException as {@link #next()}; the messages before the failure are lost with it,
		 * so call {@link #next()} in a loop to keep them
		 */
		public List<byte[]> drain() {
			List<byte[]> messages = new ArrayList<>(2);
			for (byte[] message = next(); message != null; message = next()) {
				messages.add(message);
			}
			return messages;
		}

		private void discard() {
			this.start = 0;
			this.end = 0;
			this.ended = true;
		}

	}

	private static boolean contains(byte[] bytes, int from, int to, byte[] sequence) {
		for (int i = from; i <= to - sequence.length; i++) {
			int k = 0;
			while (k < sequence.length && bytes[i + k] == sequence[k]) {
				k++;
			}
			if (k == sequence.length) {
				return true;
			}
		}
		return false;
	}

	/**
	 * When a decoder runs a codec again on a message it could not complete yet: what it knows of
	 * spring-integration-ip's codecs (by exact class, since a subclass may read otherwise; kcp-spring does not depend
	 * on spring-integration-ip).
	 */
	static final class RetryRule {

		enum Kind {

			/** Whenever bytes arrive (a codec we do not know). */
			ALWAYS,

			/** Once the bytes it asked for are there: it reads until its buffer is full (a length header codec). */
			FILLS_READS,

			/** When the new bytes complete its terminator, or the bytes buffered have doubled. */
			TERMINATOR,

			/** When the bytes buffered have doubled (it reads to the end of the stream, or its maximum size). */
			TO_END_OF_STREAM

		}

		private static final String PACKAGE = "org.springframework.integration.ip.tcp.serializer.";

		static final RetryRule ALWAYS = new RetryRule(Kind.ALWAYS, new byte[0]);

		final Kind kind;

		final byte[] terminator;

		private RetryRule(Kind kind, byte[] terminator) {
			this.kind = kind;
			this.terminator = terminator;
		}

		@SuppressWarnings("unchecked")
		static RetryRule of(Deserializer<byte[]> deserializer) {
			String name = deserializer.getClass().getName();
			if (!name.startsWith(PACKAGE)) {
				return ALWAYS;
			}
			switch (name.substring(PACKAGE.length())) {
				case "ByteArrayLengthHeaderSerializer":
					return new RetryRule(Kind.FILLS_READS, new byte[0]);
				case "ByteArrayCrLfSerializer":
					return new RetryRule(Kind.TERMINATOR, new byte[] { '\r', '\n' });
				case "ByteArrayStxEtxSerializer":
					return new RetryRule(Kind.TERMINATOR, new byte[] { 0x03 });
				case "ByteArrayLfSerializer", "ByteArraySingleTerminatorSerializer": {
					// The terminator is what the codec writes after an empty message.
					if (!(deserializer instanceof Serializer<?> serializer)) {
						return ALWAYS;
					}
					ByteArrayOutputStream out = new ByteArrayOutputStream(1);
					try {
						((Serializer<byte[]>) serializer).serialize(new byte[0], out);
					}
					catch (IOException | RuntimeException ex) {
						return ALWAYS;
					}
					byte[] framed = out.toByteArray();
					return (framed.length == 1) ? new RetryRule(Kind.TERMINATOR, framed) : ALWAYS;
				}
				case "ByteArrayRawSerializer", "ByteArrayElasticRawDeserializer":
					return new RetryRule(Kind.TO_END_OF_STREAM, new byte[0]);
				default:
					return ALWAYS;
			}
		}

	}

	/** The bytes buffered, as a stream that ends where they end and notes whether a read got there. */
	private static final class BufferedBytes extends InputStream {

		private byte[] bytes = new byte[0];

		private int position;

		private int limit;

		private boolean reachedEnd;

		/** Where the codec's read at the end would have ended: the bytes it needed, counted from the array's start. */
		private long demandedEnd;

		void reset(byte[] bytes, int from, int to) {
			this.bytes = bytes;
			this.position = from;
			this.limit = to;
			this.reachedEnd = false;
			this.demandedEnd = to;
		}

		@Override
		public int read() {
			if (this.position >= this.limit) {
				this.reachedEnd = true;
				this.demandedEnd = (long) this.limit + 1;
				return -1;
			}
			return this.bytes[this.position++] & 0xff;
		}

		@Override
		public int read(byte[] target, int offset, int length) {
			Objects.checkFromIndexSize(offset, length, target.length);
			if (length == 0) {
				return 0;
			}
			int remaining = this.limit - this.position;
			if (remaining <= 0) {
				this.reachedEnd = true;
				this.demandedEnd = (long) this.limit + length;
				return -1;
			}
			int count = Math.min(remaining, length);
			System.arraycopy(this.bytes, this.position, target, offset, count);
			this.position += count;
			return count;
		}

		@Override
		public int available() {
			return this.limit - this.position;
		}

		@Override
		public long skip(long count) {
			long skipped = Math.max(0, Math.min(count, this.limit - this.position));
			this.position += (int) skipped;
			return skipped;
		}

		@Override
		public void close() {
			// Nothing to release; the codec must not end the stream.
		}

		@Override
		public String toString() {
			return "buffered KCP stream bytes [" + (this.limit - this.position) + " left]";
		}

	}

}
