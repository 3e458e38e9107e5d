package io.github.kcp.testsupport.interop;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The content generators of the kcp-go peer ({@code kcp-test-support/src/main/go/kcppeer/main.go}), so that Java
 * clients and servers (the interop tests, kcp-tool) take part in its bulk and echo protocols and every transfer can
 * be verified byte for byte on both ends. The one copy of these rules on the Java side.
 *
 * <p><b>Bulk stream</b> (source, sink and bulk roles): after an 8-byte big-endian length header {@code N}, byte
 * {@code i} ({@code 0 <= i < N}) of the payload is {@code (i * 31 + 7) & 0xff}. The stream has a period of 256
 * bytes. The sink and source roles exchange the 32-byte SHA-256 of the {@code N} payload bytes (header excluded).
 *
 * <p><b>Messages</b> (echo and rtt clients): message {@code k} of {@code S} bytes is xorshift32 output seeded with
 * {@code x = k * 0x9E3779B1 + 0x7F4A7C15} (32-bit wrap-around; {@code x = 1} if that is 0); for each byte
 * {@code x ^= x << 13; x ^= x >>> 17; x ^= x << 5; byte = x & 0xff}. The rtt client sends
 * {@link #indexedMessage(int, int)}: the same bytes with {@code k} as a big-endian 64-bit integer in the first 8.
 */
public final class DeterministicContent {

	/** Size of the length header of the bulk protocols. */
	public static final int HEADER_BYTES = 8;

	/** Size of the SHA-256 digest the sink and source roles exchange. */
	public static final int DIGEST_BYTES = 32;

	/** Size of the writes and reads of bulk transfers (as the Go peer's). */
	public static final int CHUNK_BYTES = 64 * 1024;

	/** The stream has a period of 256: any piece of up to {@link #CHUNK_BYTES} is a slice of this array. */
	private static final byte[] PATTERN = new byte[CHUNK_BYTES + 256];

	static {
		for (int i = 0; i < PATTERN.length; i++) {
			PATTERN[i] = streamByte(i);
		}
	}

	private DeterministicContent() {
	}

	// ------------------------------------------------------------------ bulk stream

	/** Byte {@code i} of the bulk stream: {@code (i * 31 + 7) & 0xff}. */
	public static byte streamByte(long i) {
		return (byte) (i * 31 + 7);
	}

	/**
	 * The pattern array, for writing the stream without copying: bytes {@code off .. off+n-1} of the stream
	 * ({@code n <= CHUNK_BYTES}) are {@code pattern()[patternIndex(off) ..]}. Do not modify it.
	 */
	public static byte[] pattern() {
		return PATTERN;
	}

	/** Index in {@link #pattern()} where stream offset {@code streamOffset} starts. */
	public static int patternIndex(long streamOffset) {
		return (int) (streamOffset & 0xff);
	}

	/** Fills {@code dst[off .. off+len)} with the bulk stream starting at stream offset {@code streamOffset}. */
	public static void fillStream(byte[] dst, int off, int len, long streamOffset) {
		int done = 0;
		while (done < len) {
			int n = Math.min(len - done, CHUNK_BYTES);
			System.arraycopy(PATTERN, patternIndex(streamOffset + done), dst, off + done, n);
			done += n;
		}
	}

	/** Bytes {@code streamOffset .. streamOffset+len-1} of the bulk stream. */
	public static byte[] stream(long streamOffset, int len) {
		byte[] b = new byte[len];
		fillStream(b, 0, len, streamOffset);
		return b;
	}

	/**
	 * The stream offset of the first byte of {@code data[off .. off+len)} that differs from the bulk stream at
	 * {@code streamOffset}, or -1 if they all match.
	 */
	public static long firstStreamMismatch(byte[] data, int off, int len, long streamOffset) {
		for (int done = 0; done < len;) {
			int n = Math.min(len - done, CHUNK_BYTES);
			int start = patternIndex(streamOffset + done);
			int diff = Arrays.mismatch(data, off + done, off + done + n, PATTERN, start, start + n);
			if (diff >= 0) {
				return streamOffset + done + diff;
			}
			done += n;
		}
		return -1;
	}

	/** SHA-256 of the first {@code n} bytes of the bulk stream. */
	public static byte[] streamDigest(long n) {
		MessageDigest sha = sha256();
		for (long done = 0; done < n;) {
			int k = (int) Math.min(CHUNK_BYTES, n - done);
			sha.update(PATTERN, patternIndex(done), k);
			done += k;
		}
		return sha.digest();
	}

	/** The 8-byte big-endian length header of the bulk protocols. */
	public static byte[] lengthHeader(long n) {
		return ByteBuffer.allocate(HEADER_BYTES).putLong(n).array();
	}

	/** Reads a length header (the first {@link #HEADER_BYTES} bytes of {@code header}). */
	public static long readLength(byte[] header) {
		return ByteBuffer.wrap(header, 0, HEADER_BYTES).getLong();
	}

	// ------------------------------------------------------------------ messages

	/** Message {@code k} of {@code size} bytes, as the echo client sends it. */
	public static byte[] message(int k, int size) {
		int x = k * 0x9E3779B1 + 0x7F4A7C15;
		if (x == 0) {
			x = 1;
		}
		byte[] b = new byte[size];
		for (int i = 0; i < size; i++) {
			x ^= x << 13;
			x ^= x >>> 17;
			x ^= x << 5;
			b[i] = (byte) x;
		}
		return b;
	}

	/**
	 * Message {@code k} with {@code k} as a big-endian 64-bit integer in its first 8 bytes, as the rtt client sends
	 * it.
	 * @throws IllegalArgumentException if {@code size} is below 8
	 */
	public static byte[] indexedMessage(int k, int size) {
		if (size < 8) {
			throw new IllegalArgumentException("size must be at least 8, was " + size);
		}
		byte[] b = message(k, size);
		ByteBuffer.wrap(b).putLong(k);
		return b;
	}

	// ------------------------------------------------------------------ digests

	/** A new SHA-256 {@link MessageDigest}. */
	public static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available in this JVM", ex);
		}
	}

	/** SHA-256 of the concatenation of {@code parts}. */
	public static byte[] sha256(byte[]... parts) {
		MessageDigest sha = sha256();
		for (byte[] part : parts) {
			sha.update(part);
		}
		return sha.digest();
	}

	/** Lower-case hexadecimal, as the Go peer prints digests. */
	public static String hex(byte[] bytes) {
		return HexFormat.of().formatHex(bytes);
	}

}
