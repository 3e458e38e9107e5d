package io.github.kcp.spring.support.micrometer;

import java.util.Objects;

import io.github.kcp.core.connection.DropReason;
import io.github.kcp.spring.core.KcpTemplate;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Binds the meters of one {@link KcpTemplate} (see {@link KcpMeters}): its sessions' meters, fed by a
 * {@link io.github.kcp.spring.support.KcpSessionListener} it adds to the template (dropped datagrams by
 * {@link DropReason} included: a client session sees every datagram of its socket), unreadable frames and late
 * replies. Tagged {@code side=client} and {@code name=}{@link KcpTemplate#getName()} as it is when this binder is
 * created (a template's bean name is set after its {@code @Bean} method returns). Bind it before the first call to
 * count every session.
 */
public class KcpTemplateMetrics implements MeterBinder {

	private final KcpTemplate template;

	private final Tags tags;

	/**
	 * @param template the template
	 */
	public KcpTemplateMetrics(KcpTemplate template) {
		this(template, Tags.empty());
	}

	/**
	 * @param template the template
	 * @param extraTags tags added to every meter
	 */
	public KcpTemplateMetrics(KcpTemplate template, Iterable<Tag> extraTags) {
		this.template = Objects.requireNonNull(template, "template");
		this.tags = Tags.of(extraTags).and(KcpMeters.SIDE, "client").and(KcpMeters.NAME, template.getName());
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.template.addSessionListener(new KcpSessionMeters(registry, this.tags, true));
		FunctionCounter.builder(KcpMeters.MESSAGES_MALFORMED, this.template, KcpTemplate::getMalformedMessages)
			.description("Messages dropped as unreadable envelope frames")
			.tags(this.tags)
			.register(registry);
		FunctionCounter.builder(KcpMeters.REPLIES_LATE, this.template, KcpTemplate::getLateReplies)
			.description("Replies that came after their request had timed out")
			.tags(this.tags)
			.register(registry);
	}

}
