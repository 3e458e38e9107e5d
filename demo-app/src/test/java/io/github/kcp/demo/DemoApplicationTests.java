package io.github.kcp.demo;

import java.math.BigDecimal;
import java.time.Duration;

import io.github.kcp.spring.core.KcpTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo application starts on a free port and answers JSON, text and binary requests over KCP.
 */
@SpringBootTest(properties = { "kcp.server.port=0", "demo.client.enabled=false" })
@Timeout(60)
class DemoApplicationTests {

	private static final Duration WAIT = Duration.ofSeconds(5);

	@Autowired
	private KcpTemplate template;

	@Autowired
	private DeskClient client;

	@Test
	void answersAJsonQuoteRequest() {
		Quote quote = this.template.sendAndReceiveBlocking(this.client.target(), null, new QuoteRequest("kcp", 4),
				Quote.class, WAIT);

		assertThat(quote.symbol()).isEqualTo("KCP");
		assertThat(quote.quantity()).isEqualTo(4);
		assertThat(quote.unitPrice()).isPositive();
		assertThat(quote.total()).isEqualByComparingTo(quote.unitPrice().multiply(BigDecimal.valueOf(4)));
	}

	@Test
	void answersTextCommandsAndEchoesBytes() {
		assertThat(this.template.sendAndReceiveBlocking(this.client.target(), null, "PING", String.class, WAIT))
			.isEqualTo("PONG");
		assertThat(this.template.sendAndReceiveBlocking(this.client.target(), null, "SYMBOLS", String.class, WAIT))
			.isEqualTo("ARQ KCP RTO UDP");
		byte[] binary = { (byte) 0xff, 0, 1, 2, (byte) 0xfe };
		assertThat(this.template.sendAndReceiveBlocking(this.client.target(), null, binary, byte[].class, WAIT))
			.isEqualTo(binary);
	}

	@Test
	void demoClientRoundSucceeds() {
		DeskClient.RoundResult result = this.client.runRound();

		assertThat(result.quote().total()).isPositive();
		assertThat(result.priceLine()).startsWith(result.quote().symbol() + " ");
		assertThat(result.echoedBytes()).isEqualTo(256);
	}

}
