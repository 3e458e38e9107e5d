package io.github.kcp.spring.boot.autoconfigure.diagnostics;

import io.github.kcp.spring.config.KcpEnvelopeRequiredException;
import io.github.kcp.spring.config.KcpHandlerConfigurationException;
import io.github.kcp.spring.config.KcpJsonConverterMissingException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains {@code @KcpHandler} methods that cannot be served as declared, naming the properties or dependencies
 * that fix them.
 */
class KcpHandlerConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<KcpHandlerConfigurationException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, KcpHandlerConfigurationException cause) {
		String action;
		if (cause instanceof KcpEnvelopeRequiredException) {
			action = "Enable the messaging envelope on both ends: kcp.message-format=envelope (or only "
					+ "kcp.server.message-format for the server and kcp.client.message-format for the KcpTemplate), "
					+ "or remove the routes to talk raw KCP.";
		}
		else if (cause instanceof KcpJsonConverterMissingException) {
			action = "Add the dependency org.springframework.boot:spring-boot-jackson (the KCP starter brings it), "
					+ "define a kcpMessageConverter bean that reads JSON, or take byte[] or String.";
		}
		else {
			action = "Change the @KcpHandler methods named above.";
		}
		return new FailureAnalysis(cause.getMessage(), action, cause);
	}

}
