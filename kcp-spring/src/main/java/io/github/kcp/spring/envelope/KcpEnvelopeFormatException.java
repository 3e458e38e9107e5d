package io.github.kcp.spring.envelope;

/**
 * Bytes that are not a valid {@link KcpEnvelope} (a peer that sends raw messages to an envelope endpoint, a newer
 * version, a truncated frame), or an envelope that cannot be written (a route or header too long). The message says
 * which field is wrong.
 */
public class KcpEnvelopeFormatException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message what is wrong, naming the field
	 */
	public KcpEnvelopeFormatException(String message) {
		super(message);
	}

}
