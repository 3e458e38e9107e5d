package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.security.MessageDigest;

import javax.crypto.Mac;

import static io.github.kcp.core.dtls.DtlsRecords.CONTENT_HANDSHAKE;
import static io.github.kcp.core.dtls.DtlsRecords.HANDSHAKE_CLIENT_HELLO;
import static io.github.kcp.core.dtls.DtlsRecords.HANDSHAKE_HEADER_LENGTH;
import static io.github.kcp.core.dtls.DtlsRecords.HANDSHAKE_HELLO_VERIFY_REQUEST;
import static io.github.kcp.core.dtls.DtlsRecords.RECORD_HEADER_LENGTH;
import static io.github.kcp.core.dtls.DtlsRecords.VERSION_DTLS_1_0;

/**
 * A ClientHello read in place from the first record of a datagram (RFC 6347 4.2.1 and RFC 5246 7.4.1.2):
 * enough to compute and check a cookie, answer with a HelloVerifyRequest, and rebuild the hello without
 * its cookie. Only a whole, unfragmented ClientHello in epoch 0 is accepted; anything else is rejected with
 * a reason and never throws.
 */
final class ClientHelloView {

	private static final int RANDOM_LENGTH = 32;

	private static final int MAX_SESSION_ID_LENGTH = 32;

	private final ByteBuffer datagram;

	private final int recordLength;

	private final int bodyStart;

	private final int bodyEnd;

	// Offset of the cookie's one-byte length; the cookie follows it
	private final int cookieLengthAt;

	private final int cookieLength;

	private ClientHelloView(ByteBuffer datagram, int recordLength, int bodyStart, int bodyEnd, int cookieLengthAt,
			int cookieLength) {
		this.datagram = datagram;
		this.recordLength = recordLength;
		this.bodyStart = bodyStart;
		this.bodyEnd = bodyEnd;
		this.cookieLengthAt = cookieLengthAt;
		this.cookieLength = cookieLength;
	}

	/**
	 * Read the ClientHello in the first record of {@code datagram} (from index 0 to its limit) or say why
	 * there is none.
	 * @param datagram the datagram; not modified, and read through absolute indexes only
	 * @return the {@link ClientHelloView}, or the {@link DtlsCookieGate.Rejection}
	 */
	static Object parse(ByteBuffer datagram) {
		int recordLength = DtlsRecords.recordLength(datagram, 0);
		if (recordLength < 0 || !DtlsRecords.isDtlsVersion(DtlsRecords.version(datagram, 0))) {
			return DtlsCookieGate.Rejection.MALFORMED;
		}
		if (DtlsRecords.contentType(datagram, 0) != CONTENT_HANDSHAKE || DtlsRecords.epoch(datagram, 0) != 0
				|| recordLength < RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH
				|| (datagram.get(RECORD_HEADER_LENGTH) & 0xff) != HANDSHAKE_CLIENT_HELLO) {
			return DtlsCookieGate.Rejection.NOT_CLIENT_HELLO;
		}
		int handshake = RECORD_HEADER_LENGTH;
		int messageLength = uint24(datagram, handshake + 1);
		int fragmentOffset = uint24(datagram, handshake + 6);
		int fragmentLength = uint24(datagram, handshake + 9);
		if (fragmentOffset != 0 || fragmentLength != messageLength) {
			return DtlsCookieGate.Rejection.FRAGMENTED;
		}
		int bodyStart = handshake + HANDSHAKE_HEADER_LENGTH;
		int bodyEnd = bodyStart + messageLength;
		if (bodyEnd > recordLength) {
			return DtlsCookieGate.Rejection.MALFORMED;
		}
		int at = bodyStart;
		if (bodyEnd - at < 2 + RANDOM_LENGTH + 1 || !DtlsRecords.isDtlsVersion(datagram.getShort(at) & 0xffff)) {
			return DtlsCookieGate.Rejection.MALFORMED;
		}
		at += 2 + RANDOM_LENGTH;
		int sessionIdLength = datagram.get(at) & 0xff;
		at += 1 + sessionIdLength;
		if (sessionIdLength > MAX_SESSION_ID_LENGTH || at >= bodyEnd) {
			return DtlsCookieGate.Rejection.MALFORMED;
		}
		int cookieLengthAt = at;
		int cookieLength = datagram.get(at) & 0xff;
		at += 1 + cookieLength;
		if (at + 2 > bodyEnd) {
			return DtlsCookieGate.Rejection.MALFORMED;
		}
		int suitesLength = datagram.getShort(at) & 0xffff;
		at += 2 + suitesLength;
		if (suitesLength < 2 || (suitesLength & 1) != 0 || at >= bodyEnd) {
			return DtlsCookieGate.Rejection.MALFORMED;
		}
		int compressionLength = datagram.get(at) & 0xff;
		at += 1 + compressionLength;
		if (compressionLength < 1 || at > bodyEnd) {
			return DtlsCookieGate.Rejection.MALFORMED;
		}
		if (at != bodyEnd && (at + 2 > bodyEnd || at + 2 + (datagram.getShort(at) & 0xffff) != bodyEnd)) {
			return DtlsCookieGate.Rejection.MALFORMED;
		}
		return new ClientHelloView(datagram, recordLength, bodyStart, bodyEnd, cookieLengthAt, cookieLength);
	}

	/** Feed the hello's body, without its cookie, to {@code mac}: equal for a hello and its retry. */
	void updateWithoutCookie(Mac mac) {
		ByteBuffer view = datagram.duplicate();
		view.limit(cookieLengthAt).position(bodyStart);
		mac.update(view);
		view.limit(bodyEnd).position(cookieLengthAt + 1 + cookieLength);
		mac.update(view);
	}

	/** Compare the hello's cookie with {@code expected} in constant time. */
	boolean cookieEquals(byte[] expected) {
		if (cookieLength != expected.length) {
			return false;
		}
		byte[] cookie = new byte[cookieLength];
		datagram.get(cookieLengthAt + 1, cookie);
		return MessageDigest.isEqual(cookie, expected);
	}

	/** Return the first byte of the cookie, or -1 if the cookie has not the length of this package's cookies. */
	int cookieSlotByte(int expectedLength) {
		return (cookieLength == expectedLength) ? (datagram.get(cookieLengthAt + 1) & 0xff) : -1;
	}

	/** Return the size of the record holding the hello. */
	int recordLength() {
		return recordLength;
	}

	/**
	 * Return a HelloVerifyRequest carrying {@code cookie}, with the hello's record sequence number and
	 * message_seq, so that the answer needs no state (RFC 6347 4.2.1).
	 */
	ByteBuffer helloVerifyRequest(byte[] cookie) {
		int bodyLength = 2 + 1 + cookie.length;
		ByteBuffer reply = ByteBuffer.allocate(RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH + bodyLength);
		reply.put((byte) CONTENT_HANDSHAKE).putShort((short) VERSION_DTLS_1_0);
		reply.put(datagram.slice(3, 8)); // epoch 0 and the hello's sequence number
		reply.putShort((short) (HANDSHAKE_HEADER_LENGTH + bodyLength));
		reply.put((byte) HANDSHAKE_HELLO_VERIFY_REQUEST);
		putUint24(reply, bodyLength);
		reply.putShort(datagram.getShort(RECORD_HEADER_LENGTH + 4)); // message_seq
		putUint24(reply, 0);
		putUint24(reply, bodyLength);
		reply.putShort((short) VERSION_DTLS_1_0).put((byte) cookie.length).put(cookie);
		return reply.flip();
	}

	/**
	 * Return the hello as the client sent it first: the same record without its cookie, with message_seq
	 * and record sequence number 0.
	 */
	ByteBuffer firstHello() {
		int length = recordLength - cookieLength;
		ByteBuffer hello = ByteBuffer.allocate(length);
		hello.put(datagram.slice(0, 3)).putShort((short) 0).putInt(0).putShort((short) 0); // epoch 0, seq 0
		hello.putShort((short) (length - RECORD_HEADER_LENGTH));
		int messageLength = bodyEnd - bodyStart - cookieLength;
		hello.put((byte) HANDSHAKE_CLIENT_HELLO);
		putUint24(hello, messageLength);
		hello.putShort((short) 0);
		putUint24(hello, 0);
		putUint24(hello, messageLength);
		hello.put(datagram.slice(bodyStart, cookieLengthAt - bodyStart)).put((byte) 0);
		int afterCookie = cookieLengthAt + 1 + cookieLength;
		hello.put(datagram.slice(afterCookie, bodyEnd - afterCookie));
		return hello.flip();
	}

	/** Return a copy of the record holding the hello. */
	ByteBuffer record() {
		ByteBuffer copy = ByteBuffer.allocate(recordLength);
		copy.put(datagram.slice(0, recordLength));
		return copy.flip();
	}

	private static int uint24(ByteBuffer buffer, int index) {
		return ((buffer.get(index) & 0xff) << 16) | ((buffer.get(index + 1) & 0xff) << 8) | (buffer.get(index + 2) & 0xff);
	}

	private static void putUint24(ByteBuffer buffer, int value) {
		buffer.put((byte) (value >>> 16)).put((byte) (value >>> 8)).put((byte) value);
	}

	@Override
	public String toString() {
		return "ClientHello(" + recordLength + " bytes, cookie " + cookieLength + " bytes)";
	}

}
