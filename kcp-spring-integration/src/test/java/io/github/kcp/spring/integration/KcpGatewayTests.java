package io.github.kcp.spring.integration;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.github.kcp.spring.core.KcpRemoteException;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.integration.dsl.Kcp;
import io.github.kcp.spring.integration.dsl.KcpInboundGatewaySpec;
import io.github.kcp.spring.integration.inbound.KcpInboundGateway;
import io.github.kcp.spring.integration.outbound.KcpOutboundGateway;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.MessageTimeoutException;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.context.IntegrationFlowContext;
import org.springframework.integration.test.context.SpringIntegrationTest;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHandlingException;
import org.springframework.messaging.support.GenericMessage;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The inbound and outbound gateways end to end over real UDP on loopback, raw and with the envelope: replies go to
 * the requesting session, an outbound gateway matches replies to requests (by id with the envelope, in order raw),
 * failures and timeouts reach the caller, an error channel answers for a failing flow, and both stop and start
 * again.
 */
@SpringJUnitConfig
@SpringIntegrationTest
@Timeout(90)
class KcpGatewayTests {

	/** Released once the caller of the "slow" request has timed out, so the server's flow thread is freed. */
	static final CountDownLatch RELEASE_SLOW = new CountDownLatch(1);

	@Autowired
	@Qualifier("rawGateway")
	KcpInboundGatewaySpec rawGateway;

	@Autowired
	@Qualifier("envelopeGateway")
	KcpInboundGatewaySpec envelopeGateway;

	@Autowired
	@Qualifier("rescuedGateway")
	KcpInboundGatewaySpec rescuedGateway;

	@Autowired
	IntegrationFlowContext flows;

	@Test
	void anInboundGatewayAnswersEachRequestOnItsSessionRawAndWithTheEnvelope() throws Exception {
		int rawPort = this.rawGateway.getObject().getPort();
		int envelopePort = this.envelopeGateway.getObject().getPort();
		try (KcpTemplate raw = KcpTestClients.template(rawPort, KcpMessageFormat.RAW);
				KcpTemplate envelope = KcpTestClients.template(envelopePort, KcpMessageFormat.ENVELOPE)) {
			List<CompletableFuture<String>> rawReplies = new ArrayList<>();
			List<CompletableFuture<String>> envelopeReplies = new ArrayList<>();
			for (int i = 0; i < 30; i++) {
				rawReplies.add(raw.sendAndReceive("raw " + i, String.class));
				envelopeReplies.add(envelope.sendAndReceive("quote.get", "env " + i, String.class));
			}
			for (int i = 0; i < 30; i++) {
				assertThat(rawReplies.get(i).get(20, TimeUnit.SECONDS)).isEqualTo("echo:raw " + i);
				assertThat(envelopeReplies.get(i).get(20, TimeUnit.SECONDS)).isEqualTo("echo:env " + i + "@quote.get");
			}
		}
	}

	@Test
	void withTheEnvelopeAFailingFlowAnswersWithAnErrorFrameAndAnErrorChannelWithItsReply() throws Exception {
		try (KcpTemplate envelope = KcpTestClients.template(this.envelopeGateway.getObject().getPort(),
				KcpMessageFormat.ENVELOPE);
				KcpTemplate rescued = KcpTestClients.template(this.rescuedGateway.getObject().getPort(),
						KcpMessageFormat.RAW)) {
			long started = System.nanoTime();
			assertThatThrownBy(() -> envelope.sendAndReceiveBlocking("quote.get", "fail", String.class))
				.isInstanceOf(KcpRemoteException.class)
				.hasMessageContaining("HANDLER_FAILED")
				.hasMessageContaining("no quote for fail");
			// at once, not at the template's 10 s timeout
			assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(8);
			assertThat(rescued.sendAndReceiveBlocking("fail", String.class)).isEqualTo("rescued: no quote for fail");
		}
	}

	@Test
	void anOutboundGatewayMatchesRepliesByIdWithTheEnvelopeAndInOrderRaw() throws Exception {
		for (KcpMessageFormat format : KcpMessageFormat.values()) {
			int port = ((format == KcpMessageFormat.RAW) ? this.rawGateway : this.envelopeGateway).getObject()
				.getPort();
			KcpOutboundGateway gateway = Kcp.outboundGateway("127.0.0.1", port)
				.messageFormat(format)
				.interval(Duration.ofMillis(10))
				.route("quote.get")
				.replyTimeout(Duration.ofSeconds(10))
				.getObject();
			var registration = this.flows.registration((flow) -> flow.handle(gateway)).register();
			try {
				List<CompletableFuture<Message<?>>> replies = new ArrayList<>();
				for (int i = 0; i < 20; i++) {
					String request = format + " " + i;
					replies.add(CompletableFuture.supplyAsync(() -> registration.getMessagingTemplate()
						.sendAndReceive(new GenericMessage<>(request))));
				}
				for (int i = 0; i < 20; i++) {
					Message<?> reply = replies.get(i).get(30, TimeUnit.SECONDS);
					String expected = "echo:" + format + " " + i + ((format == KcpMessageFormat.ENVELOPE)
							? "@quote.get" : "");
					assertThat(new String((byte[]) reply.getPayload(), StandardCharsets.UTF_8)).isEqualTo(expected);
					assertThat(reply.getHeaders().get(KcpIntegrationHeaders.REMOTE_PORT)).isEqualTo(port);
				}
			}
			finally {
				registration.destroy();
			}
		}
	}

	@Test
	void anOutboundGatewayFailsOnAnErrorFrameAndTimesOutWithoutAReply() throws Exception {
		int port = this.envelopeGateway.getObject().getPort();
		KcpOutboundGateway gateway = Kcp.outboundGateway("127.0.0.1", port)
			.messageFormat(KcpMessageFormat.ENVELOPE)
			.interval(Duration.ofMillis(10))
			.replyTimeout(Duration.ofMillis(500))
			.getObject();
		var registration = this.flows.registration((flow) -> flow.handle(gateway)).register();
		try {
			assertThatThrownBy(() -> registration.getMessagingTemplate()
				.sendAndReceive(message("fail", "quote.get")))
				.isInstanceOf(MessageHandlingException.class)
				.hasCauseInstanceOf(KcpRemoteException.class);
			// the server's flow holds "slow" until released; the gateway gives up after 500 ms
			assertThatThrownBy(() -> registration.getMessagingTemplate().sendAndReceive(message("slow", "quote.get")))
				.isInstanceOf(MessageTimeoutException.class);
			RELEASE_SLOW.countDown();
		}
		finally {
			registration.destroy();
		}
	}

	@Test
	void gatewaysStopAndStartAgain() throws Exception {
		KcpInboundGateway inbound = this.rawGateway.getObject();
		int port = inbound.getPort();
		KcpOutboundGateway outbound = Kcp.outboundGateway("127.0.0.1", port)
			.interval(Duration.ofMillis(10))
			.replyTimeout(Duration.ofSeconds(2))
			.getObject();
		var registration = this.flows.registration((flow) -> flow.handle(outbound)).register();
		try {
			assertThat(payload(registration.getMessagingTemplate().sendAndReceive(new GenericMessage<>("one"))))
				.isEqualTo("echo:one");
			inbound.stop();
			assertThat(inbound.isRunning()).isFalse();
			assertThat(inbound.getPort()).isEqualTo(-1);
			// nothing listens any more: the request gets no reply
			assertThatThrownBy(() -> registration.getMessagingTemplate().sendAndReceive(new GenericMessage<>("two")))
				.isInstanceOf(MessageTimeoutException.class);
			outbound.stop();
			assertThatThrownBy(() -> registration.getMessagingTemplate().sendAndReceive(new GenericMessage<>("x")))
				.isInstanceOf(MessageHandlingException.class)
				.hasMessageContaining("is stopped");
			// the inbound gateway binds its port again (it was given port 0, so ask it which)
			inbound.start();
			int restarted = inbound.getPort();
			assertThat(restarted).isPositive();
			outbound.start();
			try (KcpTemplate client = KcpTestClients.template(restarted, KcpMessageFormat.RAW)) {
				assertThat(client.sendAndReceiveBlocking("three", String.class)).isEqualTo("echo:three");
			}
		}
		finally {
			registration.destroy();
			if (!inbound.isRunning()) {
				inbound.start();
			}
		}
	}

	private static Message<String> message(String payload, String route) {
		return org.springframework.messaging.support.MessageBuilder.withPayload(payload)
			.setHeader(KcpIntegrationHeaders.ROUTE, route)
			.build();
	}

	private static String payload(Message<?> message) {
		return new String((byte[]) message.getPayload(), StandardCharsets.UTF_8);
	}

	@Configuration
	@EnableIntegration
	static class Flows {

		@Bean
		KcpInboundGatewaySpec rawGateway() {
			return Kcp.inboundGateway(0).localAddress("127.0.0.1").interval(Duration.ofMillis(10));
		}

		@Bean
		IntegrationFlow rawFlow(@Qualifier("rawGateway") KcpInboundGatewaySpec rawGateway) {
			return IntegrationFlow.from(rawGateway)
				.<byte[], String>transform((bytes) -> "echo:" + new String(bytes, StandardCharsets.UTF_8))
				.get();
		}

		@Bean
		KcpInboundGatewaySpec envelopeGateway() {
			return Kcp.inboundGateway(0)
				.localAddress("127.0.0.1")
				.interval(Duration.ofMillis(10))
				.messageFormat(KcpMessageFormat.ENVELOPE)
				.replyTimeout(Duration.ofSeconds(5));
		}

		@Bean
		IntegrationFlow envelopeFlow(@Qualifier("envelopeGateway") KcpInboundGatewaySpec envelopeGateway) {
			return IntegrationFlow.from(envelopeGateway)
				.handle((payload, headers) -> {
					String text = new String((byte[]) payload, StandardCharsets.UTF_8);
					if (text.equals("fail")) {
						throw new IllegalArgumentException("no quote for " + text);
					}
					if (text.equals("slow")) {
						awaitRelease();
					}
					return "echo:" + text + "@" + headers.get(KcpIntegrationHeaders.ROUTE);
				})
				.get();
		}

		@Bean
		KcpInboundGatewaySpec rescuedGateway() {
			return Kcp.inboundGateway(0).localAddress("127.0.0.1").interval(Duration.ofMillis(10))
				.errorChannel("rescue.input");
		}

		@Bean
		IntegrationFlow rescuedFlow(@Qualifier("rescuedGateway") KcpInboundGatewaySpec rescuedGateway) {
			return IntegrationFlow.from(rescuedGateway)
				.handle((payload, headers) -> {
					throw new IllegalArgumentException(
							"no quote for " + new String((byte[]) payload, StandardCharsets.UTF_8));
				})
				.get();
		}

		@Bean
		IntegrationFlow rescue() {
			return (flow) -> flow.<Throwable, String>transform(
					(failure) -> "rescued: " + failure.getCause().getMessage());
		}

		/** Holds the "slow" request until the test has seen its caller time out (at most 10 s). */
		private static void awaitRelease() {
			try {
				RELEASE_SLOW.await(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
