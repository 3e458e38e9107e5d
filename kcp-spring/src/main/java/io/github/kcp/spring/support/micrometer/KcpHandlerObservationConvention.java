package io.github.kcp.spring.support.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * The names and key values of the observations of {@code @KcpHandler} invocations. Implement it (or extend
 * {@link KcpHandlerObservation.DefaultKcpHandlerObservationConvention}) and give it to the server container to
 * change them.
 */
public interface KcpHandlerObservationConvention extends ObservationConvention<KcpHandlerObservationContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof KcpHandlerObservationContext;
	}

	@Override
	default String getName() {
		return KcpHandlerObservation.DefaultKcpHandlerObservationConvention.NAME;
	}

}
