package io.github.kcp.demo;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.event.KcpServerListeningEvent;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpTargets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The desk's own client, a {@link KcpTemplate} speaking the messaging envelope: every {@code demo.client.period} it
 * asks the desk for a quote ({@code quote.get}, JSON), a price ({@code quote.price.<symbol>}, the symbol in the
 * route) and the symbol list ({@code quote.symbols}), checks the answers and logs each round trip together with the
 * last price tick the desk pushed ({@link PriceTicks}).
 */
@Component
public class DeskClient {

	private static final Logger logger = LoggerFactory.getLogger(DeskClient.class);

	private static final List<String> SYMBOLS = List.of("KCP", "UDP", "ARQ", "RTO");

	private final KcpTemplate template;

	private final DeskClientProperties properties;

	private final PriceTicks ticks;

	private final AtomicInteger rounds = new AtomicInteger();

	/**
	 * A client using the given template.
	 * @param template the auto-configured template
	 * @param properties the client settings
	 * @param ticks the pushed price ticks
	 */
	public DeskClient(KcpTemplate template, DeskClientProperties properties, PriceTicks ticks) {
		this.template = template;
		this.properties = properties;
		this.ticks = ticks;
	}

	/**
	 * Say where the desk listens and how to reach it.
	 * @param event a server's listening event
	 */
	@EventListener
	public void onServerListening(KcpServerListeningEvent event) {
		PacketCipher cipher = this.template.getPacketCipher();
		boolean encrypted = cipher != null && cipher.overhead() > 0;
		if (event.getSource() instanceof KcpServerContainer container
				&& RawDeskConfiguration.SERVER_ID.equals(container.getId()) && container.getDtlsSettings() != null) {
			logger.info("Raw desk (any KCP peer) on UDP port {}, secured with DTLS (client certificates: {}); try: "
					+ "java -jar kcp-benchmarks/target/kcp-tool.jar echo-client --host 127.0.0.1 --port {} --count 100 "
					+ "--size 512 --dtls --ca <ca.pem> --cert <client.pem> --key <client-key.pem>", event.getPort(),
					container.getDtlsSettings().clientAuth(), event.getPort());
		}
		else if (event.getSource() instanceof KcpServerContainer container
				&& RawDeskConfiguration.SERVER_ID.equals(container.getId())) {
			logger.info("Raw desk (any KCP peer) on UDP port {}, packets {}; try: java -jar "
					+ "kcp-benchmarks/target/kcp-tool.jar echo-client --host 127.0.0.1 --port {} --count 100 --size 512{}",
					event.getPort(), encrypted ? "encrypted with " + cipher.name() : "not encrypted", event.getPort(),
					encrypted ? " --crypto " + cipher.name() + " --key <kcp.crypto.key> --salt <kcp.crypto.salt>" : "");
		}
		else if (event.getSource() instanceof KcpServerContainer container && !container.getId().isEmpty()) {
			// A Spring Integration endpoint's server (the telemetry flow): named by its endpoint.
			logger.info("KCP endpoint '{}' on UDP port {}", container.getId(), event.getPort());
		}
		else {
			logger.info("Desk (Spring clients, messaging envelope) on UDP port {}", event.getPort());
		}
	}

	/**
	 * Where the client sends: {@code demo.client.target}, else this application's desk.
	 * @return the target
	 * @throws IllegalArgumentException if {@code demo.client.target} is not {@code host:port}
	 */
	public InetSocketAddress target() {
		String configured = this.properties.getTarget();
		if (configured != null && !configured.isBlank()) {
			return KcpTargets.parse(configured);
		}
		InetSocketAddress local = this.template.getDefaultTarget();
		if (local == null) {
			throw new IllegalStateException("The KcpTemplate has no default target and demo.client.target is not set");
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
	 * Asks for a quote, a price and the symbol list, and checks each answer.
	 * @return what came back
	 * @throws IllegalStateException if an answer is not what the desk should have sent
	 */
	public RoundResult runRound() {
		int round = this.rounds.incrementAndGet();
		InetSocketAddress target = target();
		Duration timeout = this.properties.getTimeout();
		ThreadLocalRandom random = ThreadLocalRandom.current();
		String symbol = SYMBOLS.get(random.nextInt(SYMBOLS.size()));

		QuoteRequest request = new QuoteRequest(symbol, 1 + random.nextInt(100));
		long started = System.nanoTime();
		Quote quote = this.template.sendAndReceiveBlocking(target, "quote.get", request, Quote.class, timeout);
		double quoteMillis = millisSince(started);
		check(quote.symbol().equals(symbol) && quote.quantity() == request.quantity(),
				"quote " + quote + " does not answer " + request);
		logger.info("round {}: quote.get        {} x{} -> {} @ {} = {} (price update #{})  rtt {} ms", round, symbol,
				request.quantity(), quote.quantity(), quote.unitPrice(), quote.total(), quote.sequence(),
				format(quoteMillis));

		started = System.nanoTime();
		String price = this.template.sendAndReceiveBlocking(target, "quote.price." + symbol, "", String.class,
				timeout);
		double priceMillis = millisSince(started);
		check(price.startsWith(symbol + " "), "'" + price + "' is not the price of " + symbol);
		logger.info("round {}: quote.price.{}  -> '{}'  rtt {} ms", round, symbol, price, format(priceMillis));

		started = System.nanoTime();
		String[] symbols = this.template.sendAndReceiveBlocking(target, "quote.symbols", "", String[].class,
				timeout);
		double symbolsMillis = millisSince(started);
		check(Arrays.asList(symbols).containsAll(SYMBOLS), Arrays.toString(symbols) + " lacks symbols");
		PriceTick tick = this.ticks.last();
		logger.info("round {}: quote.symbols    -> {}  rtt {} ms; {} price tick(s) pushed so far{}", round,
				Arrays.toString(symbols), format(symbolsMillis), this.ticks.received(),
				(tick != null) ? ", last #" + tick.sequence() + " " + tick.prices() : "");
		return new RoundResult(quote, price, List.of(symbols), quoteMillis, priceMillis, symbolsMillis);
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
	 * @param quote the answer to the quote request
	 * @param priceLine the answer to the price request
	 * @param symbols the symbol list
	 * @param quoteMillis round trip of the quote
	 * @param priceMillis round trip of the price
	 * @param symbolsMillis round trip of the symbol list
	 */
	public record RoundResult(Quote quote, String priceLine, List<String> symbols, double quoteMillis,
			double priceMillis, double symbolsMillis) {
	}

}
