package io.github.kcp.spring.integration;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.github.kcp.spring.integration.dsl.Kcp;
import io.github.kcp.spring.integration.dsl.KcpInboundChannelAdapterSpec;
import io.github.kcp.spring.integration.dsl.KcpInboundGatewaySpec;
import io.github.kcp.spring.integration.outbound.KcpOutboundGateway;
import io.github.kcp.spring.integration.outbound.KcpSendingMessageHandler;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.channel.QueueChannel;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.context.IntegrationFlowContext;
import org.springframework.integration.ip.tcp.serializer.AbstractByteArraySerializer;
import org.springframework.integration.ip.tcp.serializer.TcpCodecs;
import org.springframework.integration.test.context.SpringIntegrationTest;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.GenericMessage;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stream mode framed with spring-integration-ip's own serializers, end to end over loopback UDP: an outbound gateway
 * and an inbound gateway agree on every codec (messages larger than a datagram included), raw and with the
 * envelope; the raw codec's one message per stream arrives when the sending session closes.
 */
@SpringJUnitConfig
@SpringIntegrationTest
@Timeout(120)
class KcpStreamFramingEndpointsTests {

	@Autowired
	IntegrationFlowContext flows;

	static Stream<Arguments> codecs() {
		return Stream.of(Arguments.of("length header 1", (Supplier<AbstractByteArraySerializer>) TcpCodecs::lengthHeader1, 200),
				Arguments.of("length header 2", (Supplier<AbstractByteArraySerializer>) () -> TcpCodecs.lengthHeader2(8000), 5000),
				Arguments.of("length header 4", (Supplier<AbstractByteArraySerializer>) () -> TcpCodecs.lengthHeader4(8000), 5000),
				Arguments.of("CRLF", (Supplier<AbstractByteArraySerializer>) () -> TcpCodecs.crlf(8000), 5000),
				Arguments.of("LF", (Supplier<AbstractByteArraySerializer>) () -> TcpCodecs.lf(8000), 5000),
				Arguments.of("STX/ETX", (Supplier<AbstractByteArraySerializer>) () -> TcpCodecs.stxetx(8000), 5000),
				Arguments.of("single terminator", (Supplier<AbstractByteArraySerializer>) () -> TcpCodecs.singleTerminator((byte) '|', 8000), 5000));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("codecs")
	void gatewaysAgreeOnEveryCodec(String name, Supplier<AbstractByteArraySerializer> codec, int largest)
			throws Exception {
		KcpInboundGatewaySpec inbound = Kcp.inboundGateway(0)
			.localAddress("127.0.0.1")
			.interval(Duration.ofMillis(10))
			.framing(codec.get());
		var server = this.flows.registration(IntegrationFlow.from(inbound)
			.<byte[], String>transform((bytes) -> new String(bytes, StandardCharsets.UTF_8).toUpperCase())
			.get()).register();
		KcpOutboundGateway outbound = Kcp.outboundGateway("127.0.0.1", inbound.getObject().getPort())
			.interval(Duration.ofMillis(10))
			.framing(codec.get())
			.getObject();
		var client = this.flows.registration((flow) -> flow.handle(outbound)).register();
		try {
			List<String> requests = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				requests.add(text("reading " + i + " ", Math.max(1, i * largest / 19)));
			}
			List<CompletableFuture<Message<?>>> replies = new ArrayList<>();
			for (String request : requests) {
				replies.add(CompletableFuture
					.supplyAsync(() -> client.getMessagingTemplate().sendAndReceive(new GenericMessage<>(request))));
			}
			for (int i = 0; i < requests.size(); i++) {
				Message<?> reply = replies.get(i).get(30, TimeUnit.SECONDS);
				assertThat(new String((byte[]) reply.getPayload(), StandardCharsets.UTF_8)).as(name)
					.isEqualTo(requests.get(i).toUpperCase());
			}
		}
		finally {
			client.destroy();
			server.destroy();
		}
	}

	@Test
	void theEnvelopeTravelsFramedByALengthHeader() throws Exception {
		KcpInboundGatewaySpec inbound = Kcp.inboundGateway(0)
			.localAddress("127.0.0.1")
			.interval(Duration.ofMillis(10))
			.messageFormat(KcpMessageFormat.ENVELOPE)
			.framing(TcpCodecs.lengthHeader4(1 << 16));
		var server = this.flows.registration(IntegrationFlow.from(inbound)
			.handle((payload, headers) -> headers.get(KcpIntegrationHeaders.ROUTE) + ":"
					+ new String((byte[]) payload, StandardCharsets.UTF_8))
			.get()).register();
		KcpOutboundGateway outbound = Kcp.outboundGateway("127.0.0.1", inbound.getObject().getPort())
			.messageFormat(KcpMessageFormat.ENVELOPE)
			.interval(Duration.ofMillis(10))
			.framing(TcpCodecs.lengthHeader4(1 << 16))
			.route("telemetry.read")
			.async(true)
			.getObject();
		var client = this.flows.registration((flow) -> flow.handle(outbound)).register();
		try {
			List<CompletableFuture<Message<?>>> replies = new ArrayList<>();
			for (int i = 0; i < 30; i++) {
				String request = "sensor-" + i + "x".repeat(i * 300);
				replies.add(CompletableFuture
					.supplyAsync(() -> client.getMessagingTemplate().sendAndReceive(new GenericMessage<>(request))));
			}
			for (int i = 0; i < 30; i++) {
				Message<?> reply = replies.get(i).get(30, TimeUnit.SECONDS);
				assertThat(new String((byte[]) reply.getPayload(), StandardCharsets.UTF_8))
					.isEqualTo("telemetry.read:sensor-" + i + "x".repeat(i * 300));
			}
		}
		finally {
			client.destroy();
			server.destroy();
		}
	}

	@Test
	void theRawCodecsOneMessagePerStreamArrivesWhenTheSenderCloses() throws Exception {
		QueueChannel received = new QueueChannel();
		KcpInboundChannelAdapterSpec inbound = Kcp.inboundAdapter(0)
			.localAddress("127.0.0.1")
			.interval(Duration.ofMillis(10))
			.framing(TcpCodecs.raw());
		var server = this.flows.registration(IntegrationFlow.from(inbound).channel(received).get()).register();
		KcpSendingMessageHandler outbound = Kcp.outboundAdapter("127.0.0.1", inbound.getObject().getPort())
			.interval(Duration.ofMillis(10))
			.framing(TcpCodecs.raw())
			.waitForAcknowledgement(true)
			.getObject();
		var client = this.flows.registration((flow) -> flow.handle(outbound)).register();
		try {
			client.getMessagingTemplate().send(new GenericMessage<>("the whole "));
			client.getMessagingTemplate().send(new GenericMessage<>("stream"));
			// acknowledged, yet not a message until the stream ends
			assertThat(received.receive(300)).isNull();
			outbound.stop();
			Message<?> message = received.receive(20_000);
			assertThat(message).isNotNull();
			assertThat(new String((byte[]) message.getPayload(), StandardCharsets.UTF_8)).isEqualTo("the whole stream");
		}
		finally {
			client.destroy();
			server.destroy();
		}
	}

	/** {@code base} repeated to {@code length} characters (at least once, whole). */
	private static String text(String base, int length) {
		StringBuilder text = new StringBuilder(base);
		while (text.length() < length) {
			text.append(base);
		}
		return text.substring(0, Math.max(base.length(), length));
	}

	@Configuration
	@EnableIntegration
	static class Flows {

	}

}
