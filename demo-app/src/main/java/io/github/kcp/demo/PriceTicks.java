package io.github.kcp.demo;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.github.kcp.spring.annotation.KcpHandler;
import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Component;

/**
 * The client side of the price ticks: a client-side {@code @KcpHandler} that receives the {@code price.tick}
 * pushes the desk sends to its {@code KcpTemplate}.
 */
@Component
public class PriceTicks {

	private final AtomicReference<@Nullable PriceTick> last = new AtomicReference<>();

	private final AtomicLong received = new AtomicLong();

	/**
	 * Takes one pushed tick.
	 * @param tick the new prices
	 */
	@KcpHandler(value = PriceBook.TICK_ROUTE, side = KcpHandler.Side.CLIENT)
	public void onTick(PriceTick tick) {
		this.last.set(tick);
		this.received.incrementAndGet();
	}

	/** The last tick received, or {@code null}. */
	public @Nullable PriceTick last() {
		return this.last.get();
	}

	/** How many ticks were received. */
	public long received() {
		return this.received.get();
	}

}
