package io.github.kcp.demo;

import java.util.Locale;
import java.util.TreeSet;

import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.support.KcpHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.messaging.handler.annotation.Header;
import org.springframework.stereotype.Component;

/**
 * The desk for any KCP peer (the raw server, {@code server = "raw"}: no envelope, what kcp-tool, kcp-go and aiokcp
 * speak). Messages are routed by what they look like: UTF-8 text to {@link #command}, anything else to
 * {@link #echo}.
 */
@Component
@KcpHandler(server = RawDeskConfiguration.SERVER_ID)
public class RawDeskHandlers {

	private static final Logger logger = LoggerFactory.getLogger(RawDeskHandlers.class);

	private final PriceBook priceBook;

	/**
	 * Handlers over the given prices.
	 * @param priceBook the prices
	 */
	public RawDeskHandlers(PriceBook priceBook) {
		this.priceBook = priceBook;
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
	 * Echoes binary messages unchanged, so that any KCP echo client (for example {@code kcp-tool echo-client}) can
	 * measure the desk's round trip.
	 * @param payload the message
	 * @return the same bytes
	 */
	@KcpHandler
	public byte[] echo(byte[] payload) {
		return payload;
	}

}
