package io.github.kcp.spring.integration;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.envelope.KcpFrameType;
import io.github.kcp.spring.integration.dsl.Kcp;
import io.github.kcp.spring.integration.dsl.KcpInboundChannelAdapterSpec;
import io.github.kcp.spring.integration.inbound.KcpReceivingChannelAdapter;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.channel.QueueChannel;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.config.EnableIntegrationManagement;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.graph.IntegrationGraphServer;
import org.springframework.integration.graph.IntegrationNode;
import org.springframework.integration.test.context.SpringIntegrationTest;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessagingException;
import org.springframework.messaging.support.ErrorMessage;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The inbound channel adapter over real UDP on loopback: messages with their headers into a channel, raw and with
 * the envelope; an outbound adapter on the same server answering each of many sessions with its own reply (and,
 * with the envelope, as the reply a template's request waits for); a failing flow reported to the error channel;
 * the endpoints in the integration graph.
 */
@SpringJUnitConfig
@SpringIntegrationTest
@Timeout(60)
class KcpInboundChannelAdapterTests {

	@Autowired
	@Qualifier("rawInbound")
	KcpInboundChannelAdapterSpec rawInbound;

	@Autowired
	@Qualifier("envelopeInbound")
	KcpInboundChannelAdapterSpec envelopeInbound;

	@Autowired
	@Qualifier("failingInbound")
	KcpInboundChannelAdapterSpec failingInbound;

	@Autowired
	QueueChannel received;

	@Autowired
	QueueChannel errors;

	@Autowired
	IntegrationGraphServer graph;

	@Test
	void aRawMessageArrivesWithTheSessionHeaders() throws Exception {
		KcpReceivingChannelAdapter adapter = this.rawInbound.getObject();
		try (KcpTemplate client = KcpTestClients.template(adapter.getPort(), KcpMessageFormat.RAW)) {
			client.sendBlocking("reading 21.5");
			Message<?> message = this.received.receive(10_000);
			assertThat(message).isNotNull();
			assertThat(message.getPayload()).isInstanceOf(byte[].class);
			assertThat(new String((byte[]) message.getPayload(), StandardCharsets.UTF_8)).isEqualTo("reading 21.5");
			Map<String, Object> headers = message.getHeaders();
			assertThat(headers.get(KcpIntegrationHeaders.REMOTE_HOST)).isEqualTo("127.0.0.1");
			assertThat(headers.get(KcpIntegrationHeaders.REMOTE_PORT)).isInstanceOf(Integer.class);
			assertThat(headers.get(KcpIntegrationHeaders.LOCAL_PORT)).isEqualTo(adapter.getPort());
			assertThat(headers.get(KcpIntegrationHeaders.CONV)).isInstanceOf(Integer.class);
			assertThat(headers.get(KcpIntegrationHeaders.REMOTE_ADDRESS)).isEqualTo(
					new InetSocketAddress("127.0.0.1", (Integer) headers.get(KcpIntegrationHeaders.REMOTE_PORT)));
			assertThat(headers.get(KcpIntegrationHeaders.SESSION_ID)).isEqualTo("127.0.0.1:"
					+ headers.get(KcpIntegrationHeaders.REMOTE_PORT) + "/"
					+ Integer.toUnsignedString((Integer) headers.get(KcpIntegrationHeaders.CONV)));
			assertThat(headers).doesNotContainKey("kcp_session");
		}
	}

	@Test
	void eachOfManySessionsGetsItsOwnReplyFromTheOutboundAdapter() throws Exception {
		int port = this.rawInbound.getObject().getPort();
		List<KcpTemplate> clients = new ArrayList<>();
		try {
			List<CompletableFuture<String>> replies = new ArrayList<>();
			for (int i = 0; i < 8; i++) {
				KcpTemplate client = KcpTestClients.template(port, KcpMessageFormat.RAW);
				clients.add(client);
				replies.add(client.sendAndReceive("client " + i, String.class));
			}
			for (int i = 0; i < 8; i++) {
				assertThat(replies.get(i).get(20, TimeUnit.SECONDS)).isEqualTo("CLIENT " + i);
			}
		}
		finally {
			clients.forEach(KcpTemplate::destroy);
		}
	}

	@Test
	void withTheEnvelopeARequestIsAnsweredAsAReplyAndOneWayMessagesCarryTheirRoute() throws Exception {
		int port = this.envelopeInbound.getObject().getPort();
		try (KcpTemplate first = KcpTestClients.template(port, KcpMessageFormat.ENVELOPE);
				KcpTemplate second = KcpTestClients.template(port, KcpMessageFormat.ENVELOPE)) {
			List<CompletableFuture<String>> replies = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				KcpTemplate client = (i % 2 == 0) ? first : second;
				replies.add(client.sendAndReceive("shout", "request " + i, String.class));
			}
			for (int i = 0; i < 20; i++) {
				assertThat(replies.get(i).get(20, TimeUnit.SECONDS)).isEqualTo("REQUEST " + i);
			}
			first.sendBlocking("audit", "one way");
			Message<?> oneWay = this.received.receive(10_000);
			assertThat(oneWay).isNotNull();
			assertThat(oneWay.getHeaders().get(KcpIntegrationHeaders.ROUTE)).isEqualTo("audit");
			assertThat(oneWay.getHeaders().get(KcpIntegrationHeaders.FRAME_TYPE)).isEqualTo(KcpFrameType.ONE_WAY);
			assertThat(new String((byte[]) oneWay.getPayload(), StandardCharsets.UTF_8)).isEqualTo("one way");
		}
	}

	@Test
	void aFailingFlowIsReportedToTheErrorChannelAndTheSessionGoesOn() throws Exception {
		int port = this.failingInbound.getObject().getPort();
		try (KcpTemplate client = KcpTestClients.template(port, KcpMessageFormat.RAW)) {
			client.sendBlocking("boom");
			Message<?> error = this.errors.receive(10_000);
			assertThat(error).isInstanceOf(ErrorMessage.class);
			Throwable failure = ((ErrorMessage) error).getPayload();
			assertThat(failure).isInstanceOf(MessagingException.class).hasRootCauseMessage("cannot handle boom");
			Message<?> failed = ((MessagingException) failure).getFailedMessage();
			assertThat(failed).isNotNull();
			assertThat(failed.getHeaders()).containsKey(KcpIntegrationHeaders.SESSION_ID);
			client.sendBlocking("boom again");
			assertThat(this.errors.receive(10_000)).isInstanceOf(ErrorMessage.class);
		}
	}

	@Test
	void theEndpointsAreNodesOfTheIntegrationGraph() {
		List<String> types = this.graph.getGraph().nodes().stream().map(IntegrationNode::getComponentType).toList();
		assertThat(types).contains("kcp:inbound-channel-adapter", "kcp:outbound-channel-adapter");
	}

	@Configuration
	@EnableIntegration
	@EnableIntegrationManagement
	static class Flows {

		@Bean
		QueueChannel received() {
			return new QueueChannel();
		}

		@Bean
		QueueChannel errors() {
			return new QueueChannel();
		}

		@Bean
		KcpInboundChannelAdapterSpec rawInbound() {
			return Kcp.inboundAdapter(0).localAddress("127.0.0.1").interval(Duration.ofMillis(10));
		}

		@Bean
		IntegrationFlow rawFlow(@Qualifier("rawInbound") KcpInboundChannelAdapterSpec rawInbound) {
			// "reading ..." messages go to the queue; everything else is shouted back to its session
			return IntegrationFlow.from(rawInbound)
				.<byte[], Boolean>route((bytes) -> new String(bytes, StandardCharsets.UTF_8).startsWith("reading"),
						(mapping) -> mapping.subFlowMapping(true, (sub) -> sub.channel("received"))
							.subFlowMapping(false, (sub) -> sub
								.<byte[], String>transform((bytes) -> new String(bytes, StandardCharsets.UTF_8)
									.toUpperCase())
								.handle(Kcp.outboundAdapter(rawInbound))))
				.get();
		}

		@Bean
		KcpInboundChannelAdapterSpec envelopeInbound() {
			return Kcp.inboundAdapter(0)
				.localAddress("127.0.0.1")
				.interval(Duration.ofMillis(10))
				.messageFormat(KcpMessageFormat.ENVELOPE);
		}

		@Bean
		IntegrationFlow envelopeFlow(@Qualifier("envelopeInbound") KcpInboundChannelAdapterSpec envelopeInbound) {
			return IntegrationFlow.from(envelopeInbound)
				.route(Message.class,
						(message) -> message.getHeaders().get(KcpIntegrationHeaders.FRAME_TYPE) == KcpFrameType.REQUEST,
						(mapping) -> mapping.subFlowMapping(false, (sub) -> sub.channel("received"))
							.subFlowMapping(true, (sub) -> sub
								.<byte[], String>transform((bytes) -> new String(bytes, StandardCharsets.UTF_8)
									.toUpperCase())
								.handle(Kcp.outboundAdapter(envelopeInbound))))
				.get();
		}

		@Bean
		KcpInboundChannelAdapterSpec failingInbound() {
			return Kcp.inboundAdapter(0).localAddress("127.0.0.1").interval(Duration.ofMillis(10))
				.errorChannel("errors");
		}

		@Bean
		IntegrationFlow failingFlow(@Qualifier("failingInbound") KcpInboundChannelAdapterSpec failingInbound) {
			return IntegrationFlow.from(failingInbound)
				.handle((payload, headers) -> {
					throw new IllegalStateException(
							"cannot handle " + new String((byte[]) payload, StandardCharsets.UTF_8));
				})
				.get();
		}

		@Bean
		IntegrationGraphServer integrationGraphServer() {
			return new IntegrationGraphServer();
		}

	}

}
