package io.github.kcp.demo;

/**
 * A client asks for the price of {@code quantity} units of {@code symbol} (JSON).
 *
 * @param symbol the instrument, for example {@code KCP}
 * @param quantity how many units
 */
public record QuoteRequest(String symbol, int quantity) {
}
