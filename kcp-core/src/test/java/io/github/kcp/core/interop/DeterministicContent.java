package io.github.kcp.core.interop;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Test support: the content generators of the kcp-go peer ({@code src/test/go/kcppeer/main.go}), so that Java
 * clients and servers can take part in its bulk and echo protocols.
 *
 * <p><b>Bulk stream</b> (source/sink/bulk roles): after an 8-byte big-endian length header {@code N}, byte {@code i}
 * ({@code 0 <= i < N}) of the payload is {@code (i * 31 + 7) & 0xff}. The stream has a period of 256 bytes. The
 * sink and source roles exchange the 32-byte SHA-256 of the {@code N} payload bytes (header excluded).
 *
 * <p><b>Messages</b> (echo-client, rtt-client): message {@code k} of {@code S} bytes is xorshift32 output seeded
 * with {@code x = k * 0x9E3779B1 + 0x7F4A7C15} (32-bit wrap-around; {@code x = 1} if that is 0); for each byte
 * {@code x ^= x << 13; x ^= x >>> 17; x ^= x << 5; byte = x & 0xff}. The rtt-client sends
 * {@link #indexedMessage(int, int)}: the same bytes with {@code k} as a big-endian 64-bit integer in the first 8.
 */
public final class DeterministicContent {

	/** Size of the length header of the bulk protocols. */
	public static final int HEADER_BYTES = 8;

	/** Size of the SHA-256 digest the sink and source roles exchange. */
	public static final int DIGEST_BYTES = 32;

	private static final byte[] PERIOD = new byte[256];

	static {
		for (int i = 0; i < PERIOD.length; i++) {
			PERIOD[i] = streamByte(i);
		}
	}

	private DeterministicContent() {
	}

	/** Byte {@code i} of the bulk stream: {@code (i * 31 + 7) & 0xff}. */
	public static byte streamByte(long i) {
		return (byte) (i * 31 + 7);
	}

	/** Fills {@code dst[off .. off+len)} with the bulk stream starting at stream offset {@code streamOffset}. */
	public static void fillStream(byte[] dst, int off, int len, long streamOffset) {
		int phase = (int) (streamOffset & 0xff);
		int done = 0;
		while (done < len) {
			int n = Math.min(len - done, PERIOD.length - phase);
			System.arraycopy(PERIOD, phase, dst, off + done, n);
			done += n;
			phase = 0;
		}
	}

	/** Bytes {@code streamOffset .. streamOffset+len-1} of the bulk stream. */
	public static byte[] stream(long streamOffset, int len) {
		byte[] b = new byte[len];
		fillStream(b, 0, len, streamOffset);
		return b;
	}

	/**
	 * Returns the stream offset of the first byte of {@code data[off .. off+len)} that differs from the bulk stream
	 * at {@code streamOffset}, or -1 if they all match.
	 */
	public static long firstStreamMismatch(byte[] data, int off, int len, long streamOffset) {
		for (int i = 0; i < len; i++) {
			if (data[off + i] != streamByte(streamOffset + i)) {
				return streamOffset + i;
			}
		}
		return -1;
	}

	/** SHA-256 of the first {@code n} bytes of the bulk stream. */
	public static byte[] streamDigest(long n) {
		MessageDigest sha = sha256();
		byte[] chunk = stream(0, 64 * 1024);
		for (long done = 0; done < n;) {
			int k = (int) Math.min(chunk.length, n - done);
			// chunk.length is a multiple of 256, so every chunk starts at phase 0
			sha.update(chunk, 0, k);
			done += k;
		}
		return sha.digest();
	}

	/** The 8-byte big-endian length header of the bulk protocols. */
	public static byte[] lengthHeader(long n) {
		return ByteBuffer.allocate(HEADER_BYTES).putLong(n).array();
	}

	/** Message {@code k} of {@code size} bytes, as sent by the echo-client. */
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

	/** Message {@code k} with {@code k} as a big-endian 64-bit integer in its first 8 bytes, as the rtt-client sends. */
	public static byte[] indexedMessage(int k, int size) {
		if (size < 8) {
			throw new IllegalArgumentException("size must be at least 8, was " + size);
		}
		byte[] b = message(k, size);
		ByteBuffer.wrap(b).putLong(k);
		return b;
	}

	/** A new SHA-256 {@link MessageDigest}. */
	public static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is not available", ex);
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
		StringBuilder sb = new StringBuilder(bytes.length * 2);
		for (byte b : bytes) {
			sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
		}
		return sb.toString();
	}

}
