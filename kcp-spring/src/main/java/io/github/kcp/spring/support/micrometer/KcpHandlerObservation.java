package io.github.kcp.spring.support.micrometer;

import java.util.Locale;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observation of one {@code @KcpHandler} invocation on a server: from the message taken off its session's
 * queue to the reply handed back to the session (or the failure). Its low-cardinality key values are the meter
 * tags of the timer Micrometer records for it, so they are bounded: the handler, its route pattern (never the
 * route itself, which may carry values), its payload kind, the server's name and the outcome.
 */
public enum KcpHandlerObservation implements ObservationDocumentation {

	/** A {@code @KcpHandler} invocation. */
	HANDLER {

		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultKcpHandlerObservationConvention.class;
		}

		@Override
		public KeyName[] getLowCardinalityKeyNames() {
			return LowCardinalityKeys.values();
		}

		@Override
		public KeyName[] getHighCardinalityKeyNames() {
			return HighCardinalityKeys.values();
		}

	};

	/** Low-cardinality keys (always present; {@code none} where they do not apply). */
	public enum LowCardinalityKeys implements KeyName {

		/** {@code kcp}. */
		MESSAGING_SYSTEM("messaging.system"),

		/** {@code process}. */
		MESSAGING_OPERATION("messaging.operation"),

		/** The server's name: its container id, {@code default} for the default server. */
		SERVER("kcp.server"),

		/** The handler: {@code beanName: Class.method(ParameterTypes)}. */
		HANDLER("kcp.handler"),

		/** The route pattern that matched (with the messaging envelope), or {@code none}. */
		ROUTE("kcp.route"),

		/** The payload kind the handler takes: {@code bytes}, {@code text} or {@code json}. */
		PAYLOAD_KIND("kcp.payload.kind"),

		/** {@code success} or {@code failure}. */
		OUTCOME("outcome"),

		/** The simple name of the exception of a failure, or {@code none}. */
		EXCEPTION("exception");

		private final String name;

		LowCardinalityKeys(String name) {
			this.name = name;
		}

		@Override
		public String asString() {
			return this.name;
		}

	}

	/** High-cardinality keys (spans only, never meter tags). */
	public enum HighCardinalityKeys implements KeyName {

		/** The peer's IP address. */
		PEER_ADDRESS("network.peer.address"),

		/** The peer's UDP port. */
		PEER_PORT("network.peer.port"),

		/** The session's conversation id (unsigned). */
		CONV("kcp.conv"),

		/** The correlation id of an envelope request (unsigned), or {@code none}. */
		CORRELATION_ID("kcp.correlation.id");

		private final String name;

		HighCardinalityKeys(String name) {
			this.name = name;
		}

		@Override
		public String asString() {
			return this.name;
		}

	}

	/** The default convention: observation {@value #NAME}, contextual name {@code "<route or handler> process"}. */
	public static class DefaultKcpHandlerObservationConvention implements KcpHandlerObservationConvention {

		/** The name of the observation, and of the timer Micrometer records for it. */
		public static final String NAME = "kcp.handler";

		/** The shared instance. */
		public static final DefaultKcpHandlerObservationConvention INSTANCE =
				new DefaultKcpHandlerObservationConvention();

		@Override
		public String getName() {
			return NAME;
		}

		@Override
		public String getContextualName(KcpHandlerObservationContext context) {
			String route = context.getRoutePattern();
			return ((route != null) ? route : context.getHandler().getBean().getClass().getSimpleName() + "."
					+ context.getHandler().getMethod().getName()) + " process";
		}

		@Override
		public KeyValues getLowCardinalityKeyValues(KcpHandlerObservationContext context) {
			String route = context.getRoutePattern();
			Throwable error = context.getError();
			return KeyValues.of(LowCardinalityKeys.MESSAGING_SYSTEM.withValue("kcp"),
					LowCardinalityKeys.MESSAGING_OPERATION.withValue("process"),
					LowCardinalityKeys.SERVER.withValue(context.getServerName()),
					LowCardinalityKeys.HANDLER.withValue(context.getHandler().getId()),
					LowCardinalityKeys.ROUTE.withValue((route != null) ? route : KeyValue.NONE_VALUE),
					LowCardinalityKeys.PAYLOAD_KIND
						.withValue(context.getHandler().getPayloadKind().name().toLowerCase(Locale.ROOT)),
					LowCardinalityKeys.OUTCOME.withValue((error != null) ? "failure" : "success"),
					LowCardinalityKeys.EXCEPTION
						.withValue((error != null) ? error.getClass().getSimpleName() : KeyValue.NONE_VALUE));
		}

		@Override
		public KeyValues getHighCardinalityKeyValues(KcpHandlerObservationContext context) {
			Integer correlationId = context.getCorrelationId();
			return KeyValues.of(
					HighCardinalityKeys.PEER_ADDRESS
						.withValue(context.getSession().remoteAddress().getAddress().getHostAddress()),
					HighCardinalityKeys.PEER_PORT
						.withValue(Integer.toString(context.getSession().remoteAddress().getPort())),
					HighCardinalityKeys.CONV.withValue(Integer.toUnsignedString(context.getSession().conv())),
					HighCardinalityKeys.CORRELATION_ID.withValue(
							(correlationId != null) ? Integer.toUnsignedString(correlationId) : KeyValue.NONE_VALUE));
		}

	}

}
