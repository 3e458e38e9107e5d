package io.github.kcp.demo;

import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.time.Duration;

import io.github.kcp.spring.core.KcpRemoteException;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The demo starts both desks on free ports: the envelope desk answers routed requests and pushes price ticks to its
 * Spring client, the raw desk answers any KCP peer.
 */
@SpringBootTest(properties = { "kcp.server.port=0", "demo.raw.port=0", "demo.telemetry.port=0",
		"demo.client.enabled=false" })
@Timeout(60)
class DemoApplicationTests {

	private static final Duration WAIT = Duration.ofSeconds(5);

	@Autowired
	private KcpTemplate template;

	@Autowired
	private DeskClient client;

	@Autowired
	private PriceBook priceBook;

	@Autowired
	private PriceTicks ticks;

	@Value("${local.kcp.server.raw.port}")
	private int rawPort;

	@Test
	void answersRoutedRequests() {
		Quote quote = this.template.sendAndReceiveBlocking("quote.get", new QuoteRequest("kcp", 4), Quote.class);

		assertThat(quote.symbol()).isEqualTo("KCP");
		assertThat(quote.quantity()).isEqualTo(4);
		assertThat(quote.unitPrice()).isPositive();
		assertThat(quote.total()).isEqualByComparingTo(quote.unitPrice().multiply(BigDecimal.valueOf(4)));
		assertThat(this.template.sendAndReceiveBlocking("quote.price.UDP", "", String.class)).startsWith("UDP ");
		assertThatExceptionOfType(KcpRemoteException.class)
			.isThrownBy(() -> this.template.sendAndReceiveBlocking("quote.get", new QuoteRequest("XYZ", 1),
					Quote.class))
			.withMessageContaining("Unknown symbol 'XYZ'");
	}

	@Test
	void pushesPriceTicksToSubscribedSessions() {
		this.template.sendAndReceiveBlocking("quote.get", new QuoteRequest("ARQ", 1), Quote.class);
		long before = this.ticks.received();

		assertThat(this.priceBook.tick()).as("sessions told").isPositive();

		await().atMost(WAIT).until(() -> this.ticks.received() > before);
		assertThat(this.ticks.last().prices()).containsKeys("KCP", "UDP", "ARQ", "RTO");
	}

	@Test
	void theRawDeskAnswersTextCommandsAndEchoesBytes() {
		try (KcpTemplate raw = new KcpTemplate(this.template.getConfig(), KcpMessageConverters.create())) {
			raw.setPacketCipher(this.template.getPacketCipher());
			raw.setMessageFormat(KcpMessageFormat.RAW);
			InetSocketAddress desk = new InetSocketAddress("127.0.0.1", this.rawPort);
			assertThat(raw.sendAndReceiveBlocking(desk, null, "PING", String.class, WAIT)).isEqualTo("PONG");
			assertThat(raw.sendAndReceiveBlocking(desk, null, "SYMBOLS", String.class, WAIT))
				.isEqualTo("ARQ KCP RTO UDP");
			byte[] binary = { (byte) 0xff, 0, 1, 2, (byte) 0xfe };
			assertThat(raw.sendAndReceiveBlocking(desk, null, binary, byte[].class, WAIT)).isEqualTo(binary);
		}
	}

	@Test
	void demoClientRoundSucceeds() {
		DeskClient.RoundResult result = this.client.runRound();

		assertThat(result.quote().total()).isPositive();
		assertThat(result.priceLine()).startsWith(result.quote().symbol() + " ");
		assertThat(result.symbols()).contains("KCP", "UDP", "ARQ", "RTO");
	}

}
