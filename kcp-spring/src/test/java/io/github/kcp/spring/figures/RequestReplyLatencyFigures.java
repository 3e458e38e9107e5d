package io.github.kcp.spring.figures;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's request/reply figures: round trips of {@code sendAndReceive} through a {@code @KcpHandler} on
 * loopback, raw KCP messages against the messaging envelope, in one run (interleaved in blocks so that both see the
 * same machine). Not part of the normal build; run with {@code mvn -B -ntp -pl kcp-spring -am verify
 * -Dtest=RequestReplyLatencyFigures -Dsurefire.failIfNoSpecifiedTests=false -Dkcp.figures=true}.
 */
@EnabledIfSystemProperty(named = "kcp.figures", matches = "true")
@Timeout(600)
class RequestReplyLatencyFigures {

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final int WARM_UP = 3_000;

	private static final int BLOCKS = 20;

	private static final int PER_BLOCK = 500;

	@Test
	void rawAndEnvelopeRoundTrips() throws Exception {
		Map<KcpMessageFormat, KcpServerContainer> servers = new EnumMap<>(KcpMessageFormat.class);
		Map<KcpMessageFormat, KcpTemplate> templates = new EnumMap<>(KcpMessageFormat.class);
		Map<KcpMessageFormat, long[]> samples = new EnumMap<>(KcpMessageFormat.class);
		String payload = "x".repeat(64);
		try {
			for (KcpMessageFormat format : KcpMessageFormat.values()) {
				KcpHandlerRegistry registry = new KcpHandlerRegistry();
				Echo echo = new Echo();
				registry.register(KcpHandlerEndpoint.of("echo", echo, Echo.class.getDeclaredMethod("echo", String.class)));
				KcpServerContainer server = new KcpServerContainer(registry);
				server.setConfig(FAST);
				server.setMessageFormat(format);
				server.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
				server.start();
				servers.put(format, server);
				KcpTemplate template = new KcpTemplate(FAST, KcpMessageConverters.create());
				template.setMessageFormat(format);
				template.setDefaultTarget(server.getLocalAddress());
				template.setReplyTimeout(Duration.ofSeconds(10));
				templates.put(format, template);
				samples.put(format, new long[BLOCKS * PER_BLOCK]);
				for (int i = 0; i < WARM_UP; i++) {
					assertThat(template.sendAndReceiveBlocking(payload + i, String.class)).isEqualTo(payload + i);
				}
			}
			for (int block = 0; block < BLOCKS; block++) {
				for (KcpMessageFormat format : KcpMessageFormat.values()) {
					KcpTemplate template = templates.get(format);
					long[] times = samples.get(format);
					for (int i = 0; i < PER_BLOCK; i++) {
						String request = payload + i;
						long started = System.nanoTime();
						String reply = template.sendAndReceiveBlocking(request, String.class);
						times[block * PER_BLOCK + i] = System.nanoTime() - started;
						assertThat(reply).isEqualTo(request);
					}
				}
			}
			StringBuilder report = new StringBuilder("\nrequest/reply round trip on loopback, 64-byte text, one "
					+ "request outstanding, " + BLOCKS * PER_BLOCK + " per format, interleaved:\n");
			for (KcpMessageFormat format : KcpMessageFormat.values()) {
				long[] times = samples.get(format);
				Arrays.sort(times);
				report.append(String.format(java.util.Locale.ROOT, "  %-8s p50 %7.1f us   p99 %7.1f us   p99.9 %7.1f us%n",
						format, micros(times, 0.50), micros(times, 0.99), micros(times, 0.999)));
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

		@KcpHandler
		String echo(String text) {
			return text;
		}

	}

}
