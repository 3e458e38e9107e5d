package io.github.kcp.spring.boot.autoconfigure.diagnostics;

import io.github.kcp.spring.boot.autoconfigure.KcpSslConfigurationException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;

/**
 * Explains a DTLS configuration that cannot secure KCP sessions (an unknown SSL bundle, one that does not allow
 * DTLSv1.2, DTLS together with {@code kcp.crypto.*}, a bad cipher suite or timeout), naming the property and what to
 * set. Ahead of Boot's analyzer of invalid property values, whose advice is generic.
 */
class KcpSslFailureAnalyzer extends AbstractFailureAnalyzer<KcpSslConfigurationException> implements Ordered {

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, KcpSslConfigurationException cause) {
		return new FailureAnalysis("KCP cannot use DTLS: invalid value '" + cause.getValue() + "' for "
				+ cause.getName() + ". " + cause.getReason() + ".", cause.getAction(), cause);
	}

}
