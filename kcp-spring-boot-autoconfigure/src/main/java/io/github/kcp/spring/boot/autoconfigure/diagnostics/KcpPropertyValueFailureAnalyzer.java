package io.github.kcp.spring.boot.autoconfigure.diagnostics;

import java.util.Map;

import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.spring.boot.autoconfigure.NodelayMode;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;

/**
 * Explains a {@code kcp.*} property whose value is not one of the documented ones, listing them as the documentation
 * writes them ({@code aes-gcm}, not the Java constant {@code AES_GCM}). Ahead of Boot's own bind analyzer.
 */
class KcpPropertyValueFailureAnalyzer extends AbstractFailureAnalyzer<BindException> implements Ordered {

	private static final Map<Class<?>, String> DOCUMENTED_VALUES = Map.of(CipherMode.class,
			"none, aes-cbc-hmac, aes-gcm", KcpMessageFormat.class, "raw, envelope", NodelayMode.class,
			NodelayMode.VALUES, DtlsClientAuth.class, "none, want, need");

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
		String name = cause.getName().toString();
		if (!name.startsWith("kcp.")) {
			return null;
		}
		Class<?> type = cause.getTarget().getType().resolve(Object.class);
		String values = DOCUMENTED_VALUES.get(type);
		if (values == null) {
			return null;
		}
		ConfigurationProperty property = cause.getProperty();
		Object value = (property != null) ? property.getValue() : null;
		String origin = (property != null && property.getOrigin() != null) ? " (from " + property.getOrigin() + ")"
				: "";
		return new FailureAnalysis("Invalid value '" + value + "' for " + name + origin + ".",
				"Set " + name + " to one of: " + values + ".", cause);
	}

}
