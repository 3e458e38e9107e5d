package io.github.kcp.spring.support.micrometer;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.github.kcp.spring.core.KcpRemoteException;
import io.github.kcp.spring.core.KcpReplyTimeoutException;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.micrometer.observation.tck.TestObservationRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * One observation per {@code @KcpHandler} invocation and one per template call, with the documented key values,
 * stopped with their outcome; nothing observed without a registry.
 */
@Timeout(60)
class KcpObservationTests {

	private final TestObservationRegistry registry = TestObservationRegistry.create();

	private ObservedDesk desk;

	@AfterEach
	void close() {
		if (this.desk != null) {
			this.desk.close();
		}
	}

	@Test
	void requestAndHandlerAreObservedWithBoundedKeys() {
		start(KcpMessageFormat.ENVELOPE);
		assertThat(this.desk.template.sendAndReceiveBlocking("price.KCP", "", String.class)).isEqualTo("KCP 12.50");
		int conv = this.desk.container.getServer().sessions().iterator().next().conv();

		await().atMost(ObservedDesk.WAIT).untilAsserted(() -> assertThat(this.registry)
			.hasNumberOfObservationsWithNameEqualTo("kcp.handler", 1));
		assertThat(this.registry).hasObservationWithNameEqualTo("kcp.handler")
			.that()
			.hasBeenStarted()
			.hasBeenStopped()
			.hasContextualNameEqualTo("price.{symbol} process")
			.hasLowCardinalityKeyValue("messaging.system", "kcp")
			.hasLowCardinalityKeyValue("messaging.operation", "process")
			.hasLowCardinalityKeyValue("kcp.server", "default")
			.hasLowCardinalityKeyValue("kcp.route", "price.{symbol}")
			.hasLowCardinalityKeyValue("kcp.payload.kind", "bytes")
			.hasLowCardinalityKeyValue("outcome", "success")
			.hasLowCardinalityKeyValue("exception", "none")
			.hasHighCardinalityKeyValue("kcp.conv", Integer.toUnsignedString(conv))
			.hasHighCardinalityKeyValue("network.peer.address", "127.0.0.1")
			.doesNotHaveError();
		// The template's observation stops on the thread that completes the caller's future, just after it.
		await().atMost(ObservedDesk.WAIT)
			.untilAsserted(() -> assertThat(this.registry).hasObservationWithNameEqualTo("kcp.template")
				.that()
				.hasBeenStopped()
				.hasContextualNameEqualTo("price.KCP request")
				.hasLowCardinalityKeyValue("messaging.operation", "request")
				.hasLowCardinalityKeyValue("kcp.template", "deskTemplate")
				.hasLowCardinalityKeyValue("kcp.route", "price.KCP")
				.hasLowCardinalityKeyValue("outcome", "success")
				.hasHighCardinalityKeyValue("kcp.conv", Integer.toUnsignedString(conv))
				.hasHighCardinalityKeyValue("network.peer.port", Integer.toString(this.desk.container.getPort())));
	}

	@Test
	void failuresEndTheirObservationsWithTheError() {
		start(KcpMessageFormat.ENVELOPE);
		assertThatExceptionOfType(KcpRemoteException.class)
			.isThrownBy(() -> this.desk.template.sendAndReceiveBlocking("fail", "no", String.class));
		await().atMost(ObservedDesk.WAIT).untilAsserted(() -> assertThat(this.registry)
			.hasNumberOfObservationsWithNameEqualTo("kcp.handler", 1));
		assertThat(this.registry).hasObservationWithNameEqualTo("kcp.handler")
			.that()
			.hasBeenStopped()
			.hasLowCardinalityKeyValue("outcome", "failure")
			.hasLowCardinalityKeyValue("exception", "IllegalStateException")
			.hasLowCardinalityKeyValue("kcp.payload.kind", "text")
			.assertThatError()
			.isInstanceOf(IllegalStateException.class);
		await().atMost(ObservedDesk.WAIT)
			.untilAsserted(() -> assertThat(this.registry).hasObservationWithNameEqualTo("kcp.template")
				.that()
				.hasBeenStopped()
				.hasLowCardinalityKeyValue("outcome", "remote_error")
				.hasLowCardinalityKeyValue("exception", "KcpRemoteException"));
	}

	@Test
	void aOneWaySendIsObservedUntilAcknowledgedAndATimeoutAsSuch() throws Exception {
		start(KcpMessageFormat.ENVELOPE);
		this.desk.template.send("echo", "one way").get(10, TimeUnit.SECONDS);
		await().atMost(ObservedDesk.WAIT)
			.untilAsserted(() -> assertThat(this.registry).hasObservationWithNameEqualTo("kcp.template")
				.that()
				.hasBeenStopped()
				.hasContextualNameEqualTo("echo send")
				.hasLowCardinalityKeyValue("messaging.operation", "send")
				.hasLowCardinalityKeyValue("outcome", "success"));

		this.registry.clear();
		CountDownLatch timedOut = new CountDownLatch(1);
		this.desk.handlers.onInvocation = () -> waitFor(timedOut);
		assertThatExceptionOfType(KcpReplyTimeoutException.class)
			.isThrownBy(() -> this.desk.template.sendAndReceiveBlocking(this.desk.template.getDefaultTarget(), "echo",
					"late", String.class, Duration.ofMillis(100)));
		timedOut.countDown();
		await().atMost(ObservedDesk.WAIT)
			.untilAsserted(() -> assertThat(this.registry).hasObservationWithNameEqualTo("kcp.template")
				.that()
				.hasBeenStopped()
				.hasLowCardinalityKeyValue("outcome", "timeout"));
	}

	@Test
	void rawMessagesAreObservedByPayloadKind() {
		start(KcpMessageFormat.RAW);
		assertThat(this.desk.template.sendAndReceiveBlocking("hello", String.class)).isEqualTo("hello");
		await().atMost(ObservedDesk.WAIT).untilAsserted(() -> assertThat(this.registry)
			.hasNumberOfObservationsWithNameEqualTo("kcp.handler", 1));
		assertThat(this.registry).hasObservationWithNameEqualTo("kcp.handler")
			.that()
			.hasBeenStopped()
			.hasLowCardinalityKeyValue("kcp.route", "none")
			.hasLowCardinalityKeyValue("kcp.payload.kind", "text")
			.hasHighCardinalityKeyValue("kcp.correlation.id", "none");
		await().atMost(ObservedDesk.WAIT)
			.untilAsserted(() -> assertThat(this.registry).hasObservationWithNameEqualTo("kcp.template")
				.that()
				.hasLowCardinalityKeyValue("kcp.route", "none"));
	}

	@Test
	void nothingIsObservedWithoutARegistry() {
		this.desk = ObservedDesk.start(KcpMessageFormat.ENVELOPE, (container, template) -> {
		});
		assertThat(this.desk.template.sendAndReceiveBlocking("echo", "x", String.class)).isEqualTo("x");
		assertThat(this.registry).doesNotHaveAnyObservation();
	}

	private void start(KcpMessageFormat format) {
		this.desk = ObservedDesk.start(format, (container, template) -> {
			container.setObservationRegistry(this.registry);
			template.setObservationRegistry(this.registry);
		});
	}

	private static void waitFor(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
