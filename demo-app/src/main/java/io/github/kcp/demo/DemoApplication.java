package io.github.kcp.demo;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A small price desk served over KCP with the Spring Boot starter.
 * <p>
 * The server side is {@link DeskHandlers}: {@code @KcpHandler} methods answering JSON quote requests, text commands
 * and binary echoes on UDP port 9700 ({@code kcp.server.port}). The client side is {@link DeskClient}: a
 * {@code KcpTemplate} that exercises the three handlers every few seconds and logs the round-trip times. Both are
 * configured in {@code application.yml}; {@code kcp.crypto.mode} switches packet encryption on.
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
