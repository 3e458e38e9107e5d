package io.github.kcp.core.transport;

import io.github.kcp.core.KcpException;

/**
 * The stream ended before {@link KcpStream#readExactly(int)} had all the bytes it asked for; the counterpart of
 * asyncio's {@code IncompleteReadError}. The bytes that did arrive are in {@link #getPartial()}.
 */
public class KcpStreamIncompleteReadException extends KcpException {

	private static final long serialVersionUID = 1L;

	private final byte[] partial;

	private final int expected;

	/**
	 * Creates the exception.
	 * @param partial the bytes that arrived before the end of the stream
	 * @param expected how many bytes were requested
	 */
	public KcpStreamIncompleteReadException(byte[] partial, int expected) {
		super("The peer closed the stream after " + partial.length + " of the " + expected
				+ " bytes requested; the bytes that arrived are in getPartial()");
		this.partial = partial;
		this.expected = expected;
	}

	/** The bytes read before the end of the stream (fewer than {@link #getExpected()}). */
	public byte[] getPartial() {
		return this.partial;
	}

	/** How many bytes were requested. */
	public int getExpected() {
		return this.expected;
	}

}
