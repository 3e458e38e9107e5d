package io.github.kcp.spring.support.micrometer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.kcp.spring.support.KcpMessageFormat;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import io.micrometer.tracing.test.simple.SimpleSpan;
import io.micrometer.tracing.test.simple.SimpleTracer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With the messaging envelope one trace spans client -> KCP -> handler -> reply: the template's span puts its
 * context into the envelope headers, the handler's span continues it (a child of the template's span), the handler
 * runs inside it, and both spans end once the reply is out and in.
 */
@Timeout(60)
class KcpTracingTests {

	private final SimpleTracer tracer = new SimpleTracer();

	private ObservedDesk desk;

	@AfterEach
	void close() {
		if (this.desk != null) {
			this.desk.close();
		}
	}

	@Test
	void oneTraceSpansTheRequestTheHandlerAndTheReply() {
		Propagator propagator = new TraceparentPropagator(this.tracer);
		ObservationRegistry registry = ObservationRegistry.create();
		registry.observationConfig()
			.observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
					new PropagatingSenderTracingObservationHandler<>(this.tracer, propagator),
					new PropagatingReceiverTracingObservationHandler<>(this.tracer, propagator),
					new DefaultTracingObservationHandler(this.tracer)));
		this.desk = ObservedDesk.start(KcpMessageFormat.ENVELOPE, (container, template) -> {
			container.setObservationRegistry(registry);
			template.setObservationRegistry(registry);
		});
		List<String> tracesInHandler = new CopyOnWriteArrayList<>();
		this.desk.handlers.onInvocation = () -> {
			Span current = this.tracer.currentSpan();
			tracesInHandler.add((current != null) ? current.context().traceId() : "no span");
		};

		assertThat(this.desk.template.sendAndReceiveBlocking("price.KCP", "", String.class)).isEqualTo("KCP 12.50");

		await().atMost(ObservedDesk.WAIT).until(() -> this.tracer.getSpans().size() == 2);
		SimpleSpan client = span(Span.Kind.PRODUCER);
		SimpleSpan server = span(Span.Kind.CONSUMER);
		assertThat(client.getName()).isEqualTo("price.KCP request");
		assertThat(server.getName()).isEqualTo("price.{symbol} process");
		assertThat(server.getTraceId()).as("one trace").isEqualTo(client.getTraceId());
		assertThat(server.getParentId()).as("the handler's span is a child of the request's")
			.isEqualTo(client.getSpanId());
		assertThat(tracesInHandler).as("the handler ran inside its span").containsExactly(client.getTraceId());
		assertThat(client.getTags()).containsEntry("kcp.route", "price.KCP").containsEntry("outcome", "success");
		assertThat(server.getTags()).containsEntry("kcp.route", "price.{symbol}")
			.containsKey("kcp.conv")
			.containsEntry("network.peer.address", "127.0.0.1");
		// Both ended: the server's once the reply was handed over, the client's with the reply (which may be first).
		assertThat(server.getEndTimestamp()).isAfterOrEqualTo(server.getStartTimestamp());
		assertThat(client.getEndTimestamp()).isAfterOrEqualTo(server.getStartTimestamp());
	}

	private SimpleSpan span(Span.Kind kind) {
		return this.tracer.getSpans().stream().filter((span) -> span.getKind() == kind).findFirst().orElseThrow();
	}

	/** W3C {@code traceparent} for the test tracer: {@code 00-<trace id>-<span id>-01}. */
	private record TraceparentPropagator(SimpleTracer tracer) implements Propagator {

		@Override
		public List<String> fields() {
			return List.of("traceparent");
		}

		@Override
		public <C> void inject(TraceContext context, C carrier, Setter<C> setter) {
			setter.set(carrier, "traceparent", "00-" + context.traceId() + "-" + context.spanId() + "-01");
		}

		@Override
		public <C> Span.Builder extract(C carrier, Getter<C> getter) {
			String header = getter.get(carrier, "traceparent");
			if (header == null) {
				return this.tracer.spanBuilder();
			}
			String[] parts = header.split("-");
			TraceContext parent = this.tracer.traceContextBuilder()
				.traceId(parts[1])
				.spanId(parts[2])
				.sampled(true)
				.build();
			return this.tracer.spanBuilder().setParent(parent);
		}

	}

}
