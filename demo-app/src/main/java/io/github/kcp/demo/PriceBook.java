package io.github.kcp.demo;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.github.kcp.spring.listener.KcpSessionRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The desk's prices: a few instruments whose prices take a small random step every second. After each step the
 * new prices are pushed ({@code price.tick}) to every session that has asked for a quote: a broadcast through the
 * {@link KcpSessionRegistry}, filtered by a session attribute.
 */
@Component
public class PriceBook {

	/** Session attribute set by a quote request: the session receives the price ticks from then on. */
	public static final String SUBSCRIBED = "demo.subscribed";

	/** The route of the pushed ticks. */
	public static final String TICK_ROUTE = "price.tick";

	private final Map<String, BigDecimal> prices = new TreeMap<>(Map.of("KCP", new BigDecimal("12.50"), "UDP",
			new BigDecimal("3.20"), "ARQ", new BigDecimal("48.00"), "RTO", new BigDecimal("0.95")));

	private final AtomicLong sequence = new AtomicLong();

	private final ObjectProvider<KcpSessionRegistry> sessions;

	/**
	 * A price book that pushes its ticks to the sessions of the desk's server, if it runs.
	 * @param sessions the session registry of the default KCP server
	 */
	public PriceBook(ObjectProvider<KcpSessionRegistry> sessions) {
		this.sessions = sessions;
	}

	/**
	 * The current price of one unit.
	 * @param symbol the instrument, case-insensitive
	 * @return the price, or empty for an unknown symbol
	 */
	public synchronized Optional<BigDecimal> price(String symbol) {
		return Optional.ofNullable(this.prices.get(symbol.toUpperCase(Locale.ROOT)));
	}

	/** The instruments the desk quotes. */
	public synchronized Set<String> symbols() {
		return Set.copyOf(this.prices.keySet());
	}

	/** How many times the prices moved. */
	public long sequence() {
		return this.sequence.get();
	}

	/**
	 * Moves every price by up to one percent, never below one cent, and pushes the new prices to the subscribed
	 * sessions.
	 * @return how many sessions the tick went to
	 */
	@Scheduled(fixedRate = 1000)
	public int tick() {
		PriceTick tick;
		synchronized (this) {
			ThreadLocalRandom random = ThreadLocalRandom.current();
			this.prices.replaceAll((symbol, price) -> {
				BigDecimal step = price.multiply(BigDecimal.valueOf(random.nextDouble(-0.01, 0.01)));
				return price.add(step).max(new BigDecimal("0.01")).setScale(2, RoundingMode.HALF_EVEN);
			});
			tick = new PriceTick(this.sequence.incrementAndGet(), Map.copyOf(this.prices));
		}
		KcpSessionRegistry registry = this.sessions.getIfAvailable();
		return (registry != null) ? registry.broadcast(TICK_ROUTE, tick,
				(session) -> Boolean.TRUE.equals(session.attributes().get(SUBSCRIBED))) : 0;
	}

}
