package io.github.kcp.demo;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.TreeSet;

import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.support.KcpHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.messaging.handler.annotation.Header;
import org.springframework.stereotype.Component;

/**
 * The desk's KCP server side. Messages are routed by what they look like (see {@code @KcpHandler}): a JSON object
 * goes to {@link #quote}, other UTF-8 text to {@link #command}, anything else to {@link #echo}.
 */
@Component
public class DeskHandlers {

	private static final Logger logger = LoggerFactory.getLogger(DeskHandlers.class);

	private final PriceBook priceBook;

	/**
	 * Handlers over the given prices.
	 * @param priceBook the prices
	 */
	public DeskHandlers(PriceBook priceBook) {
		this.priceBook = priceBook;
	}

	/**
	 * Prices a JSON {@link QuoteRequest}; the returned {@link Quote} goes back as JSON on the same session.
	 * @param request the request
	 * @return the quote
	 * @throws IllegalArgumentException for an unknown symbol or a quantity below one (logged by the server, no
	 * reply)
	 */
	@KcpHandler
	public Quote quote(QuoteRequest request) {
		if (request.quantity() < 1) {
			throw new IllegalArgumentException("Quantity must be at least 1 but was " + request.quantity());
		}
		BigDecimal unitPrice = this.priceBook.price(request.symbol())
			.orElseThrow(() -> new IllegalArgumentException("Unknown symbol '" + request.symbol() + "'"));
		return new Quote(request.symbol().toUpperCase(Locale.ROOT), request.quantity(), unitPrice,
				unitPrice.multiply(BigDecimal.valueOf(request.quantity())), this.priceBook.sequence());
	}

	/**
	 * Answers a text command: {@code PING}, {@code SYMBOLS} or {@code PRICE <symbol>}.
	 * @param line the command
	 * @param sessionId who sent it, for the log
	 * @return the answer, one line of text
	 */
	@KcpHandler
	public String command(String line, @Header(KcpHeaders.SESSION_ID) String sessionId) {
		String[] words = line.trim().split("\\s+");
		String verb = words[0].toUpperCase(Locale.ROOT);
		return switch (verb) {
			case "PING" -> "PONG";
			case "SYMBOLS" -> String.join(" ", new TreeSet<>(this.priceBook.symbols()));
			case "PRICE" -> (words.length == 2) ? this.priceBook.price(words[1])
				.map((price) -> words[1].toUpperCase(Locale.ROOT) + " " + price.toPlainString())
				.orElse("ERR unknown symbol " + words[1]) : "ERR usage: PRICE <symbol>";
			default -> {
				logger.debug("Unknown command from {}: {}", sessionId, line);
				yield "ERR unknown command; try PING, SYMBOLS or PRICE <symbol>";
			}
		};
	}

	/**
	 * Echoes binary messages unchanged, so that any KCP echo client (for example {@code kcp-tool echo-client})
	 * can measure the desk's round trip.
	 * @param payload the message
	 * @return the same bytes
	 */
	@KcpHandler
	public byte[] echo(byte[] payload) {
		return payload;
	}

}
