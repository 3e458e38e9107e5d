package io.github.kcp.demo;

import java.math.BigDecimal;
import java.util.Map;

/**
 * The prices after one move of the {@link PriceBook}, pushed to subscribed sessions (JSON).
 *
 * @param sequence the price book's update counter
 * @param prices the price of one unit of each symbol
 */
public record PriceTick(long sequence, Map<String, BigDecimal> prices) {
}
