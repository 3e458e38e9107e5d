package io.github.kcp.spring.boot.autoconfigure.health;

import java.net.InetSocketAddress;
import java.util.Objects;

import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.spring.listener.KcpServerContainer;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The health of one {@link KcpServerContainer}'s server: {@code UP} while it is bound and serving,
 * {@code OUT_OF_SERVICE} during a graceful stop, {@code DOWN} when its socket failed or it stopped on its own (an
 * {@code Error} on its event loop stops the container with it; the error is in the details), {@code UNKNOWN} when it is not running (not started yet, or no
 * handlers to serve). Details: the bound address, the message format, sessions and the session limit, and the
 * datagrams dropped so far.
 */
public class KcpHealthIndicator extends AbstractHealthIndicator {

	private final KcpServerContainer container;

	/**
	 * @param container the container whose server is checked
	 */
	public KcpHealthIndicator(KcpServerContainer container) {
		super("KCP server health check failed");
		this.container = Objects.requireNonNull(container, "container");
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		KcpServer server = this.container.getServer();
		builder.withDetail("server", this.container.getName())
			.withDetail("messageFormat", this.container.getMessageFormat());
		Throwable failure = this.container.getFailure();
		if (server == null && failure != null) {
			// The Error itself (the server wraps it in a KcpServerFailedException)
			Throwable error = (failure.getCause() != null) ? failure.getCause() : failure;
			builder.down()
				.withDetail("state", "failed (an error on its event loop stopped it)")
				.withDetail("error", error.getClass().getName() + ": " + error.getMessage());
			return;
		}
		if (server == null) {
			builder.unknown()
				.withDetail("state", this.container.isRunning() ? "starting" : "not running")
				.withDetail("bindAddress", address(this.container.getBindAddress()));
			return;
		}
		builder.withDetail("address", address(server.localAddress()))
			.withDetail("sessions", server.sessionCount())
			.withDetail("maxSessions", this.container.getMaxSessions())
			.withDetail("droppedDatagrams", server.droppedDatagrams());
		if (this.container.isStopping()) {
			builder.outOfService().withDetail("state", "stopping");
		}
		else if (server.isClosing() || server.closeFuture().isDone()) {
			builder.down().withDetail("state", "closed unexpectedly (its socket failed or it stopped on its own)");
		}
		else {
			builder.up().withDetail("state", "serving");
		}
	}

	private static String address(InetSocketAddress address) {
		return address.getHostString() + ":" + address.getPort();
	}

}
