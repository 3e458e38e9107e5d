package io.github.kcp.spring.integration;

import java.time.Duration;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.KcpStreamFraming;
import org.jspecify.annotations.Nullable;

/** Templates the tests talk to the endpoints with, on loopback, with a short interval. */
public final class KcpTestClients {

	/** Message mode, 10 ms interval: fast on loopback. */
	public static final KcpConfig FAST = KcpConfig.builder().interval(10).build();

	/** Stream mode, 10 ms interval. */
	public static final KcpConfig FAST_STREAM = KcpConfig.builder().interval(10).stream(true).build();

	private KcpTestClients() {
	}

	/** A template to {@code 127.0.0.1:port}. */
	public static KcpTemplate template(int port, KcpMessageFormat format) {
		return template(port, format, null);
	}

	/** A template to {@code 127.0.0.1:port}, in stream mode when a framing is given. */
	public static KcpTemplate template(int port, KcpMessageFormat format, @Nullable KcpStreamFraming framing) {
		KcpTemplate template = new KcpTemplate((framing != null) ? FAST_STREAM : FAST, KcpMessageConverters.create());
		template.setMessageFormat(format);
		template.setStreamFraming(framing);
		template.setDefaultTarget("127.0.0.1", port);
		template.setReplyTimeout(Duration.ofSeconds(10));
		return template;
	}

}
