package io.github.kcp.demo;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The desk's prices: a few instruments whose prices take a small random step every second.
 */
@Component
public class PriceBook {

	private final Map<String, BigDecimal> prices = new TreeMap<>(Map.of("KCP", new BigDecimal("12.50"), "UDP",
			new BigDecimal("3.20"), "ARQ", new BigDecimal("48.00"), "RTO", new BigDecimal("0.95")));

	private final AtomicLong sequence = new AtomicLong();

	/**
	 * The current price of one unit.
	 * @param symbol the instrument, case-insensitive
	 * @return the price, or empty for an unknown symbol
	 */
	public synchronized Optional<BigDecimal> price(String symbol) {
		return Optional.ofNullable(this.prices.get(symbol.toUpperCase(java.util.Locale.ROOT)));
	}

	/** The instruments the desk quotes. */
	public synchronized Set<String> symbols() {
		return Set.copyOf(this.prices.keySet());
	}

	/** How many times the prices moved. */
	public long sequence() {
		return this.sequence.get();
	}

	/** Moves every price by up to one percent, never below one cent. */
	@Scheduled(fixedRate = 1000)
	public synchronized void tick() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		this.prices.replaceAll((symbol, price) -> {
			BigDecimal step = price.multiply(BigDecimal.valueOf(random.nextDouble(-0.01, 0.01)));
			return price.add(step).max(new BigDecimal("0.01")).setScale(2, RoundingMode.HALF_EVEN);
		});
		this.sequence.incrementAndGet();
	}

}
