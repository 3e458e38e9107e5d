package io.github.kcp.core.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The protocol package is a pure state machine: its compiled classes reference no network, no channels, no
 * threads, no clock, no Netty and no Spring. Class names and member names appear verbatim in a class file's
 * constant pool, so searching the bytes is exact enough.
 */
class ProtocolPurityTest {

	private static final List<String> FORBIDDEN = List.of("java/net/", "java/nio/channels/", "java/lang/Thread",
			"java/util/concurrent/", "java/time/", "currentTimeMillis", "nanoTime", "io/netty/",
			"org/springframework/");

	@Test
	void protocolClassesReferenceNoIoThreadsOrClock() throws Exception {
		Path packageDir = Path.of(Kcp.class.getProtectionDomain().getCodeSource().getLocation().toURI())
			.resolve("io/github/kcp/core/protocol");
		List<Path> classes;
		try (Stream<Path> files = Files.list(packageDir)) {
			classes = files.filter((p) -> p.toString().endsWith(".class")).toList();
		}
		assertThat(classes).extracting((p) -> p.getFileName().toString()).contains("Kcp.class", "KcpCodec.class");
		for (Path classFile : classes) {
			String content = read(classFile);
			for (String forbidden : FORBIDDEN) {
				assertThat(content).as("%s must not reference %s", classFile.getFileName(), forbidden)
					.doesNotContain(forbidden);
			}
		}
	}

	private static String read(Path classFile) throws IOException {
		// ISO-8859-1 maps every byte to one char, so ASCII names are found wherever they are.
		return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
	}

}
