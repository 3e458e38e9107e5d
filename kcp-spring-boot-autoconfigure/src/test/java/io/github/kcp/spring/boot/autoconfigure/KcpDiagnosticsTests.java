package io.github.kcp.spring.boot.autoconfigure;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.event.KcpSessionOpenedEvent;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageConverters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A wrong key is visible in the logs of both ends, not only as client timeouts and a server counter.
 */
@Timeout(60)
@ExtendWith(OutputCaptureExtension.class)
class KcpDiagnosticsTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(KcpAutoConfiguration.class))
		.withUserConfiguration(Echo.class)
		.withPropertyValues("kcp.server.address=127.0.0.1", "kcp.server.port=0", "kcp.interval=10ms",
				"kcp.crypto.mode=aes-gcm", "kcp.crypto.key=hex:00112233445566778899aabbccddeeff",
				"kcp.crypto.salt=right salt");

	@Test
	void aClientWithAnotherKeyIsNamedByTheServerAndWarnedOfByItsTemplate(CapturedOutput output) {
		this.contextRunner.run((context) -> {
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			KcpTemplate wrongKey = new KcpTemplate(
					container.getConfig().toBuilder().closeTimeout(Duration.ofMillis(300)).build(),
					KcpMessageConverters.create());
			wrongKey.setPacketCipher(
					PacketCiphers.of(CipherMode.AES_GCM, "another key".getBytes(), "right salt".getBytes()));
			try {
				BlockingQueue<Object> events = new LinkedBlockingQueue<>();
				wrongKey.setApplicationEventPublisher(events::add);
				wrongKey.setUnansweredSessionWarning(Duration.ofMillis(300));
				wrongKey.send(container.getLocalAddress(), null, "hello?");
				KcpSessionOpenedEvent opened = (KcpSessionOpenedEvent) events.poll(10, TimeUnit.SECONDS);
				assertThat(opened).isNotNull();
				int clientPort = opened.getSession().localAddress().getPort();
				await().atMost(Duration.ofSeconds(10))
					.until(() -> output.getOut().contains("could not be decrypted")
							&& output.getOut().contains("has not answered"));
				assertThat(output.getOut()).contains("from [/127.0.0.1:" + clientPort + "]")
					.contains("kcp.crypto.mode, kcp.crypto.key and kcp.crypto.salt")
					.contains("same packet encryption (mode, key and salt)");
			}
			finally {
				wrongKey.destroy();
			}
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class Echo {

		@Bean
		Handler handler() {
			return new Handler();
		}

	}

	static class Handler {

		@KcpHandler
		String echo(String text) {
			return text;
		}

	}

}
