package io.github.kcp.core.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The aiokcp crypto vectors (a copy of {@code shared/testdata/aiokcp-crypto-vectors.json} on
 * the test classpath) and a cache of the ciphers derived from them.
 * <p>
 * The file is read with two regular expressions rather than a JSON library because kcp-core
 * has none; it is flat (an array of objects whose values are strings or integers), and
 * {@link #load()} fails loudly if an entry lacks a field, so a parsing slip cannot make the
 * vector tests pass vacuously.
 */
final class CryptoTestVectors {

	static final String RESOURCE = "/aiokcp-crypto-vectors.json";

	private static final Pattern OBJECT = Pattern.compile("\\{([^{}]*)\\}");

	private static final Pattern FIELD = Pattern
		.compile("\"(\\w+)\"\\s*:\\s*(?:\"([^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+)\"|(-?\\d+))");

	// PBKDF2 with 480,000 iterations costs about a second: derive each (key, salt) once per JVM
	private static final Map<String, AesCbcHmacCipher> DERIVED = new ConcurrentHashMap<>();

	private static volatile List<Vector> vectors;

	private CryptoTestVectors() {
	}

	static List<Vector> load() {
		List<Vector> loaded = vectors;
		if (loaded == null) {
			loaded = parse(readResource());
			vectors = loaded;
		}
		return loaded;
	}

	static String readResource() {
		try (InputStream in = CryptoTestVectors.class.getResourceAsStream(RESOURCE)) {
			if (in == null) {
				throw new IllegalStateException(RESOURCE + " is not on the test classpath");
			}
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static List<Vector> parse(String json) {
		int start = json.indexOf("\"vectors\"");
		if (start < 0) {
			throw new IllegalStateException(RESOURCE + " has no \"vectors\" array");
		}
		List<Vector> result = new ArrayList<>();
		Matcher object = OBJECT.matcher(json);
		object.region(start, json.length());
		while (object.find()) {
			Map<String, String> fields = new HashMap<>();
			Matcher field = FIELD.matcher(object.group(1));
			while (field.find()) {
				fields.put(field.group(1), (field.group(2) != null) ? field.group(2) : field.group(3));
			}
			result.add(new Vector(require(fields, "name"), hex(fields, "key_hex"), hex(fields, "salt_hex"),
					Integer.parseInt(require(fields, "iterations")), hex(fields, "iv_hex"), hex(fields, "plaintext_hex"),
					hex(fields, "datagram_hex"), hex(fields, "signing_key_hex"), hex(fields, "encryption_key_hex")));
		}
		return List.copyOf(result);
	}

	private static String require(Map<String, String> fields, String name) {
		String value = fields.get(name);
		if (value == null) {
			throw new IllegalStateException("A vector in " + RESOURCE + " lacks \"" + name + "\": " + fields.keySet());
		}
		return value;
	}

	private static byte[] hex(Map<String, String> fields, String name) {
		return HexFormat.of().parseHex(require(fields, name));
	}

	/**
	 * Return the cipher derived from the vector's key, salt and iterations, deriving it at most
	 * once per JVM.
	 */
	static AesCbcHmacCipher derived(Vector vector) {
		String cacheKey = HexFormat.of().formatHex(vector.key()) + "/" + HexFormat.of().formatHex(vector.salt()) + "/"
				+ vector.iterations();
		return DERIVED.computeIfAbsent(cacheKey,
				(k) -> AesCbcHmacCipher.derive(vector.key(), vector.salt(), vector.iterations()));
	}

	/**
	 * Return a cipher built from the vector's published keys, without any derivation.
	 */
	static AesCbcHmacCipher fromKeys(Vector vector) {
		return AesCbcHmacCipher.fromDerivedKeys(vector.signingKey(), vector.encryptionKey());
	}

	/**
	 * One aiokcp {@code aes-cbc-hmac} vector.
	 */
	record Vector(String name, byte[] key, byte[] salt, int iterations, byte[] iv, byte[] plaintext, byte[] datagram,
			byte[] signingKey, byte[] encryptionKey) {

		@Override
		public String toString() {
			return this.name;
		}

	}

}
