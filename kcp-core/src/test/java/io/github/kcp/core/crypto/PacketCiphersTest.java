package io.github.kcp.core.crypto;

import java.nio.charset.StandardCharsets;

import io.github.kcp.core.crypto.CryptoTestVectors.Vector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * Tests for {@link PacketCiphers}, {@link CipherMode} and {@link PacketCipher#NONE}.
 */
class PacketCiphersTest {

	@ParameterizedTest
	@CsvSource({ "none, NONE", "aes-cbc-hmac, AES_CBC_HMAC", "aes-gcm, AES_GCM", "AES_GCM, AES_GCM",
			"' Aes-Cbc-Hmac ', AES_CBC_HMAC", "aes_cbc_hmac, AES_CBC_HMAC" })
	void cipherModeFromName(String name, CipherMode expected) {
		assertThat(CipherMode.fromName(name)).isEqualTo(expected);
	}

	@Test
	void cipherModeNamesMatchConfiguration() {
		assertThat(CipherMode.NONE.modeName()).isEqualTo("none");
		assertThat(CipherMode.AES_CBC_HMAC.modeName()).isEqualTo("aes-cbc-hmac");
		assertThat(CipherMode.AES_GCM.modeName()).isEqualTo("aes-gcm");
	}

	@Test
	void unknownCipherModeListsTheKnownOnes() {
		assertThatIllegalArgumentException().isThrownBy(() -> CipherMode.fromName("aes"))
			.withMessage("Unknown packet cipher mode 'aes'; use one of none, aes-cbc-hmac, aes-gcm");
		assertThatNullPointerException().isThrownBy(() -> CipherMode.fromName(null));
	}

	@Test
	void noneIsPassThroughCopy() {
		PacketCipher cipher = PacketCiphers.create("none", null, null);
		assertThat(cipher).isSameAs(PacketCipher.NONE).isSameAs(PacketCiphers.of(CipherMode.NONE, new byte[1], null));
		assertThat(cipher.name()).isEqualTo("none");
		assertThat(cipher.overhead()).isZero();
		byte[] datagram = { 1, 2, 3, 4, 5 };
		byte[] encrypted = cipher.encrypt(datagram, 1, 3);
		assertThat(encrypted).containsExactly(2, 3, 4);
		byte[] decrypted = cipher.decrypt(datagram);
		assertThat(decrypted).isEqualTo(datagram).isNotSameAs(datagram);
	}

	@Test
	void aesCbcHmacModeDerivesAiokcpKeys() {
		Vector vector = CryptoTestVectors.load().get(0);
		PacketCipher cipher = PacketCiphers.create("aes-cbc-hmac", vector.key(), vector.salt());
		assertThat(cipher).isInstanceOf(AesCbcHmacCipher.class);
		assertThat(cipher.decrypt(vector.datagram())).isEqualTo(vector.plaintext());
	}

	@Test
	void aesGcmModeDerivesFirst32BytesOfAiokcpKeyMaterial() {
		// The 480,000-iteration derivation, checked against the vector's okm[0..32)
		Vector vector = CryptoTestVectors.load().get(0);
		PacketCipher cipher = PacketCiphers.of(CipherMode.AES_GCM, vector.key(), vector.salt());
		PacketCipher expected = AesGcmCipher.withKey(vector.signingKey());
		assertThat(cipher.decrypt(expected.encrypt(vector.plaintext()))).isEqualTo(vector.plaintext());
		assertThat(expected.decrypt(cipher.encrypt(vector.plaintext()))).isEqualTo(vector.plaintext());
	}

	@Test
	void encryptingModesNeedKeyAndSalt() {
		assertThatIllegalArgumentException().isThrownBy(() -> PacketCiphers.of(CipherMode.AES_GCM, null, new byte[1]))
			.withMessageContaining("'aes-gcm' needs both a key and a salt (key is missing)");
		assertThatIllegalArgumentException().isThrownBy(() -> PacketCiphers.create("aes-cbc-hmac", new byte[1], null))
			.withMessageContaining("(salt is missing)");
		assertThatIllegalArgumentException().isThrownBy(() -> PacketCiphers.create("rot13", null, null))
			.withMessageContaining("Unknown packet cipher mode 'rot13'");
	}

	@Test
	void parsesTextAsUtf8() {
		assertThat(PacketCiphers.parseKeyMaterial("12345678901234567890123456789012"))
			.isEqualTo("12345678901234567890123456789012".getBytes(StandardCharsets.US_ASCII));
		assertThat(PacketCiphers.parseKeyMaterial("clé")).containsExactly('c', 'l', 0xc3, 0xa9);
		assertThat(PacketCiphers.parseKeyMaterial("")).isEmpty();
		// Prefixes are case-sensitive: anything else is a passphrase
		assertThat(PacketCiphers.parseKeyMaterial("HEX:00")).isEqualTo("HEX:00".getBytes(StandardCharsets.US_ASCII));
	}

	@Test
	void parsesHex() {
		assertThat(PacketCiphers.parseKeyMaterial("hex:00ff10EF")).containsExactly(0x00, 0xff, 0x10, 0xef);
		assertThat(PacketCiphers.parseKeyMaterial("hex:")).isEmpty();
	}

	@Test
	void parsesBase64InEitherAlphabet() {
		assertThat(PacketCiphers.parseKeyMaterial("base64:AAEC/w==")).containsExactly(0, 1, 2, 0xff);
		assertThat(PacketCiphers.parseKeyMaterial("base64:AAEC_w")).containsExactly(0, 1, 2, 0xff);
		assertThat(PacketCiphers.parseKeyMaterial("base64:+-8=")).containsExactly(0xfb, 0xef);
		assertThat(PacketCiphers.parseKeyMaterial("base64:")).isEmpty();
	}

	@Test
	void rejectsOddHex() {
		assertThatIllegalArgumentException().isThrownBy(() -> PacketCiphers.parseKeyMaterial("hex:abc"))
			.withMessage("Invalid 'hex:' key material: 3 digits is an odd number; write two hex digits per byte");
	}

	@ParameterizedTest
	@ValueSource(strings = { "hex:0g", "hex:0 ", "hex:0\uff10", "hex:0\u0660", "hex:1+" })
	void rejectsNonHexDigitsWithoutQuotingThem(String text) {
		assertThatIllegalArgumentException().isThrownBy(() -> PacketCiphers.parseKeyMaterial(text))
			.withMessage("Invalid 'hex:' key material: character at position 1 after the prefix is not a hex digit "
					+ "(0-9, a-f, A-F)")
			.withNoCause();
	}

	@ParameterizedTest
	@ValueSource(strings = { "base64:A", "base64:secret!", "base64:AA AA", "base64:AA==AA" })
	void rejectsBadBase64WithoutQuotingIt(String text) {
		assertThatIllegalArgumentException().isThrownBy(() -> PacketCiphers.parseKeyMaterial(text))
			.withMessageStartingWith("Invalid 'base64:' key material")
			.withMessageNotContaining("secret")
			.withNoCause();
	}

	@Test
	void rejectsNullText() {
		assertThatNullPointerException().isThrownBy(() -> PacketCiphers.parseKeyMaterial(null));
	}

}
