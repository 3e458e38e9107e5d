package io.github.kcp.core.protocol;

/**
 * Outcome of feeding one datagram to {@link Kcp#input}. Anything but {@link #OK} means parsing stopped at the
 * offending segment: the segments before it were applied, the rest of the datagram was ignored, and the engine
 * counted the event (see {@link Kcp#inputErrors(InputResult)}). Malformed input never throws.
 */
public enum InputResult {

	/** Every segment of the datagram was well formed and applied. */
	OK,

	/** The datagram, or what remained of it, was shorter than a 24-byte segment header. */
	TRUNCATED,

	/** A segment carried a conversation id other than the engine's. */
	CONV_MISMATCH,

	/** A segment's length field exceeded the bytes left in the datagram. */
	BAD_LENGTH,

	/** A segment's command was none of PUSH, ACK, WASK, WINS. */
	UNKNOWN_COMMAND

}
