package io.github.kcp.spring.support.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * The names and key values of the observations of {@link io.github.kcp.spring.core.KcpTemplate} calls. Implement it
 * (or extend {@link KcpTemplateObservation.DefaultKcpTemplateObservationConvention}) and give it to the template to
 * change them.
 */
public interface KcpTemplateObservationConvention extends ObservationConvention<KcpTemplateObservationContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof KcpTemplateObservationContext;
	}

	@Override
	default String getName() {
		return KcpTemplateObservation.DefaultKcpTemplateObservationConvention.NAME;
	}

}
