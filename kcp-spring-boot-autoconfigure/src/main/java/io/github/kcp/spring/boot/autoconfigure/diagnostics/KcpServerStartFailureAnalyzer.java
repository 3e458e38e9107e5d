package io.github.kcp.spring.boot.autoconfigure.diagnostics;

import io.github.kcp.spring.listener.KcpServerStartException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.NestedExceptionUtils;

/**
 * Explains a KCP server that could not bind its address (a port already in use, an address that is not local).
 */
class KcpServerStartFailureAnalyzer extends AbstractFailureAnalyzer<KcpServerStartException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, KcpServerStartException cause) {
		Throwable root = NestedExceptionUtils.getMostSpecificCause(cause);
		return new FailureAnalysis("The KCP server could not listen on UDP " + cause.getAddress() + ": "
				+ root.getMessage() + ".",
				"Set kcp.server.port to a free UDP port (0 picks one; tests then inject it with @LocalKcpServerPort) "
						+ "and kcp.server.address to a local address or leave it unset, or stop the process that "
						+ "holds the port.",
				cause);
	}

}
