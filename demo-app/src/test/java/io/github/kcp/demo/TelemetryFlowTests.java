package io.github.kcp.demo;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.integration.dsl.KcpInboundChannelAdapterSpec;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpStreamFraming;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.integration.ip.tcp.serializer.TcpCodecs;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The telemetry desk end to end: two sensors' readings over one KCP stream, CRLF-framed, come back as one average
 * per sensor every five readings, on the session that sent them.
 */
@SpringBootTest(properties = { "kcp.server.port=0", "demo.raw.port=0", "demo.telemetry.port=0",
		"demo.client.enabled=false" })
@Timeout(60)
class TelemetryFlowTests {

	@Autowired
	private KcpInboundChannelAdapterSpec telemetryReadings;

	@Test
	void readingsComeBackAsAveragesPerSensor() throws Exception {
		KcpTemplate sensor = new KcpTemplate(KcpConfig.builder().interval(20).stream(true).build(),
				KcpMessageConverters.create());
		sensor.setStreamFraming(KcpStreamFraming.of(TcpCodecs.crlf()));
		BlockingQueue<String> averages = new LinkedBlockingQueue<>();
		sensor.addPushHandler((message) -> averages.add(new String(message.getPayload(), StandardCharsets.UTF_8)));
		try {
			int port = this.telemetryReadings.getObject().getPort();
			for (int i = 1; i <= 5; i++) {
				sensor.sendBlocking(new java.net.InetSocketAddress("127.0.0.1", port), null, "boiler " + (60 + i));
				sensor.sendBlocking(new java.net.InetSocketAddress("127.0.0.1", port), null, "attic " + (10 * i));
			}
			String first = averages.poll(20, TimeUnit.SECONDS);
			String second = averages.poll(20, TimeUnit.SECONDS);
			assertThat(new String[] { first, second }).containsExactlyInAnyOrder("boiler avg=63.00 n=5",
					"attic avg=30.00 n=5");
		}
		finally {
			sensor.destroy();
		}
	}

}
