package io.github.kcp.spring.listener;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.config.KcpHandlerEndpoint;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No acknowledged message is lost on a graceful stop: several threads stream messages and count each one whose
 * send future completed (the server acknowledged it); the server stops in the middle of the stream; every message
 * acknowledged at the client has then been handled at the server, exactly once. Repeated, in raw and envelope mode,
 * with a handler executor that keeps up and with one that is saturated (it refuses work, so sessions are held back).
 */
@Timeout(180)
class GracefulStopTests {

	private static final Logger logger = LoggerFactory.getLogger(GracefulStopTests.class);

	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).build();

	private static final int ROUNDS = 4;

	private static final int SESSIONS = 3;

	private static final int THREADS_PER_SESSION = 2;

	@ParameterizedTest(name = "{0}, saturated executor: {1}")
	@CsvSource({ "RAW, false", "ENVELOPE, false", "RAW, true", "ENVELOPE, true" })
	void everyAcknowledgedMessageIsHandledOnceAcrossAStop(KcpMessageFormat format, boolean saturated)
			throws Exception {
		long drainedTotal = 0;
		long stalls = 0;
		for (int round = 1; round <= ROUNDS; round++) {
			RoundResult result = runRound(format, saturated);
			logger.info("{} saturated={} round {}: {} acknowledged, {} handled, {} of them handled during the stop, "
					+ "{} handled but not confirmed to their sender, {} executor stalls", format, saturated, round,
					result.acknowledged, result.handled, result.drained, result.handled - result.acknowledged,
					result.stalls);
			drainedTotal += result.drained;
			stalls += result.stalls;
		}
		assertThat(drainedTotal).as("acknowledged messages were waiting when the stops began").isPositive();
		if (saturated) {
			assertThat(stalls).as("the saturated executor refused work").isPositive();
		}
	}

	private RoundResult runRound(KcpMessageFormat format, boolean saturated) throws Exception {
		Recorder recorder = new Recorder();
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		registry.register(KcpHandlerEndpoint.of("recorder", recorder,
				Recorder.class.getDeclaredMethod("record", String.class)));
		KcpServerContainer container = new KcpServerContainer(registry);
		container.setConfig(FAST);
		container.setMessageFormat(format);
		container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
		container.setShutdownTimeout(Duration.ofSeconds(20));
		container.setMaxQueuedPerSession(8);
		ExecutorService handlers = saturated
				? new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1))
				: Executors.newFixedThreadPool(2);
		container.setTaskExecutor(handlers);
		container.start();
		List<KcpTemplate> templates = new ArrayList<>();
		ExecutorService senders = Executors.newFixedThreadPool(SESSIONS * THREADS_PER_SESSION);
		Set<String> acknowledged = ConcurrentHashMap.newKeySet();
		try {
			List<Future<?>> streams = new ArrayList<>();
			for (int s = 0; s < SESSIONS; s++) {
				KcpTemplate template = new KcpTemplate(FAST.toBuilder().closeTimeout(Duration.ofSeconds(1)).build(),
						KcpMessageConverters.create());
				template.setMessageFormat(format);
				template.setDefaultTarget(container.getLocalAddress());
				templates.add(template);
				for (int t = 0; t < THREADS_PER_SESSION; t++) {
					String stream = s + "." + t;
					streams.add(senders.submit(() -> {
						// Bounded: the stop ends every stream long before this
						for (int seq = 0; seq < 1_000_000; seq++) {
							String id = stream + ":" + seq;
							try {
								template.send(id).get(30, TimeUnit.SECONDS);
							}
							catch (Exception ex) {
								// Not acknowledged: the server stopped. Such a message may or may not be handled.
								return;
							}
							acknowledged.add(id);
						}
					}));
				}
			}
			// Mid-stream: some messages handled, more acknowledged and waiting
			await().atMost(Duration.ofSeconds(30)).until(() -> recorder.handled.size() >= 200);
			int handledAtStop = recorder.handled.size();
			container.stop();
			// A sender whose session closed may have opened a new one, which the stopped server never answers:
			// closing the templates fails those sends instead of waiting for their timeout.
			templates.forEach(KcpTemplate::destroy);
			// Destroying the templates fails every send still waiting, promptly (not at the senders' 30 s timeout)
			for (Future<?> stream : streams) {
				stream.get(15, TimeUnit.SECONDS);
			}
			assertThat(recorder.duplicates).as("no message handled twice").isEmpty();
			assertThat(recorder.handled.keySet()).as("every acknowledged message was handled")
				.containsAll(acknowledged);
			return new RoundResult(acknowledged.size(), recorder.handled.size(),
					recorder.handled.size() - handledAtStop, container.getHandlerExecutorStalls());
		}
		finally {
			senders.shutdownNow();
			templates.forEach(KcpTemplate::destroy);
			container.destroy();
			handlers.shutdownNow();
		}
	}

	record RoundResult(int acknowledged, int handled, int drained, long stalls) {
	}

	static class Recorder {

		final Map<String, Boolean> handled = new ConcurrentHashMap<>();

		final List<String> duplicates = new java.util.concurrent.CopyOnWriteArrayList<>();

		@KcpHandler
		void record(String id) {
			// Some work, so that acknowledged messages queue up behind the handler
			LockSupport.parkNanos(200_000);
			if (this.handled.putIfAbsent(id, Boolean.TRUE) != null) {
				this.duplicates.add(id);
			}
		}

	}

}
