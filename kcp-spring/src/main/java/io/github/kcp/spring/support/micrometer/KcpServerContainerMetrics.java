package io.github.kcp.spring.support.micrometer;

import java.util.Objects;

import io.github.kcp.core.connection.DropReason;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Binds the meters of one {@link KcpServerContainer} (see {@link KcpMeters}): its sessions' meters, fed by a
 * {@link io.github.kcp.spring.support.KcpSessionListener} it adds to the container, and the server's own counters
 * (dropped datagrams by reason, handler failures, unrouted and malformed messages, refused work, and for a server
 * set up for DTLS when bound its handshakes by outcome and cookies sent). Tagged
 * {@code side=server} and {@code name=}{@link KcpServerContainer#getName()}. Bind it before the container starts
 * to count every session. The counters are totals over every start of the container.
 *
 * <pre class="code">
 * new KcpServerContainerMetrics(container).bindTo(meterRegistry);
 * </pre>
 */
public class KcpServerContainerMetrics implements MeterBinder {

	private final KcpServerContainer container;

	private final Tags tags;

	/**
	 * @param container the container
	 */
	public KcpServerContainerMetrics(KcpServerContainer container) {
		this(container, Tags.empty());
	}

	/**
	 * @param container the container
	 * @param extraTags tags added to every meter
	 */
	public KcpServerContainerMetrics(KcpServerContainer container, Iterable<Tag> extraTags) {
		this.container = Objects.requireNonNull(container, "container");
		this.tags = Tags.of(extraTags).and(KcpMeters.SIDE, "server").and(KcpMeters.NAME, container.getName());
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		KcpServerContainer container = this.container;
		this.container.addSessionListener(new KcpSessionMeters(registry, this.tags, false));
		for (DropReason reason : DropReason.values()) {
			FunctionCounter.builder(KcpMeters.DATAGRAMS_DROPPED, container, (c) -> c.getDroppedDatagrams(reason))
				.description("Datagrams dropped, by reason")
				.tags(this.tags)
				.tag(KcpMeters.REASON, KcpSessionMeters.tagValue(reason))
				.register(registry);
		}
		FunctionCounter.builder(KcpMeters.HANDLER_FAILURES, container, KcpServerContainer::getHandlerFailures)
			.description("Handler invocations that threw, failed their future or could not read their payload")
			.tags(this.tags)
			.register(registry);
		FunctionCounter.builder(KcpMeters.HANDLER_REJECTED, container, KcpServerContainer::getHandlerExecutorStalls)
			.description("Times the handler executor refused work (the session stopped reading meanwhile)")
			.tags(this.tags)
			.register(registry);
		Gauge.builder(KcpMeters.HANDLER_PENDING, container, KcpServerContainer::getInFlightMessages)
			.description("Messages received and not yet handled and replied to")
			.tags(this.tags)
			.register(registry);
		FunctionCounter.builder(KcpMeters.MESSAGES_UNROUTED, container, KcpServerContainer::getUnroutedMessages)
			.description("Messages no handler takes")
			.tags(this.tags)
			.register(registry);
		FunctionCounter.builder(KcpMeters.MESSAGES_MALFORMED, container, KcpServerContainer::getMalformedMessages)
			.description("Messages dropped as unreadable envelope frames")
			.tags(this.tags)
			.register(registry);
		FunctionCounter.builder(KcpMeters.REPLIES_FAILED, container, KcpServerContainer::getReplyFailures)
			.description("Replies that could not be converted or handed to their session")
			.tags(this.tags)
			.register(registry);
		FunctionCounter.builder(KcpMeters.SESSIONS_REFUSED, container, KcpServerContainer::getRefusedSessions)
			.description("Sessions refused because the server was stopping")
			.tags(this.tags)
			.register(registry);
		if (container.getDtlsSettings() != null) {
			FunctionCounter.builder(KcpMeters.DTLS_HANDSHAKES, container, KcpServerContainer::getDtlsHandshakesCompleted)
				.description("DTLS handshakes, by outcome")
				.tags(this.tags)
				.tag(KcpMeters.OUTCOME, "completed")
				.register(registry);
			FunctionCounter.builder(KcpMeters.DTLS_HANDSHAKES, container, KcpServerContainer::getDtlsHandshakesFailed)
				.description("DTLS handshakes, by outcome")
				.tags(this.tags)
				.tag(KcpMeters.OUTCOME, "failed")
				.register(registry);
			FunctionCounter.builder(KcpMeters.DTLS_COOKIES_SENT, container, KcpServerContainer::getDtlsCookiesSent)
				.description("Cookies the stateless DTLS cookie exchange sent to sources not yet proven")
				.tags(this.tags)
				.register(registry);
		}
	}

}
