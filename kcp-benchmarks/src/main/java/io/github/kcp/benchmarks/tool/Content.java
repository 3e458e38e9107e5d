package io.github.kcp.benchmarks.tool;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The content generators of the kcp-go peer, so that every transfer can be verified byte for byte on both ends.
 *
 * <p><b>Bulk stream</b> (source, sink and bulk roles): after an 8-byte big-endian length header {@code N}, byte
 * {@code i} of the payload is {@code (i * 31 + 7) & 0xff}. The sink and source roles exchange the 32-byte SHA-256
 * of the {@code N} payload bytes.
 *
 * <p><b>Messages</b> (echo and rtt clients): message {@code k} of {@code S} bytes is xorshift32 output seeded with
 * {@code x = k * 0x9E3779B1 + 0x7F4A7C15} (32-bit wrap-around; {@code x = 1} if that is 0); for each byte
 * {@code x ^= x << 13; x ^= x >>> 17; x ^= x << 5; byte = x & 0xff}. The rtt client then writes {@code k} as a
 * big-endian 64-bit integer over the first 8 bytes.
 */
final class Content {

	/** Size of the length header of the bulk protocols. */
	static final int HEADER_BYTES = 8;

	/** Size of the SHA-256 digest the sink and source roles exchange. */
	static final int DIGEST_BYTES = 32;

	/** Size of the writes and reads of bulk transfers (as the Go peer's). */
	static final int CHUNK_BYTES = 64 * 1024;

	/** The stream has a period of 256: any chunk of up to {@link #CHUNK_BYTES} is a slice of this array. */
	private static final byte[] PATTERN = new byte[CHUNK_BYTES + 256];

	static {
		for (int i = 0; i < PATTERN.length; i++) {
			PATTERN[i] = (byte) (i * 31 + 7);
		}
	}

	private Content() {
	}

	/** The pattern array; bytes {@code off .. off+n-1} of the stream start at index {@code off & 0xff}. */
	static byte[] pattern() {
		return PATTERN;
	}

	/** Index in {@link #pattern()} where stream offset {@code streamOffset} starts. */
	static int patternIndex(long streamOffset) {
		return (int) (streamOffset & 0xff);
	}

	/**
	 * Returns the index within {@code data[off .. off+len)} of the first byte that differs from the bulk stream at
	 * {@code streamOffset}, or -1 if all match; {@code len} is at most {@link #CHUNK_BYTES}.
	 */
	static int firstMismatch(byte[] data, int off, int len, long streamOffset) {
		int start = patternIndex(streamOffset);
		int diff = java.util.Arrays.mismatch(data, off, off + len, PATTERN, start, start + len);
		return diff;
	}

	/** The 8-byte big-endian length header. */
	static byte[] lengthHeader(long n) {
		return ByteBuffer.allocate(HEADER_BYTES).putLong(n).array();
	}

	/** Reads a length header. */
	static long readLength(byte[] header) {
		return ByteBuffer.wrap(header).getLong();
	}

	/** Message {@code k} of {@code size} bytes. */
	static byte[] message(int k, int size) {
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

	/** Message {@code k} with {@code k} as a big-endian 64-bit integer in its first 8 bytes. */
	static byte[] indexedMessage(int k, int size) {
		byte[] b = message(k, size);
		ByteBuffer.wrap(b).putLong(k);
		return b;
	}

	/** A new SHA-256 digest. */
	static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available in this JVM", ex);
		}
	}

	/** Lower-case hexadecimal, as the Go peer prints digests. */
	static String hex(byte[] bytes) {
		return java.util.HexFormat.of().formatHex(bytes);
	}

}
