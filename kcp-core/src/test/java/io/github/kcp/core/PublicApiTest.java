package io.github.kcp.core;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.github.kcp.core.connection.KcpSessionStats;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public API of kcp-core, checked on its compiled classes: no Netty type appears in a public or protected
 * signature (Netty is an implementation detail a user never has to import), no public class extends a transport
 * internal, every public unchecked exception descends from {@link KcpException}, and snapshots such as
 * {@link KcpSessionStats} are not built by users.
 */
class PublicApiTest {

	@Test
	void noNettyTypeInAnyPublicSignature() throws Exception {
		List<String> leaks = new ArrayList<>();
		for (Class<?> type : publicClasses()) {
			check(leaks, type + " extends", type.getGenericSuperclass());
			for (Type implemented : type.getGenericInterfaces()) {
				check(leaks, type + " implements", implemented);
			}
			for (Method method : type.getDeclaredMethods()) {
				if (isApi(method.getModifiers())) {
					check(leaks, method.toGenericString(), method.getGenericReturnType());
					checkParameters(leaks, method);
				}
			}
			for (Constructor<?> constructor : type.getDeclaredConstructors()) {
				if (isApi(constructor.getModifiers())) {
					checkParameters(leaks, constructor);
				}
			}
			for (Field field : type.getDeclaredFields()) {
				if (isApi(field.getModifiers())) {
					check(leaks, field.toGenericString(), field.getGenericType());
				}
			}
		}
		assertThat(leaks).isEmpty();
	}

	@Test
	void everyPublicUncheckedExceptionIsAKcpException() throws Exception {
		List<Class<?>> exceptions = publicClasses().stream()
			.filter(RuntimeException.class::isAssignableFrom)
			.toList();
		assertThat(exceptions).hasSizeGreaterThanOrEqualTo(6);
		assertThat(exceptions).allSatisfy((type) -> assertThat(KcpException.class).isAssignableFrom(type));
		// The blocking socket API throws IOExceptions, as java.net does.
		assertThat(publicClasses().stream().filter(Exception.class::isAssignableFrom)
			.filter((type) -> !RuntimeException.class.isAssignableFrom(type)))
			.allSatisfy((type) -> assertThat(IOException.class).isAssignableFrom(type));
	}

	@Test
	void statisticsAreSnapshotsUsersDoNotBuild() {
		assertThat(KcpSessionStats.class.getConstructors()).isEmpty();
	}

	private static void checkParameters(List<String> leaks, Executable executable) {
		for (Type parameter : executable.getGenericParameterTypes()) {
			check(leaks, executable.toGenericString(), parameter);
		}
		for (Type thrown : executable.getGenericExceptionTypes()) {
			check(leaks, executable.toGenericString(), thrown);
		}
	}

	private static void check(List<String> leaks, String where, Type type) {
		if (type != null && type.getTypeName().contains("io.netty")) {
			leaks.add(where + ": " + type.getTypeName());
		}
	}

	private static boolean isApi(int modifiers) {
		return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
	}

	/** The public classes of kcp-core's main output, nested ones included. */
	private static List<Class<?>> publicClasses() throws IOException, URISyntaxException, ClassNotFoundException {
		Path root = Path.of(KcpException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		List<Class<?>> classes = new ArrayList<>();
		try (Stream<Path> files = Files.walk(root)) {
			for (Path file : files.filter((p) -> p.toString().endsWith(".class")).toList()) {
				String name = root.relativize(file).toString().replace('/', '.').replace('\\', '.');
				name = name.substring(0, name.length() - ".class".length());
				if (name.endsWith("package-info")) {
					continue;
				}
				Class<?> type = Class.forName(name, false, PublicApiTest.class.getClassLoader());
				if (Modifier.isPublic(type.getModifiers()) && !type.isAnonymousClass()) {
					classes.add(type);
				}
			}
		}
		return classes;
	}

}
