package io.github.kcp.spring.integration;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.integration.dsl.Kcp;
import io.github.kcp.spring.integration.dsl.KcpInboundGatewaySpec;
import io.github.kcp.spring.integration.outbound.KcpOutboundGateway;
import io.github.kcp.testsupport.interop.GoPeer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.context.IntegrationFlowContext;
import org.springframework.integration.ip.tcp.serializer.TcpCodecs;
import org.springframework.integration.test.context.SpringIntegrationTest;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.GenericMessage;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flows against a non-Java KCP peer, kcp-go 5.6.1 ({@link GoPeer}), over loopback: an outbound gateway in stream
 * mode framing requests with CRLF to the Go echo server, and the Go echo client against an inbound gateway in raw
 * message mode. Skipped (with a message saying how to install them) where Go or kcp-go is absent.
 */
@SpringJUnitConfig
@SpringIntegrationTest
@Timeout(120)
class KcpGoPeerFlowTests {

	private static final Duration WAIT = Duration.ofSeconds(60);

	@Autowired
	IntegrationFlowContext flows;

	@BeforeAll
	static void goPeer() {
		GoPeer.assumeAvailable();
		GoPeer.build();
	}

	/** The Go peer's fast mode (nodelay 1, interval 10, resend 2, nc 1, windows 1024, mtu 1400). */
	private static KcpConfig goFastMode(boolean stream) {
		return KcpConfig.builder()
			.nodelay(1, 10, 2, true)
			.windowSize(1024, 1024)
			.mtu(1400)
			.stream(stream)
			.closeTimeout(Duration.ofSeconds(2))
			.build();
	}

	@Test
	void anOutboundGatewayFramesRequestsForTheGoEchoServer() throws Exception {
		try (GoPeer server = GoPeer.start("echo-server", "--port", "0", "--stream", "1")) {
			KcpOutboundGateway gateway = Kcp.outboundGateway("127.0.0.1", server.port())
				.config(goFastMode(true))
				.framing(TcpCodecs.crlf(1 << 16))
				.replyTimeout(Duration.ofSeconds(20))
				.getObject();
			var registration = this.flows.registration((flow) -> flow.handle(gateway)).register();
			try {
				for (int i = 0; i < 100; i++) {
					// from a few bytes to several datagrams: the Go side echoes bytes, our side cuts them at CRLF
					String reading = "sensor-" + (i % 7) + " t=" + i + " v=" + "7".repeat(i * 40);
					Message<?> reply = registration.getMessagingTemplate().sendAndReceive(new GenericMessage<>(reading));
					assertThat(new String((byte[]) reply.getPayload(), StandardCharsets.UTF_8)).isEqualTo(reading);
				}
			}
			finally {
				registration.destroy();
			}
		}
	}

	@Test
	void theGoEchoClientIsAnsweredByAnInboundGateway() throws Exception {
		KcpInboundGatewaySpec inbound = Kcp.inboundGateway(0).localAddress("127.0.0.1").config(goFastMode(false));
		// echo the bytes as they are: the Go client checks every byte of every message it gets back
		var registration = this.flows.registration(IntegrationFlow.from(inbound).bridge().get()).register();
		try (GoPeer client = GoPeer.start("echo-client", "--port", String.valueOf(inbound.getObject().getPort()),
				"--count", "200", "--size", "900")) {
			assertThat(client.waitFor(WAIT)).as(client.transcript()).isZero();
			assertThat(client.output()).contains("200 ok, 0 bad");
		}
		finally {
			registration.destroy();
		}
	}

	@Configuration
	@EnableIntegration
	static class Flows {

	}

}
