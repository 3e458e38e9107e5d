package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketCiphers;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.StringUtils;

/**
 * Creates the {@link PacketCipher} described by {@code kcp.crypto.*}, reporting problems against the property
 * that holds them and never repeating key material.
 */
final class PacketCipherFactory {

	/** Shown instead of a key or salt in failure reports. */
	private static final String HIDDEN = "******";

	private PacketCipherFactory() {
	}

	/**
	 * Create the cipher. For an encrypting mode this derives the keys with PBKDF2 (480,000 iterations, in the order
	 * of half a second), so call it once and share the result.
	 * @param crypto the crypto properties
	 * @return the cipher, {@link PacketCipher#NONE} for mode none
	 * @throws InvalidConfigurationPropertyValueException if the key or salt is missing or malformed
	 */
	static PacketCipher create(KcpProperties.Crypto crypto) {
		CipherMode mode = crypto.getMode();
		if (mode == null) {
			throw new InvalidConfigurationPropertyValueException("kcp.crypto.mode", null,
					"A mode is required: none, aes-cbc-hmac or aes-gcm");
		}
		if (mode == CipherMode.NONE) {
			return PacketCipher.NONE;
		}
		byte[] key = parse("kcp.crypto.key", crypto.getKey(), mode);
		byte[] salt = parse("kcp.crypto.salt", crypto.getSalt(), mode);
		return PacketCiphers.of(mode, key, salt);
	}

	private static byte[] parse(String property, @Nullable String text, CipherMode mode) {
		if (!StringUtils.hasLength(text)) {
			throw new InvalidConfigurationPropertyValueException(property, text,
					"Required when kcp.crypto.mode is '" + mode.modeName()
							+ "'; set it (text, or raw bytes as hex:... or base64:...) or set kcp.crypto.mode to none");
		}
		try {
			return PacketCiphers.parseKeyMaterial(text);
		}
		catch (IllegalArgumentException ex) {
			// The core's message never quotes the secret, and neither does the value reported here
			throw new InvalidConfigurationPropertyValueException(property, HIDDEN, ex.getMessage(), ex);
		}
	}

}
