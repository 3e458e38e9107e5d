package io.github.kcp.spring.support.micrometer;

import java.util.Locale;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observation of one {@link io.github.kcp.spring.core.KcpTemplate} call: a request until its reply (or error,
 * timeout, failure), or a one-way send until the server acknowledged it. Its low-cardinality key values become the
 * tags of the timer Micrometer records for it. The route is one of them: routes that carry values (such as
 * {@code quote.price.KCP}) make one time series per value, so give such calls a convention of your own that maps
 * them to their pattern.
 */
public enum KcpTemplateObservation implements ObservationDocumentation {

	/** A template call. */
	TEMPLATE {

		@Override
		public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
			return DefaultKcpTemplateObservationConvention.class;
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

		/** {@code request} (a reply is expected) or {@code send} (one-way). */
		MESSAGING_OPERATION("messaging.operation"),

		/** The template's bean name. */
		TEMPLATE("kcp.template"),

		/** The route, or {@code none}. */
		ROUTE("kcp.route"),

		/** {@code success}, {@code remote_error}, {@code timeout} or {@code failure}. */
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

		/** The server's address as the template was given it. */
		PEER_ADDRESS("network.peer.address"),

		/** The server's UDP port. */
		PEER_PORT("network.peer.port"),

		/** The conversation id of the session used (unsigned), or {@code none} if none was. */
		CONV("kcp.conv");

		private final String name;

		HighCardinalityKeys(String name) {
			this.name = name;
		}

		@Override
		public String asString() {
			return this.name;
		}

	}

	/** The default convention: observation {@value #NAME}, contextual name {@code "<route> request"}. */
	public static class DefaultKcpTemplateObservationConvention implements KcpTemplateObservationConvention {

		/** The name of the observation, and of the timer Micrometer records for it. */
		public static final String NAME = "kcp.template";

		/** The shared instance. */
		public static final DefaultKcpTemplateObservationConvention INSTANCE =
				new DefaultKcpTemplateObservationConvention();

		@Override
		public String getName() {
			return NAME;
		}

		@Override
		public String getContextualName(KcpTemplateObservationContext context) {
			String route = context.getRoute();
			return ((route != null) ? route : context.getTemplateName()) + " " + operation(context);
		}

		@Override
		public KeyValues getLowCardinalityKeyValues(KcpTemplateObservationContext context) {
			String route = context.getRoute();
			KcpTemplateObservationContext.Outcome outcome = context.getOutcome();
			Throwable error = context.getError();
			return KeyValues.of(LowCardinalityKeys.MESSAGING_SYSTEM.withValue("kcp"),
					LowCardinalityKeys.MESSAGING_OPERATION.withValue(operation(context)),
					LowCardinalityKeys.TEMPLATE.withValue(context.getTemplateName()),
					LowCardinalityKeys.ROUTE.withValue((route != null) ? route : KeyValue.NONE_VALUE),
					LowCardinalityKeys.OUTCOME.withValue((outcome != null) ? outcome.name().toLowerCase(Locale.ROOT)
							: ((error != null) ? "failure" : "success")),
					LowCardinalityKeys.EXCEPTION
						.withValue((error != null) ? error.getClass().getSimpleName() : KeyValue.NONE_VALUE));
		}

		@Override
		public KeyValues getHighCardinalityKeyValues(KcpTemplateObservationContext context) {
			Integer conv = context.getConv();
			return KeyValues.of(HighCardinalityKeys.PEER_ADDRESS.withValue(context.getTarget().getHostString()),
					HighCardinalityKeys.PEER_PORT.withValue(Integer.toString(context.getTarget().getPort())),
					HighCardinalityKeys.CONV
						.withValue((conv != null) ? Integer.toUnsignedString(conv) : KeyValue.NONE_VALUE));
		}

		private static String operation(KcpTemplateObservationContext context) {
			return context.isRequest() ? "request" : "send";
		}

	}

}
