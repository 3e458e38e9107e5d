package io.github.kcp.spring.architecture;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.github.kcp.spring.core.KcpTemplate;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kcp-spring is the Spring library without Spring Boot: its compiled classes refer to no Boot type, no Netty type
 * (Netty stays inside kcp-core), no Spring Integration type (stream framing takes spring-core's codec interfaces),
 * and name no Boot property (those belong to the auto-configuration module).
 */
class ModuleBoundaryTests {

	private static final List<String> FORBIDDEN = List.of("org/springframework/boot", "org.springframework.boot",
			"io/netty", "org/springframework/integration", "kcp.server.", "kcp.client.", "kcp.crypto.",
			"spring.threads");

	@Test
	void classesReferToNeitherBootNorNettyNorBootProperties() throws Exception {
		List<Path> classes = compiledClasses();
		assertThat(classes).as("compiled classes of kcp-spring").hasSizeGreaterThan(20);
		List<String> offences = new ArrayList<>();
		for (Path file : classes) {
			// Class names, descriptors and string constants are in the constant pool as (modified) UTF-8.
			String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
			for (String forbidden : FORBIDDEN) {
				if (content.contains(forbidden)) {
					offences.add(file.getFileName() + " contains " + forbidden);
				}
			}
		}
		assertThat(offences).isEmpty();
	}

	private static List<Path> compiledClasses() throws IOException, URISyntaxException {
		Path root = Path.of(KcpTemplate.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		try (Stream<Path> files = Files.walk(root)) {
			return files.filter((file) -> file.toString().endsWith(".class")).toList();
		}
	}

}
