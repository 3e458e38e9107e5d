package io.github.kcp.spring.figures;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.github.kcp.spring.support.micrometer.KcpServerContainerMetrics;
import io.github.kcp.spring.support.micrometer.KcpTemplateMetrics;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's instrumentation overhead figure: request/reply round trips through a {@code @KcpHandler} on loopback
 * (messaging envelope), plain against fully instrumented — the server's and the template's meters bound to a
 * {@link SimpleMeterRegistry} and both observations on, recorded as timers by Micrometer's
 * {@link DefaultMeterObservationHandler} (what Spring Boot sets up) — with the meters alone, and with observation
 * timers but no long-task timers, in one run, interleaved request by request (blocks of {@value #PER_BLOCK} whose
 * order rotates) so that every variant sees the same machine. Not part of the normal build; run with
 * {@code mvn -B -ntp -pl kcp-spring -am verify -Dtest=InstrumentationOverheadFigures
 * -Dsurefire.failIfNoSpecifiedTests=false -Dkcp.figures=true}.
 */
@EnabledIfSystemProperty(named = "kcp.figures", matches = "true")
@Timeout(900)
class InstrumentationOverheadFigures {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final int WARM_UP = 3_000;

	private static final int BLOCKS = 6_000;

	private static final int PER_BLOCK = 5;

	/**
	 * No instrumentation; the meters of server and template; the meters and both observations; the same with
	 * observation timers only (no long-task timers: Boot's {@code management.observations.long-task-timer.enabled=false}).
	 */
	private static final List<String> VARIANTS = List.of("plain", "meters", "instrumented", "no-ltt");

	@Test
	void plainAndInstrumentedRoundTrips() throws Exception {
		Map<String, KcpServerContainer> servers = new LinkedHashMap<>();
		Map<String, KcpTemplate> templates = new LinkedHashMap<>();
		Map<String, long[]> samples = new LinkedHashMap<>();
		SimpleMeterRegistry meters = new SimpleMeterRegistry();
		ObservationRegistry observations = ObservationRegistry.create();
		observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
		ObservationRegistry timersOnly = ObservationRegistry.create();
		timersOnly.observationConfig()
			.observationHandler(new DefaultMeterObservationHandler(new SimpleMeterRegistry(),
					DefaultMeterObservationHandler.IgnoredMeters.LONG_TASK_TIMER));
		String payload = "x".repeat(64);
		try {
			for (String variant : VARIANTS) {
				boolean metered = !variant.equals("plain");
				boolean observed = variant.equals("instrumented") || variant.equals("no-ltt");
				KcpHandlerRegistry registry = new KcpHandlerRegistry();
				registry.register(KcpHandlerEndpoint.of("echo", new Echo(), Echo.class.getDeclaredMethod("echo",
						String.class)));
				KcpServerContainer server = new KcpServerContainer(registry);
				server.setConfig(FAST);
				server.setMessageFormat(KcpMessageFormat.ENVELOPE);
				server.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
				KcpTemplate template = new KcpTemplate(FAST, KcpMessageConverters.create());
				template.setBeanName(variant);
				template.setMessageFormat(KcpMessageFormat.ENVELOPE);
				template.setReplyTimeout(Duration.ofSeconds(10));
				if (metered) {
					SimpleMeterRegistry meterRegistry = variant.equals("instrumented") ? meters : new SimpleMeterRegistry();
					new KcpServerContainerMetrics(server).bindTo(meterRegistry);
					new KcpTemplateMetrics(template).bindTo(meterRegistry);
				}
				if (observed) {
					ObservationRegistry observationRegistry = variant.equals("instrumented") ? observations : timersOnly;
					server.setObservationRegistry(observationRegistry);
					template.setObservationRegistry(observationRegistry);
				}
				server.start();
				template.setDefaultTarget(server.getLocalAddress());
				servers.put(variant, server);
				templates.put(variant, template);
				samples.put(variant, new long[BLOCKS * PER_BLOCK]);
				for (int i = 0; i < WARM_UP; i++) {
					assertThat(template.sendAndReceiveBlocking("echo", payload + i, String.class))
						.isEqualTo(payload + i);
				}
			}
			for (int block = 0; block < BLOCKS; block++) {
				// Rotate the order, so that no variant always runs first or last.
				List<String> order = new java.util.ArrayList<>(VARIANTS);
				java.util.Collections.rotate(order, block);
				for (String variant : order) {
					KcpTemplate template = templates.get(variant);
					long[] times = samples.get(variant);
					for (int i = 0; i < PER_BLOCK; i++) {
						String request = payload + i;
						long started = System.nanoTime();
						String reply = template.sendAndReceiveBlocking("echo", request, String.class);
						times[block * PER_BLOCK + i] = System.nanoTime() - started;
						assertThat(reply).isEqualTo(request);
					}
				}
			}
			// The instrumented side really was measured: its timers and counters saw every round trip.
			assertThat(meters.get("kcp.handler").timer().count()).isEqualTo(WARM_UP + BLOCKS * PER_BLOCK);
			assertThat(meters.get("kcp.template").timer().count()).isEqualTo(WARM_UP + BLOCKS * PER_BLOCK);
			assertThat(meters.get("kcp.rtt").tag("side", "client").timer().count()).isPositive();
			StringBuilder report = new StringBuilder("\nrequest/reply round trip on loopback (envelope), 64-byte "
					+ "text, one request outstanding, " + BLOCKS * PER_BLOCK + " per variant, interleaved:\n");
			Map<String, double[]> quantiles = new LinkedHashMap<>();
			for (String variant : VARIANTS) {
				long[] times = samples.get(variant);
				Arrays.sort(times);
				double[] q = { micros(times, 0.50), micros(times, 0.99), micros(times, 0.999) };
				quantiles.put(variant, q);
				report.append(String.format(Locale.ROOT, "  %-13s p50 %7.1f us   p99 %7.1f us   p99.9 %7.1f us%n",
						variant, q[0], q[1], q[2]));
			}
			double[] plain = quantiles.get("plain");
			for (String variant : VARIANTS.subList(1, VARIANTS.size())) {
				double[] q = quantiles.get(variant);
				report.append(String.format(Locale.ROOT,
						"  %-13s p50 %+7.1f us (%+.1f %%)   p99 %+7.1f us   p99.9 %+7.1f us   (vs plain)%n", variant,
						q[0] - plain[0], 100 * (q[0] - plain[0]) / plain[0], q[1] - plain[1], q[2] - plain[2]));
			}
			System.out.println(report);
		}
		finally {
			templates.values().forEach(KcpTemplate::destroy);
			servers.values().forEach(KcpServerContainer::destroy);
		}
	}

	private static double micros(long[] sorted, double quantile) {
		return sorted[(int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] / 1_000.0;
	}

	static class Echo {

		@KcpHandler("echo")
		String echo(String text) {
			return text;
		}

	}

}
