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
	BYTES;

	/**
	 * The message of a start-up failure for two routeless handlers that take the same kind of payload.
	 * @param first the handler registered first
	 * @param second the other one
	 * @return what is wrong and how to fix it, naming both methods
	 */
	public static String describeConflict(KcpHandlerEndpoint first, KcpHandlerEndpoint second) {
		return "Two @KcpHandler methods take " + second.getPayloadKind().description()
				+ ", so a message could go to either: " + first.getId() + " and " + second.getId()
				+ ". Without routes, at most one @KcpHandler per kind of payload (bytes, text, JSON) is allowed: "
				+ "merge them, take one JSON base type (for example a sealed interface with @JsonTypeInfo) and "
				+ "switch on it, or give them routes (with the messaging envelope)";
	}

	private String description() {
		return switch (this) {
			case JSON -> "a JSON payload (a parameter type other than byte[], ByteBuffer, Object and String)";
			case TEXT -> "a String payload";
			case BYTES -> "a bytes payload (byte[], ByteBuffer, Object, or no payload parameter)";
		};
	}

}
