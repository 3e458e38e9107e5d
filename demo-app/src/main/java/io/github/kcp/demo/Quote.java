package io.github.kcp.demo;

import java.math.BigDecimal;

/**
 * The desk's answer to a {@link QuoteRequest} (JSON).
 *
 * @param symbol the instrument
 * @param quantity how many units
 * @param unitPrice the current price of one unit
 * @param total {@code unitPrice} times {@code quantity}
 * @param sequence the price book's update counter when the quote was made
 */
public record Quote(String symbol, int quantity, BigDecimal unitPrice, BigDecimal total, long sequence) {
}
