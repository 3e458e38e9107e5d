package io.github.kcp.demo;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A small price desk served over KCP with the Spring Boot starter.
 * <p>
 * Two servers: {@link QuoteHandlers}, routed {@code @KcpHandler} methods for Spring clients on the default server
 * (messaging envelope, {@code kcp.server.port} 9701), and {@link RawDeskHandlers} for any KCP peer on a second,
 * raw server ({@link RawDeskConfiguration}, {@code demo.raw.port} 9700). {@link PriceBook} pushes price ticks to
 * subscribed sessions. The client side is {@link DeskClient}: the {@code KcpTemplate} exercising the routes every
 * few seconds, with {@link PriceTicks} receiving the pushes. Configured in {@code application.yml};
 * {@code kcp.crypto.mode} switches packet encryption on.
 */
@SpringBootApplication
@EnableScheduling
@ConfigurationPropertiesScan
public class DemoApplication {

	/**
	 * Start the desk; it serves until stopped.
	 * @param args command-line arguments, for example {@code --kcp.crypto.mode=aes-gcm}
	 */
	public static void main(String[] args) {
		SpringApplication.run(DemoApplication.class, args);
	}

}
