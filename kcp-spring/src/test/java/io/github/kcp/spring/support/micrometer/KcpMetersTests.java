package io.github.kcp.spring.support.micrometer;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.kcp.spring.core.KcpRemoteException;
import io.github.kcp.spring.support.KcpMessageFormat;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The meters of a server container and a template, bound as a plain Spring application would bind them, count what
 * really happened on both sides over loopback UDP, keep their totals across a restart, and carry no tag that grows
 * with the sessions.
 */
@Timeout(60)
class KcpMetersTests {

	/** The meters' own tag keys, and the percentile tag a registry adds to the RTT timer's percentile gauges. */
	private static final Set<String> TAG_KEYS = Set.of(KcpMeters.SIDE, KcpMeters.NAME, KcpMeters.DIRECTION,
			KcpMeters.REASON, KcpMeters.KIND, "phi");

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	private ObservedDesk desk;

	@AfterEach
	void close() {
		if (this.desk != null) {
			this.desk.close();
		}
	}

	@Test
	void metersCountBothSidesOfTheTraffic() throws Exception {
		start();
		int requests = 20;
		String text = "x".repeat(100);
		for (int i = 0; i < requests; i++) {
			assertThat(this.desk.template.sendAndReceiveBlocking("echo", text, String.class)).isEqualTo(text);
		}
		await().atMost(ObservedDesk.WAIT).untilAsserted(() -> {
			for (String side : List.of("server", "client")) {
				assertThat(counter(side, KcpMeters.MESSAGES, KcpMeters.DIRECTION, "in")).isEqualTo(requests);
				assertThat(counter(side, KcpMeters.MESSAGES, KcpMeters.DIRECTION, "out")).isEqualTo(requests);
				// Envelope frames around 100-byte texts.
				assertThat(counter(side, KcpMeters.PAYLOAD_BYTES, KcpMeters.DIRECTION, "in"))
					.isGreaterThan(requests * 100.0);
				assertThat(counter(side, KcpMeters.WIRE_BYTES, KcpMeters.DIRECTION, "out"))
					.isGreaterThan(counter(side, KcpMeters.PAYLOAD_BYTES, KcpMeters.DIRECTION, "out"));
				assertThat(counter(side, KcpMeters.DATAGRAMS, KcpMeters.DIRECTION, "in")).isGreaterThanOrEqualTo(20);
				assertThat(gauge(side, KcpMeters.SESSIONS_ACTIVE)).isEqualTo(1);
				assertThat(find(side, KcpMeters.SESSIONS_OPENED).counter().count()).isEqualTo(1);
				assertThat(find(side, KcpMeters.RTT).timer().count()).as("RTT samples on the %s side", side)
					.isPositive();
			}
		});
		// The RTT distribution has percentiles, not just a mean (Prometheus also gets its histogram buckets).
		Timer rtt = find("client", KcpMeters.RTT).timer();
		assertThat(rtt.takeSnapshot().percentileValues()).hasSize(3);
		assertThat(counter("server", KcpMeters.RETRANSMISSIONS, KcpMeters.KIND, "timeout")).isZero();

		assertThatExceptionOfType(KcpRemoteException.class)
			.isThrownBy(() -> this.desk.template.sendAndReceiveBlocking("fail", "no", String.class));
		assertThatExceptionOfType(KcpRemoteException.class)
			.isThrownBy(() -> this.desk.template.sendAndReceiveBlocking("nowhere", "no", String.class));
		sendJunk(this.desk.container.getPort(), 3);
		await().atMost(ObservedDesk.WAIT).untilAsserted(() -> {
			assertThat(serverCounter(KcpMeters.HANDLER_FAILURES)).isEqualTo(1);
			assertThat(serverCounter(KcpMeters.MESSAGES_UNROUTED)).isEqualTo(1);
			assertThat(counter("server", KcpMeters.DATAGRAMS_DROPPED, KcpMeters.REASON, "malformed")).isEqualTo(3);
		});

		this.desk.template.destroy();
		await().atMost(ObservedDesk.WAIT).untilAsserted(() -> {
			assertThat(counter("client", KcpMeters.SESSIONS_CLOSED, KcpMeters.REASON, "closed_locally")).isEqualTo(1);
			assertThat(counter("server", KcpMeters.SESSIONS_CLOSED, KcpMeters.REASON, "closed_by_peer")).isEqualTo(1);
			assertThat(gauge("server", KcpMeters.SESSIONS_ACTIVE)).isZero();
			assertThat(gauge("client", KcpMeters.SESSIONS_ACTIVE)).isZero();
		});
		// Closed sessions still count: their final counters moved into the totals (read within a second).
		await().atMost(ObservedDesk.WAIT).untilAsserted(() -> {
			assertThat(counter("server", KcpMeters.MESSAGES, KcpMeters.DIRECTION, "in")).isEqualTo(requests + 2);
			assertThat(counter("client", KcpMeters.MESSAGES, KcpMeters.DIRECTION, "in")).isEqualTo(requests + 2);
		});
	}

	@Test
	void noMeterHasATagThatGrowsWithTheSessions() throws Exception {
		start();
		// Several sessions from several ports: none of them may appear in a tag.
		List<io.github.kcp.spring.core.KcpTemplate> others = List.of(newTemplate(), newTemplate(), newTemplate());
		try {
			List<CompletableFuture<String>> replies = others.stream()
				.map((template) -> template.sendAndReceive("price.KCP", "", String.class))
				.toList();
			for (CompletableFuture<String> reply : replies) {
				assertThat(reply.get(10, TimeUnit.SECONDS)).isEqualTo("KCP 12.50");
			}
			await().atMost(ObservedDesk.WAIT).until(() -> gauge("server", KcpMeters.SESSIONS_ACTIVE) == 3);
			Set<String> sessionValues = new HashSet<>();
			this.desk.container.getServer().sessions().forEach((session) -> {
				sessionValues.add(Integer.toString(session.remoteAddress().getPort()));
				sessionValues.add(Integer.toUnsignedString(session.conv()));
				sessionValues.add(session.remoteAddress().getAddress().getHostAddress());
			});
			List<Meter> kcpMeters = this.registry.getMeters()
				.stream()
				.filter((meter) -> meter.getId().getName().startsWith("kcp."))
				.toList();
			assertThat(kcpMeters).hasSizeGreaterThan(40);
			for (Meter meter : kcpMeters) {
				for (Tag tag : meter.getId().getTags()) {
					assertThat(TAG_KEYS).as("tag keys of %s", meter.getId()).contains(tag.getKey());
					assertThat(sessionValues).as("tag values of %s", meter.getId()).doesNotContain(tag.getValue());
				}
			}
			// As many series with one session as with three.
			long seriesNow = kcpMeters.size();
			others.forEach(io.github.kcp.spring.core.KcpTemplate::destroy);
			await().atMost(ObservedDesk.WAIT).until(() -> gauge("server", KcpMeters.SESSIONS_ACTIVE) == 0);
			assertThat(this.registry.getMeters().stream().filter((m) -> m.getId().getName().startsWith("kcp.")))
				.hasSize((int) seriesNow);
		}
		finally {
			others.forEach(io.github.kcp.spring.core.KcpTemplate::destroy);
		}
	}

	@Test
	void serverCountersAreTotalsOverRestarts() throws Exception {
		start();
		assertThatExceptionOfType(KcpRemoteException.class)
			.isThrownBy(() -> this.desk.template.sendAndReceiveBlocking("fail", "no", String.class));
		sendJunk(this.desk.container.getPort(), 2);
		await().atMost(ObservedDesk.WAIT)
			.until(() -> counter("server", KcpMeters.DATAGRAMS_DROPPED, KcpMeters.REASON, "malformed") == 2);
		this.desk.template.destroy();
		this.desk.container.stop();
		assertThat(this.desk.container.getServer()).isNull();
		assertThat(serverCounter(KcpMeters.HANDLER_FAILURES)).isEqualTo(1);
		assertThat(counter("server", KcpMeters.DATAGRAMS_DROPPED, KcpMeters.REASON, "malformed")).isEqualTo(2);

		this.desk.container.start();
		sendJunk(this.desk.container.getPort(), 1);
		await().atMost(ObservedDesk.WAIT)
			.until(() -> counter("server", KcpMeters.DATAGRAMS_DROPPED, KcpMeters.REASON, "malformed") == 3);
		assertThat(serverCounter(KcpMeters.HANDLER_FAILURES)).isEqualTo(1);
	}

	private void start() {
		this.desk = ObservedDesk.start(KcpMessageFormat.ENVELOPE, (container, template) -> {
			new KcpServerContainerMetrics(container).bindTo(this.registry);
			new KcpTemplateMetrics(template).bindTo(this.registry);
		});
	}

	private io.github.kcp.spring.core.KcpTemplate newTemplate() {
		io.github.kcp.spring.core.KcpTemplate template = new io.github.kcp.spring.core.KcpTemplate(ObservedDesk.FAST,
				io.github.kcp.spring.support.KcpMessageConverters.create());
		template.setMessageFormat(KcpMessageFormat.ENVELOPE);
		template.setDefaultTarget("127.0.0.1", this.desk.container.getPort());
		template.setBeanName("other");
		new KcpTemplateMetrics(template).bindTo(this.registry);
		return template;
	}

	private RequiredSearch find(String side, String name) {
		return this.registry.get(name).tag(KcpMeters.SIDE, side);
	}

	private double counter(String side, String name, String key, String value) {
		Meter meter = find(side, name).tag(key, value).meter();
		return (meter instanceof FunctionCounter counter) ? counter.count()
				: ((io.micrometer.core.instrument.Counter) meter).count();
	}

	private double serverCounter(String name) {
		return find("server", name).functionCounter().count();
	}

	private double gauge(String side, String name) {
		// The desk's template was bound inside its @Bean method, before Spring named it: its name is "default".
		return find(side, name).tag(KcpMeters.NAME, "default").gauge().value();
	}

	private static void sendJunk(int port, int datagrams) throws Exception {
		try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
			for (int i = 0; i < datagrams; i++) {
				byte[] junk = { 1, 2, 3 };
				socket.send(new DatagramPacket(junk, junk.length, InetAddress.getLoopbackAddress(), port));
			}
		}
	}

}
