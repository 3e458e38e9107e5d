package io.github.kcp.demo;

import java.time.Duration;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.spring.core.KcpTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One property, {@code kcp.crypto.mode}, switches the demo's packet encryption on (the key and salt come from
 * application.yml), and the desk still answers its client.
 */
@SpringBootTest(properties = { "kcp.server.port=0", "demo.raw.port=0", "demo.telemetry.port=0",
		"demo.client.enabled=false", "kcp.crypto.mode=aes-gcm" })
@Timeout(60)
class DemoApplicationEncryptedTests {

	@Autowired
	private KcpTemplate template;

	@Autowired
	private DeskClient client;

	@Test
	void encryptedDeskAnswers() {
		PacketCipher cipher = this.template.getPacketCipher();
		assertThat(cipher).isNotNull();
		assertThat(cipher.overhead()).isPositive();

		assertThat(this.template.sendAndReceiveBlocking(this.client.target(), "quote.price.KCP", "", String.class,
				Duration.ofSeconds(5))).startsWith("KCP ");
		assertThat(this.client.runRound().symbols()).hasSize(4);
	}

}
