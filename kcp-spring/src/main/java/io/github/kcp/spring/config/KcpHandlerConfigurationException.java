package io.github.kcp.spring.config;

/**
 * A {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} method cannot be used as declared: two methods
 * take the same kind of payload, or a method's parameters leave its payload unclear. Thrown at start-up; the
 * message names the methods and says how to fix them.
 */
public class KcpHandlerConfigurationException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	/**
	 * An exception with a message naming the methods concerned.
	 * @param message what is wrong and how to fix it
	 */
	public KcpHandlerConfigurationException(String message) {
		super(message);
	}

}
