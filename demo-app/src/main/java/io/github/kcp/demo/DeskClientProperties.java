package io.github.kcp.demo;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the demo's own client, bound to {@code demo.client.*}.
 */
@ConfigurationProperties("demo.client")
public class DeskClientProperties {

	/**
	 * Whether the demo client exercises the desk periodically.
	 */
	private boolean enabled = true;

	/**
	 * Time between two rounds of requests.
	 */
	private Duration period = Duration.ofSeconds(2);

	/**
	 * How long each request waits for its reply.
	 */
	private Duration timeout = Duration.ofSeconds(2);

	/**
	 * The envelope desk to talk to as host:port; the desk of this application when not set.
	 */
	private @Nullable String target;

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Duration getPeriod() {
		return this.period;
	}

	public void setPeriod(Duration period) {
		this.period = period;
	}

	public Duration getTimeout() {
		return this.timeout;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = timeout;
	}

	public @Nullable String getTarget() {
		return this.target;
	}

	public void setTarget(@Nullable String target) {
		this.target = target;
	}

}
