package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;

/**
 * The DTLS 1.2 record and handshake layouts (RFC 6347 4.1 and 4.2.2) that this package reads itself, and the
 * record overhead of each cipher suite.
 */
final class DtlsRecords {

	/** Bytes of a DTLS record header: type, version, epoch, sequence number, length. */
	static final int RECORD_HEADER_LENGTH = 13;

	/** Bytes of a DTLS handshake header: type, length, message_seq, fragment_offset, fragment_length. */
	static final int HANDSHAKE_HEADER_LENGTH = 12;

	static final int CONTENT_CHANGE_CIPHER_SPEC = 20;

	static final int CONTENT_ALERT = 21;

	static final int CONTENT_HANDSHAKE = 22;

	static final int CONTENT_APPLICATION_DATA = 23;

	static final int HANDSHAKE_CLIENT_HELLO = 1;

	static final int HANDSHAKE_HELLO_VERIFY_REQUEST = 3;

	/** DTLS 1.0 on the wire; RFC 6347 4.2.1 asks a HelloVerifyRequest to carry it whatever is negotiated. */
	static final int VERSION_DTLS_1_0 = 0xfeff;

	/** DTLS 1.2 on the wire. */
	static final int VERSION_DTLS_1_2 = 0xfefd;

	/** The largest overhead of any suite: 16-byte IV, SHA-384 MAC and a full block of CBC padding. */
	static final int WORST_CASE_OVERHEAD = RECORD_HEADER_LENGTH + 16 + 48 + 16;

	private DtlsRecords() {
	}

	static int contentType(ByteBuffer datagram, int record) {
		return datagram.get(record) & 0xff;
	}

	static int version(ByteBuffer datagram, int record) {
		return datagram.getShort(record + 1) & 0xffff;
	}

	static int epoch(ByteBuffer datagram, int record) {
		return datagram.getShort(record + 3) & 0xffff;
	}

	/** The 48-bit record sequence number. */
	static long sequence(ByteBuffer datagram, int record) {
		return ((datagram.getShort(record + 5) & 0xffffL) << 32) | (datagram.getInt(record + 7) & 0xffffffffL);
	}

	static int fragmentLength(ByteBuffer datagram, int record) {
		return datagram.getShort(record + 11) & 0xffff;
	}

	/**
	 * Return the length of the record starting at {@code record} (header included), or -1 if the datagram
	 * holds no whole record there.
	 */
	static int recordLength(ByteBuffer datagram, int record) {
		if (datagram.limit() - record < RECORD_HEADER_LENGTH) {
			return -1;
		}
		int length = RECORD_HEADER_LENGTH + fragmentLength(datagram, record);
		return (length <= datagram.limit() - record) ? length : -1;
	}

	static boolean isDtlsVersion(int version) {
		return (version >>> 8) == 0xfe;
	}

	/**
	 * Return the most bytes a record of {@code suite} adds to its plaintext in DTLS 1.2: the record header,
	 * then an explicit nonce and tag for AEAD suites, or an IV, a MAC and up to one block of padding for CBC.
	 * An unknown suite gets the worst case.
	 * @param suite a standard cipher suite name such as {@code TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	 * @return the record overhead in bytes
	 */
	static int overheadOf(String suite) {
		if (suite.contains("_CHACHA20_POLY1305_")) {
			return RECORD_HEADER_LENGTH + 16; // implicit nonce, 16-byte tag
		}
		if (suite.contains("_GCM_")) {
			return RECORD_HEADER_LENGTH + 8 + 16; // 8-byte explicit nonce, 16-byte tag
		}
		if (suite.endsWith("_CCM_8")) {
			return RECORD_HEADER_LENGTH + 8 + 8;
		}
		if (suite.endsWith("_CCM")) {
			return RECORD_HEADER_LENGTH + 8 + 16;
		}
		if (suite.contains("_CBC_")) {
			int mac = suite.endsWith("_SHA384") ? 48 : suite.endsWith("_SHA256") ? 32 : 20;
			return RECORD_HEADER_LENGTH + 16 + mac + 16;
		}
		return WORST_CASE_OVERHEAD;
	}

}
