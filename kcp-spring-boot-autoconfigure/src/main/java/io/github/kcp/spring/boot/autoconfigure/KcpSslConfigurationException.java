package io.github.kcp.spring.boot.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The DTLS configuration ({@code kcp.ssl.*}, {@code kcp.server.ssl.bundle}, {@code kcp.client.ssl.bundle} and the SSL
 * bundle they name) cannot secure KCP sessions: an unknown bundle, a bundle that does not allow DTLS, DTLS together
 * with packet encryption, an unusable cipher suite or timeout. Names the property to fix and says how; never quotes
 * key material.
 */
public class KcpSslConfigurationException extends InvalidConfigurationPropertyValueException {

	private static final long serialVersionUID = 1L;

	private final String action;

	/**
	 * @param name the property to fix
	 * @param value its value (a bundle name, a suite, a duration; never a key or password)
	 * @param reason what is wrong
	 * @param action what to do about it
	 * @param cause the underlying failure, if any
	 */
	public KcpSslConfigurationException(String name, @Nullable Object value, String reason, String action,
			@Nullable Throwable cause) {
		super(name, value, reason, cause);
		this.action = action;
	}

	/** What to do about it. */
	public String getAction() {
		return this.action;
	}

}
