package io.github.kcp.core.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Creates the built-in {@link PacketCipher packet ciphers} from configuration.
 * <p>
 * Typical use, with key and salt given as text in properties:
 * <pre class="code">
 * PacketCipher cipher = PacketCiphers.create("aes-cbc-hmac",
 * 		PacketCiphers.parseKeyMaterial(keyText), PacketCiphers.parseKeyMaterial(saltText));
 * </pre>
 * Creating an encrypting cipher runs PBKDF2 with 480,000 iterations, which takes in the order
 * of a second: create it once and share it.
 */
public final class PacketCiphers {

	private static final String HEX_PREFIX = "hex:";

	private static final String BASE64_PREFIX = "base64:";

	private PacketCiphers() {
	}

	/**
	 * Create the cipher for a mode given by name.
	 * @param mode {@code none}, {@code aes-cbc-hmac} or {@code aes-gcm} (see
	 * {@link CipherMode#fromName(String)})
	 * @param key the raw key bytes; ignored, and may be {@code null}, for {@code none}
	 * @param salt the raw salt bytes; ignored, and may be {@code null}, for {@code none}
	 * @return the cipher, {@link PacketCipher#NONE} for {@code none}
	 * @throws IllegalArgumentException if the mode is unknown
	 * @see #of(CipherMode, byte[], byte[])
	 */
	public static PacketCipher create(String mode, byte @Nullable [] key, byte @Nullable [] salt) {
		return of(CipherMode.fromName(mode), key, salt);
	}

	/**
	 * Create the cipher for a mode.
	 * <ul>
	 * <li>{@link CipherMode#NONE}: {@link PacketCipher#NONE}; key and salt are ignored.</li>
	 * <li>{@link CipherMode#AES_CBC_HMAC}: {@link AesCbcHmacCipher#derive(byte[], byte[])},
	 * the same keys aiokcp's {@code get_crypto(key, salt)} derives.</li>
	 * <li>{@link CipherMode#AES_GCM}: {@link AesGcmCipher#derive(byte[], byte[])}; the key is
	 * always treated as a passphrase, even when it happens to be 16, 24 or 32 bytes long (use
	 * {@link AesGcmCipher#withKey(byte[])} for a raw AES key).</li>
	 * </ul>
	 * @param mode the mode
	 * @param key the raw key bytes, possibly empty; required unless the mode is {@code NONE}
	 * @param salt the raw salt bytes, possibly empty; required unless the mode is {@code NONE}
	 * @return the cipher
	 * @throws IllegalArgumentException if the mode needs a key or salt that is {@code null}
	 */
	public static PacketCipher of(CipherMode mode, byte @Nullable [] key, byte @Nullable [] salt) {
		Objects.requireNonNull(mode, "Cipher mode must not be null");
		if (mode == CipherMode.NONE) {
			return PacketCipher.NONE;
		}
		if (key == null || salt == null) {
			throw new IllegalArgumentException("Packet cipher mode '" + mode.modeName() + "' needs both a key and a salt ("
					+ ((key == null) ? "key" : "salt") + " is missing); configure them or use mode 'none'");
		}
		return switch (mode) {
			case AES_CBC_HMAC -> AesCbcHmacCipher.derive(key, salt);
			case AES_GCM -> AesGcmCipher.derive(key, salt);
			case NONE -> throw new IllegalStateException("Mode 'none' was handled above");
		};
	}

	/**
	 * Convert key or salt text from configuration to bytes.
	 * <ul>
	 * <li>{@code hex:0a1b...}: the bytes written in hexadecimal, two digits per byte, either
	 * case.</li>
	 * <li>{@code base64:...}: the bytes written in Base64, standard or URL-safe alphabet,
	 * padding optional.</li>
	 * <li>anything else: the UTF-8 encoding of the text, as aiokcp's {@code b'...'} keys.</li>
	 * </ul>
	 * The prefixes are case-sensitive. To use a passphrase that itself starts with
	 * {@code hex:} or {@code base64:}, write its UTF-8 bytes with one of the prefixes.
	 * Error messages never repeat the key text.
	 * @param text the configured text
	 * @return the bytes, possibly empty
	 * @throws IllegalArgumentException if the text after {@code hex:} or {@code base64:} is
	 * not valid in that encoding
	 */
	public static byte[] parseKeyMaterial(String text) {
		Objects.requireNonNull(text, "Key material text must not be null");
		if (text.startsWith(HEX_PREFIX)) {
			return parseHex(text.substring(HEX_PREFIX.length()));
		}
		if (text.startsWith(BASE64_PREFIX)) {
			return parseBase64(text.substring(BASE64_PREFIX.length()));
		}
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static byte[] parseHex(String hex) {
		if (hex.length() % 2 != 0) {
			throw new IllegalArgumentException("Invalid 'hex:' key material: " + hex.length()
					+ " digits is an odd number; write two hex digits per byte");
		}
		for (int i = 0; i < hex.length(); i++) {
			if (!isHexDigit(hex.charAt(i))) {
				// The position only: the offending character is part of a secret
				throw new IllegalArgumentException("Invalid 'hex:' key material: character at position " + i
						+ " after the prefix is not a hex digit (0-9, a-f, A-F)");
			}
		}
		return HexFormat.of().parseHex(hex);
	}

	private static boolean isHexDigit(char c) {
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	}

	private static byte[] parseBase64(String base64) {
		// Accept the URL-safe alphabet too: keys are often generated with either
		String standard = base64.replace('-', '+').replace('_', '/');
		try {
			return Base64.getDecoder().decode(standard);
		}
		catch (IllegalArgumentException ex) {
			// Not chained: the decoder's message quotes the offending character of the secret
			throw new IllegalArgumentException("Invalid 'base64:' key material: not valid Base64 (standard or "
					+ "URL-safe alphabet, padding optional, no whitespace)");
		}
	}

}
