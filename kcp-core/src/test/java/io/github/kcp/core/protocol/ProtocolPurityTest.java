package io.github.kcp.core.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine ({@code protocol}) and the connection on top of it ({@code connection}) are pure state machines: their
 * compiled classes reference no network, no channels, no threads, no clock, no Netty, no Spring and no layer above
 * them. Class names and member names appear verbatim in a class file's constant pool, so searching the bytes is
 * exact enough. {@code java.time.Duration} is a value type (settings are durations) and reads no clock, so the
 * connection may use it; nothing else of {@code java.time}.
 */
class ProtocolPurityTest {

	private static final List<String> FORBIDDEN = List.of("java/net/", "java/nio/channels/", "java/lang/Thread",
			"java/util/concurrent/", "java/time/", "currentTimeMillis", "nanoTime", "io/netty/",
			"org/springframework/", "io/github/kcp/core/transport/", "io/github/kcp/core/socket/");

	@ParameterizedTest
	@CsvSource({ "protocol, Kcp.class, ''", "connection, KcpConnection.class, java/time/Duration" })
	void referencesNoIoThreadsOrClock(String packageName, String expectedClass, String allowed) throws Exception {
		Path packageDir = Path.of(Kcp.class.getProtectionDomain().getCodeSource().getLocation().toURI())
			.resolve("io/github/kcp/core/" + packageName);
		List<Path> classes;
		try (Stream<Path> files = Files.list(packageDir)) {
			classes = files.filter((p) -> p.toString().endsWith(".class")).toList();
		}
		assertThat(classes).extracting((p) -> p.getFileName().toString()).contains(expectedClass);
		for (Path classFile : classes) {
			String content = read(classFile);
			if (!allowed.isEmpty()) {
				content = content.replace(allowed, "");
			}
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
