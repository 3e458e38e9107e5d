package io.github.kcp.demo;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpTargets;
import io.github.kcp.spring.event.KcpServerListeningEvent;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The desk's own client: every {@code demo.client.period} it sends the desk a JSON quote request, a text command
 * and a binary message through the {@link KcpTemplate}, checks the answers and logs each round trip.
 */
@Component
public class DeskClient {

	private static final Logger logger = LoggerFactory.getLogger(DeskClient.class);

	private static final List<String> SYMBOLS = List.of("KCP", "UDP", "ARQ", "RTO");

	private final KcpTemplate template;

	private final DeskClientProperties properties;

	private final AtomicInteger rounds = new AtomicInteger();

	private volatile @Nullable InetSocketAddress localDesk;

	/**
	 * A client using the given template.
	 * @param template the auto-configured template
	 * @param properties the client settings
	 */
	public DeskClient(KcpTemplate template, DeskClientProperties properties) {
		this.template = template;
		this.properties = properties;
	}

	/**
	 * Remember where this application's desk listens (its port may be chosen at start-up).
	 * @param event the server's listening event
	 */
	@EventListener
	public void onServerListening(KcpServerListeningEvent event) {
		this.localDesk = new InetSocketAddress(InetAddress.getLoopbackAddress(), event.getPort());
		PacketCipher cipher = this.template.getConfig().cipher();
		boolean encrypted = cipher != null && cipher.overhead() > 0;
		logger.info("Desk serving on UDP port {}, packets {}; try: java -jar kcp-benchmarks/target/kcp-tool.jar "
				+ "echo-client --host 127.0.0.1 --port {} --count 100 --size 512{}", event.getPort(),
				encrypted ? "encrypted with " + cipher.name() : "not encrypted", event.getPort(),
				encrypted ? " --crypto " + cipher.name() + " --key <kcp.crypto.key> --salt <kcp.crypto.salt>" : "");
	}

	/**
	 * Where the client sends: {@code demo.client.target}, else this application's desk.
	 * @return the target
	 * @throws IllegalStateException if no target is configured and the desk is not listening
	 * @throws IllegalArgumentException if {@code demo.client.target} is not {@code host:port}
	 */
	public InetSocketAddress target() {
		String configured = this.properties.getTarget();
		if (configured != null && !configured.isBlank()) {
			return KcpTargets.parse(configured);
		}
		InetSocketAddress local = this.localDesk;
		if (local == null) {
			throw new IllegalStateException("The KCP desk is not listening and demo.client.target is not set");
		}
		return local;
	}

	/** Runs a round every {@code demo.client.period} when {@code demo.client.enabled}. */
	@Scheduled(initialDelay = 500, fixedDelayString = "${demo.client.period:2s}")
	public void scheduledRound() {
		if (!this.properties.isEnabled()) {
			return;
		}
		try {
			runRound();
		}
		catch (RuntimeException ex) {
			logger.warn("Round failed: {}", ex.toString());
		}
	}

	/**
	 * Sends one JSON quote request, one text command and one binary message, and checks each answer.
	 * @return what came back
	 * @throws IllegalStateException if an answer is not what the desk should have sent
	 */
	public RoundResult runRound() {
		int round = this.rounds.incrementAndGet();
		InetSocketAddress target = target();
		ThreadLocalRandom random = ThreadLocalRandom.current();
		String symbol = SYMBOLS.get(random.nextInt(SYMBOLS.size()));

		QuoteRequest request = new QuoteRequest(symbol, 1 + random.nextInt(100));
		long started = System.nanoTime();
		Quote quote = this.template.sendAndReceiveBlocking(target, null, request, Quote.class,
				this.properties.getTimeout());
		double quoteMillis = millisSince(started);
		check(quote.symbol().equals(symbol) && quote.quantity() == request.quantity(), "quote " + quote
				+ " does not answer " + request);
		logger.info("round {}: JSON  {} x{} -> {} @ {} = {} (price update #{})  rtt {} ms", round, symbol,
				request.quantity(), quote.quantity(), quote.unitPrice(), quote.total(), quote.sequence(),
				format(quoteMillis));

		String command = "PRICE " + symbol;
		started = System.nanoTime();
		String answer = this.template.sendAndReceiveBlocking(target, null, command, String.class,
				this.properties.getTimeout());
		double textMillis = millisSince(started);
		check(answer.startsWith(symbol + " "), "'" + answer + "' does not answer '" + command + "'");
		logger.info("round {}: text  '{}' -> '{}'  rtt {} ms", round, command, answer, format(textMillis));

		byte[] payload = new byte[256];
		random.nextBytes(payload);
		payload[0] = (byte) 0xff; // never valid UTF-8, so the bytes handler takes it
		started = System.nanoTime();
		byte[] echo = this.template.sendAndReceiveBlocking(target, null, payload, byte[].class,
				this.properties.getTimeout());
		double bytesMillis = millisSince(started);
		check(Arrays.equals(payload, echo), "the echo of " + payload.length + " bytes came back altered");
		logger.info("round {}: bytes {} B echoed intact  rtt {} ms", round, payload.length, format(bytesMillis));
		return new RoundResult(quote, answer, echo.length, quoteMillis, textMillis, bytesMillis);
	}

	private static void check(boolean condition, String problem) {
		if (!condition) {
			throw new IllegalStateException(problem);
		}
	}

	private static double millisSince(long startNanos) {
		return (System.nanoTime() - startNanos) / 1_000_000.0;
	}

	private static String format(double millis) {
		return String.format(java.util.Locale.ROOT, "%.2f", millis);
	}

	/**
	 * The answers of one round and their round-trip times.
	 *
	 * @param quote the answer to the JSON quote request
	 * @param priceLine the answer to the text command
	 * @param echoedBytes how many bytes the echo returned
	 * @param quoteMillis round trip of the quote
	 * @param textMillis round trip of the text command
	 * @param bytesMillis round trip of the echo
	 */
	public record RoundResult(Quote quote, String priceLine, int echoedBytes, double quoteMillis, double textMillis,
			double bytesMillis) {
	}

}
