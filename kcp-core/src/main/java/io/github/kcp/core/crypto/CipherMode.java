package io.github.kcp.core.crypto;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The built-in packet encryption modes, as named in configuration ({@code kcp.crypto.mode}).
 *
 * @see PacketCiphers#of(CipherMode, byte[], byte[])
 */
public enum CipherMode {

	/** No encryption: datagrams are sent as the KCP engine produced them. */
	NONE("none"),

	/** {@link AesCbcHmacCipher}: AES-256-CBC with HMAC-SHA256, wire-compatible with aiokcp. */
	AES_CBC_HMAC(AesCbcHmacCipher.NAME),

	/** {@link AesGcmCipher}: AES-GCM with a random nonce. */
	AES_GCM(AesGcmCipher.NAME);

	private final String modeName;

	CipherMode(String modeName) {
		this.modeName = modeName;
	}

	/**
	 * Return the name of this mode in configuration, such as {@code aes-cbc-hmac}.
	 * @return the mode name
	 */
	public String modeName() {
		return this.modeName;
	}

	/**
	 * Return the mode with the given name. Case is ignored and {@code _} may stand for
	 * {@code -}, so {@code AES_GCM} (the constant name) is accepted as well as {@code aes-gcm}.
	 * @param name the name of a mode: {@code none}, {@code aes-cbc-hmac} or {@code aes-gcm}
	 * @return the mode
	 * @throws IllegalArgumentException if no mode has that name
	 */
	public static CipherMode fromName(String name) {
		Objects.requireNonNull(name, "Cipher mode name must not be null");
		String normalized = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
		for (CipherMode mode : values()) {
			if (mode.modeName.equals(normalized)) {
				return mode;
			}
		}
		throw new IllegalArgumentException("Unknown packet cipher mode '" + name + "'; use one of "
				+ Arrays.stream(values()).map(CipherMode::modeName).collect(Collectors.joining(", ")));
	}

}
