package io.github.kcp.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.jayway.jsonpath.JsonPath;
import io.github.kcp.core.transport.KcpSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The acceptance check, automated: after an echo client's 100 messages to the raw desk,
 * {@code /actuator/prometheus} shows non-zero KCP message and byte counters and {@code /actuator/health} shows
 * {@code kcp} UP; {@code /actuator/kcp} lists the session with its stats, and {@code /actuator/metrics} lists the
 * KCP meters.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "kcp.server.port=0", "demo.raw.port=0", "demo.client.enabled=false" })
@Timeout(60)
class DemoObservabilityTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final String MESSAGES = "kcp_messages_total";

	private static final String PAYLOAD_BYTES = "kcp_payload_bytes_total";

	private static final String WIRE_BYTES = "kcp_wire_bytes_total";

	private static final String RAW_IN = "direction=\"in\",name=\"raw\",side=\"server\"";

	private static final String RAW_OUT = "direction=\"out\",name=\"raw\",side=\"server\"";

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int httpPort;

	@Value("${local.kcp.server.raw.port}")
	private int rawPort;

	@Test
	void afterAnEchoClientPrometheusCountsItsMessagesAndBytesAndKcpIsUp() throws Exception {
		// The test context (and its counters) may be shared with other tests: count from here.
		String before = get("/actuator/prometheus");
		double messagesIn = sample(before, MESSAGES, RAW_IN);
		double messagesOut = sample(before, MESSAGES, RAW_OUT);
		double payloadIn = sample(before, PAYLOAD_BYTES, RAW_IN);
		double wireOut = sample(before, WIRE_BYTES, RAW_OUT);
		KcpSession client = EchoTraffic.echo(this.rawPort, 100, 512, WAIT);
		try {
			await().atMost(WAIT).untilAsserted(() -> {
				String prometheus = get("/actuator/prometheus");
				assertThat(sample(prometheus, MESSAGES, RAW_IN)).isEqualTo(messagesIn + 100);
				assertThat(sample(prometheus, MESSAGES, RAW_OUT)).isEqualTo(messagesOut + 100);
				assertThat(sample(prometheus, PAYLOAD_BYTES, RAW_IN)).isEqualTo(payloadIn + 100 * 512);
				assertThat(sample(prometheus, WIRE_BYTES, RAW_OUT)).isGreaterThan(wireOut + 100 * 512);
				assertThat(sample(prometheus, "kcp_sessions_active", "name=\"raw\",side=\"server\"")).isEqualTo(1);
				assertThat(sample(prometheus, "kcp_rtt_seconds_count", "name=\"raw\",side=\"server\""))
					.isPositive();
			});
			String health = get("/actuator/health");
			assertThat(JsonPath.<String>read(health, "$.status")).isEqualTo("UP");
			assertThat(JsonPath.<String>read(health, "$.components.kcp.status")).isEqualTo("UP");
			assertThat(JsonPath.<String>read(health, "$.components.kcp.components.rawDeskServer.details.state"))
				.isEqualTo("serving");

			String kcp = get("/actuator/kcp");
			assertThat(JsonPath.<List<Integer>>read(kcp, "$.servers[?(@.name == 'raw')].sessionCount"))
				.containsExactly(1);
			assertThat(JsonPath.<List<Integer>>read(kcp, "$.servers[?(@.name == 'raw')].sessions[0].messagesIn"))
				.containsExactly(100);
			assertThat(kcp).doesNotContain("kcp-demo-shared-secret").doesNotContain("kcp-demo-salt");

			assertThat(get("/actuator/metrics")).contains("\"kcp.messages\"", "\"kcp.rtt\"", "\"kcp.handler\"");
		}
		finally {
			client.abort();
		}
	}

	@Test
	void droppedDatagramsAreCountedByReason() throws Exception {
		String malformed = "name=\"raw\",reason=\"malformed\",side=\"server\"";
		double before = sample(get("/actuator/prometheus"), "kcp_datagrams_dropped_total", malformed);
		EchoTraffic.junk(this.rawPort, 5);
		await().atMost(WAIT).untilAsserted(() -> assertThat(
				sample(get("/actuator/prometheus"), "kcp_datagrams_dropped_total", malformed))
			.isEqualTo(before + 5));
	}

	private String get(String path) throws Exception {
		HttpResponse<String> response = this.http.send(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.httpPort + path)).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(path).isEqualTo(200);
		return response.body();
	}

	/** The value of one sample of the Prometheus text, found by its name and its labels in order. */
	private static double sample(String prometheus, String name, String labels) {
		Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name + "{" + labels + "}") + " (\\S+)$")
			.matcher(prometheus);
		assertThat(matcher.find()).as("%s{%s} in %n%s", name, labels, prometheus.lines()
			.filter((line) -> line.startsWith(name))
			.toList()).isTrue();
		return Double.parseDouble(matcher.group(1));
	}

}
