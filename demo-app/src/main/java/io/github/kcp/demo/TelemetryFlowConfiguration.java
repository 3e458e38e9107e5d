package io.github.kcp.demo;

import java.util.List;
import java.util.Locale;

import io.github.kcp.spring.integration.KcpIntegrationHeaders;
import io.github.kcp.spring.integration.dsl.Kcp;
import io.github.kcp.spring.integration.dsl.KcpInboundChannelAdapterSpec;
import io.github.kcp.spring.support.KcpMessageFormat;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.ip.tcp.serializer.TcpCodecs;

/**
 * The telemetry desk, a Spring Integration flow over KCP: readings come in as CRLF-terminated lines on a KCP stream
 * ({@code demo.telemetry.port}; any KCP peer in stream mode can send them), are parsed, aggregated per sensor and
 * session five at a time, and each average goes back to the session that sent the readings, CRLF-framed too. Raw
 * KCP messages, so that any KCP peer can be a sensor; the protocol settings and encryption are the {@code kcp.*}
 * ones, through the starter's defaults for the DSL.
 */
@Configuration(proxyBeanMethods = false)
@EnableIntegration
public class TelemetryFlowConfiguration {

	/** Readings per average. */
	static final int READINGS_PER_SUMMARY = 5;

	/**
	 * The inbound adapter of the readings.
	 * @param port {@code demo.telemetry.port}
	 * @return its spec
	 */
	@Bean
	KcpInboundChannelAdapterSpec telemetryReadings(@Value("${demo.telemetry.port:9702}") int port) {
		// Any KCP peer can send readings: raw messages (the desk's kcp.message-format is the envelope), in stream mode.
		return Kcp.inboundAdapter(port).messageFormat(KcpMessageFormat.RAW).framing(TcpCodecs.crlf());
	}

	/**
	 * Readings in, averages back.
	 * @param telemetryReadings the inbound adapter
	 * @return the flow
	 */
	@Bean
	IntegrationFlow telemetryFlow(KcpInboundChannelAdapterSpec telemetryReadings) {
		return IntegrationFlow.from(telemetryReadings)
			.transform(byte[].class, TelemetryReading::parse)
			.aggregate((aggregator) -> aggregator
				.correlationStrategy((message) -> message.getHeaders().get(KcpIntegrationHeaders.SESSION_ID) + "/"
						+ ((TelemetryReading) message.getPayload()).sensor())
				.releaseStrategy((group) -> group.size() >= READINGS_PER_SUMMARY)
				.expireGroupsUponCompletion(true))
			.<List<TelemetryReading>, String>transform(TelemetryFlowConfiguration::summary)
			.handle(Kcp.outboundAdapter(telemetryReadings))
			.get();
	}

	/** {@code "<sensor> avg=<average> n=<count>"} of one sensor's readings. */
	static String summary(List<TelemetryReading> readings) {
		double average = readings.stream().mapToDouble(TelemetryReading::value).average().orElse(Double.NaN);
		return String.format(Locale.ROOT, "%s avg=%.2f n=%d", readings.get(0).sensor(), average, readings.size());
	}

}
