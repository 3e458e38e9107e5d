package io.github.kcp.core.dtls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DTLS package is sans-IO like the protocol package: its compiled classes reference no network, no
 * channels, no threads, no clock, no Netty and no Spring (the JDK's engine inside reads the clock only to
 * check certificate dates).
 */
class DtlsPurityTest {

	private static final List<String> FORBIDDEN = List.of("java/net/", "java/nio/channels/", "java/lang/Thread",
			"java/util/concurrent/", "java/time/", "currentTimeMillis", "nanoTime", "io/netty/",
			"org/springframework/");

	@Test
	void dtlsClassesReferenceNoIoThreadsOrClock() throws Exception {
		Path packageDir = Path.of(DtlsConnection.class.getProtectionDomain().getCodeSource().getLocation().toURI())
			.resolve("io/github/kcp/core/dtls");
		List<Path> classes;
		try (Stream<Path> files = Files.list(packageDir)) {
			classes = files.filter((p) -> p.toString().endsWith(".class")).toList();
		}
		assertThat(classes).extracting((p) -> p.getFileName().toString())
			.contains("DtlsConnection.class", "DtlsCookieGate.class");
		for (Path classFile : classes) {
			String content = new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
			for (String forbidden : FORBIDDEN) {
				assertThat(content).as("%s must not reference %s", classFile.getFileName(), forbidden)
					.doesNotContain(forbidden);
			}
		}
	}

}
