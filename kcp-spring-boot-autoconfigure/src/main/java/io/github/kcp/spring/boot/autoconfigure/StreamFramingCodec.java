package io.github.kcp.spring.boot.autoconfigure;

/**
 * The codecs of {@code kcp.stream-framing.codec}: spring-integration-ip's {@code TcpCodecs}, by name.
 */
public enum StreamFramingCodec {

	/** No framing: each piece of the stream a session delivers is a message. */
	NONE,

	/** A 1-byte unsigned length before each message (at most 255 bytes). */
	LENGTH_HEADER_1,

	/** A 2-byte unsigned big-endian length before each message. */
	LENGTH_HEADER_2,

	/** A 4-byte big-endian length before each message. */
	LENGTH_HEADER_4,

	/** Each message ends with CR LF. */
	CRLF,

	/** Each message ends with LF. */
	LF,

	/** Each message between STX (0x02) and ETX (0x03). */
	STX_ETX,

	/** One message per session: everything until the peer closes. */
	RAW

}
