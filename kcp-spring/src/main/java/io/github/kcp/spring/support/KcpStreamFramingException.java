package io.github.kcp.spring.support;

import io.github.kcp.core.KcpException;
import org.jspecify.annotations.Nullable;

/**
 * Bytes of a KCP stream that {@link KcpStreamFraming} cannot cut into messages (the codec failed on them, or the
 * stream ended inside a message), or a message its codec cannot frame. A session whose stream cannot be framed is
 * closed: what follows the bad bytes cannot be told apart.
 */
public class KcpStreamFramingException extends KcpException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message what went wrong
	 * @param cause the codec's exception, if any
	 */
	public KcpStreamFramingException(String message, @Nullable Throwable cause) {
		super(message, cause);
	}

}
