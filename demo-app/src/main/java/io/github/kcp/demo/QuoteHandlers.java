package io.github.kcp.demo;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;

import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.stereotype.Component;

/**
 * The desk's routes for Spring clients (the default server, messaging envelope): {@code quote.get},
 * {@code quote.price.<symbol>} and {@code quote.symbols}, composed from the class-level prefix {@code quote}.
 */
@Component
@KcpHandler("quote")
public class QuoteHandlers {

	private final PriceBook priceBook;

	/**
	 * Handlers over the given prices.
	 * @param priceBook the prices
	 */
	public QuoteHandlers(PriceBook priceBook) {
		this.priceBook = priceBook;
	}

	/**
	 * Prices a {@link QuoteRequest}; the {@link Quote} goes back as JSON in a reply frame.
	 * @param request the request
	 * @param session the caller's session, which from now on receives the price ticks
	 * @return the quote
	 * @throws IllegalArgumentException for an unknown symbol or a quantity below one; the caller's future fails with
	 * a {@code KcpRemoteException} carrying this message
	 */
	@KcpHandler("get")
	public Quote quote(QuoteRequest request, KcpSession session) {
		if (request.quantity() < 1) {
			throw new IllegalArgumentException("Quantity must be at least 1 but was " + request.quantity());
		}
		String symbol = request.symbol().toUpperCase(Locale.ROOT);
		BigDecimal unitPrice = this.priceBook.price(symbol)
			.orElseThrow(() -> new IllegalArgumentException("Unknown symbol '" + request.symbol() + "'"));
		session.attributes().put(PriceBook.SUBSCRIBED, Boolean.TRUE);
		return new Quote(symbol, request.quantity(), unitPrice,
				unitPrice.multiply(BigDecimal.valueOf(request.quantity())), this.priceBook.sequence());
	}

	/**
	 * The price of one unit, the symbol taken from the route.
	 * @param symbol the route's last part
	 * @return the price as text, for example {@code KCP 12.50}
	 */
	@KcpHandler("price.{symbol}")
	public String price(@DestinationVariable String symbol) {
		return this.priceBook.price(symbol)
			.map((price) -> symbol.toUpperCase(Locale.ROOT) + " " + price.toPlainString())
			.orElseThrow(() -> new IllegalArgumentException("Unknown symbol '" + symbol + "'"));
	}

	/**
	 * The symbols the desk quotes.
	 * @return the symbols, sorted (JSON array)
	 */
	@KcpHandler("symbols")
	public List<String> symbols() {
		return this.priceBook.symbols().stream().sorted().toList();
	}

}
