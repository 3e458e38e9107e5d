package io.github.kcp.spring.config;

/**
 * The kind of payload a {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} method takes, which decides
 * the messages it receives (see the routing rule on {@link io.github.kcp.spring.annotation.KcpHandler}).
 */
public enum PayloadKind {

	/**
	 * JSON: the payload parameter has any other type (a POJO, a record, a {@code Map}, a {@code JsonNode}).
	 * Receives messages that look like a JSON object or array.
	 */
	JSON,

	/** Text: the payload parameter is a {@code String} (UTF-8). Receives messages that are valid UTF-8. */
	TEXT,

	/**
	 * Bytes: the payload parameter is {@code byte[]}, {@code ByteBuffer} or {@code Object}, or the method has no
	 * payload parameter at all. Receives any message.
	 */
	BYTES

}
