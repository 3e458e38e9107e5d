package io.github.kcp.spring.boot.autoconfigure.health;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpServerFailedException;
import io.github.kcp.spring.boot.autoconfigure.KcpAutoConfiguration;
import io.github.kcp.spring.boot.autoconfigure.KcpServerContainerConfigurer;
import io.github.kcp.spring.boot.autoconfigure.ObservedHandlers;
import io.github.kcp.spring.config.KcpHandlerRegistry;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/**
 * The {@code kcp} health contributor: present with a server container and Boot's health module, off by property;
 * UP while serving with the documented details, one component per server when there are several, DOWN when the
 * server closed on its own (with the error when one on its event loop stopped it), OUT_OF_SERVICE while stopping, UNKNOWN when not running.
 */
@Timeout(60)
class KcpHealthContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, KcpAutoConfiguration.class,
				KcpHealthContributorAutoConfiguration.class))
		.withUserConfiguration(ObservedHandlers.class)
		.withPropertyValues(ObservedHandlers.PROPERTIES);

	@Test
	void upWhileTheServerServes() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasBean("kcpHealthContributor");
			HealthIndicator indicator = context.getBean("kcpHealthContributor", HealthIndicator.class);
			Health health = indicator.health();
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("state", "serving")
				.containsEntry("server", "default")
				.containsEntry("address", "127.0.0.1:" + container.getPort())
				.containsEntry("sessions", 0)
				.containsEntry("maxSessions", 10_000)
				.containsEntry("droppedDatagrams", 0L)
				.containsEntry("messageFormat", KcpMessageFormat.ENVELOPE);
			container.stop();
			assertThat(indicator.health().getStatus()).isEqualTo(Status.UNKNOWN);
		});
	}

	@Test
	void oneComponentPerServer() {
		this.contextRunner.withUserConfiguration(SecondServer.class).run((context) -> {
			HealthContributor contributor = context.getBean("kcpHealthContributor", HealthContributor.class);
			assertThat(contributor).isInstanceOf(CompositeHealthContributor.class);
			CompositeHealthContributor composite = (CompositeHealthContributor) contributor;
			assertThat(composite.getContributor("kcpServerContainer")).isInstanceOf(KcpHealthIndicator.class);
			assertThat(((HealthIndicator) composite.getContributor("secondServer")).health().getStatus())
				.isEqualTo(Status.UP);
		});
	}

	@Test
	void offWithItsProperty() {
		this.contextRunner.withPropertyValues("management.health.kcp.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean("kcpHealthContributor"));
	}

	@Test
	void absentWithoutAServer() {
		this.contextRunner.withPropertyValues("kcp.server.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(KcpServerContainer.class);
			assertThat(context).doesNotHaveBean("kcpHealthContributor");
		});
	}

	@Test
	void absentWithoutBootHealth() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(HealthContributor.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean("kcpHealthContributor"));
	}

	@Test
	void downWhenTheServerClosedOnItsOwnAndOutOfServiceWhileStopping() {
		KcpServerContainer container = mock(KcpServerContainer.class);
		KcpServer server = mock(KcpServer.class);
		given(container.getName()).willReturn("default");
		given(container.getMessageFormat()).willReturn(KcpMessageFormat.RAW);
		given(container.getServer()).willReturn(server);
		given(container.isRunning()).willReturn(true);
		given(server.localAddress()).willReturn(new InetSocketAddress("127.0.0.1", 9700));
		given(server.closeFuture()).willReturn(CompletableFuture.completedFuture(null));
		given(server.isClosing()).willReturn(true);
		KcpHealthIndicator indicator = new KcpHealthIndicator(container);
		assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
		given(container.isStopping()).willReturn(true);
		assertThat(indicator.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
	}

	@Test
	void downWithTheErrorWhenAnErrorOnTheEventLoopStoppedTheServer() {
		this.contextRunner.withBean("kcpPacketCipher", PacketCipher.class, ExhaustedCipher::new).run((context) -> {
			KcpServerContainer container = context.getBean(KcpServerContainer.class);
			HealthIndicator indicator = context.getBean("kcpHealthContributor", HealthIndicator.class);
			assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
			try (DatagramSocket socket = new DatagramSocket()) {
				byte[] datagram = new byte[64];
				socket.send(new DatagramPacket(datagram, datagram.length, InetAddress.getLoopbackAddress(),
						container.getPort()));
			}
			// The server fails loudly and the container stops with it
			await().atMost(Duration.ofSeconds(10)).until(() -> container.getFailure() != null);
			assertThat(container.isRunning()).isFalse();
			assertThat(container.getFailure()).isInstanceOf(KcpServerFailedException.class)
				.hasCauseInstanceOf(OutOfMemoryError.class);
			Health health = indicator.health();
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			assertThat(health.getDetails()).containsEntry("error",
					"java.lang.OutOfMemoryError: injected while decrypting");
		});
	}

	/** A cipher that runs out of memory on the event loop as soon as a datagram arrives. */
	static final class ExhaustedCipher implements PacketCipher {

		@Override
		public String name() {
			return "exhausted";
		}

		@Override
		public int overhead() {
			return 0;
		}

		@Override
		public byte[] encrypt(byte[] plaintext, int offset, int length) {
			return java.util.Arrays.copyOfRange(plaintext, offset, offset + length);
		}

		@Override
		public byte[] decrypt(byte[] datagram, int offset, int length) {
			throw new OutOfMemoryError("injected while decrypting");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SecondServer {

		@Bean
		KcpServerContainer secondServer(KcpServerContainerConfigurer configurer, KcpHandlerRegistry registry) {
			KcpServerContainer container = new KcpServerContainer(registry);
			configurer.configure(container);
			container.setId("second");
			container.setStartWithoutHandlers(true);
			container.setBindAddress(new InetSocketAddress("127.0.0.1", 0));
			return container;
		}

	}

}
