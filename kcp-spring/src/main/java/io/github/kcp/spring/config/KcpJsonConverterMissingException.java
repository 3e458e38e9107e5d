package io.github.kcp.spring.config;

import java.util.List;

/**
 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods take JSON payloads but the payload converter
 * cannot read JSON (Jackson 3 is not on the class path). Thrown at start-up, naming the methods and the dependency to
 * add.
 */
public class KcpJsonConverterMissingException extends KcpHandlerConfigurationException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param handlers the ids of the handlers that take JSON
	 */
	public KcpJsonConverterMissingException(List<String> handlers) {
		super("@KcpHandler methods take JSON payloads but no JSON converter is available: " + handlers
				+ ". Add Jackson 3 (tools.jackson.core:jackson-databind; with Spring Boot, spring-boot-jackson), or "
				+ "take byte[] or String");
	}

}
