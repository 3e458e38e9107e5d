package io.github.kcp.spring.envelope;

import org.jspecify.annotations.Nullable;

/**
 * The kind of a {@link KcpEnvelope}, its second byte on the wire.
 */
public enum KcpFrameType {

	/** A request that expects exactly one {@link #REPLY} or {@link #ERROR} with its correlation id. */
	REQUEST(1, true),

	/** The answer to a {@link #REQUEST}, with the request's correlation id and route. */
	REPLY(2, true),

	/**
	 * A {@link #REQUEST} failed: no handler for its route, a payload the handler could not read, or a handler that
	 * threw. Carries the request's correlation id and route, the headers {@code error-code} and
	 * {@code error-type}, and the error message as UTF-8 text.
	 */
	ERROR(3, true),

	/** A message that expects no answer (correlation id 0). */
	ONE_WAY(4, false),

	/** A message a server sends unasked (correlation id 0); never taken as a reply. */
	PUSH(5, false);

	private final int code;

	private final boolean correlated;

	KcpFrameType(int code, boolean correlated) {
		this.code = code;
		this.correlated = correlated;
	}

	/** The byte that stands for this type on the wire. */
	public int code() {
		return this.code;
	}

	/** Whether frames of this type carry a non-zero correlation id. */
	public boolean isCorrelated() {
		return this.correlated;
	}

	/**
	 * The type of a wire code.
	 * @param code the byte read from the wire (0..255)
	 * @return the type, or {@code null} for an unknown code
	 */
	public static @Nullable KcpFrameType ofCode(int code) {
		for (KcpFrameType type : values()) {
			if (type.code == code) {
				return type;
			}
		}
		return null;
	}

}
