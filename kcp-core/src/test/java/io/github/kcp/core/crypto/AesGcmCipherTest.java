package io.github.kcp.core.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tests for {@link AesGcmCipher}.
 */
class AesGcmCipherTest {

	private static final HexFormat HEX = HexFormat.of();

	private static final byte[] KEY_256 = key(32);

	// Computed independently with Python's cryptography AESGCM(key).encrypt(nonce, plaintext, None)
	private static final String KNOWN_NONCE = "cafebabefacedbaddecaf888";

	private static final String KNOWN_PLAINTEXT = "0403020151008000e803000000000000000000000500000068656c6c6f";

	private static final String KNOWN_DATAGRAM_256 = "cafebabefacedbaddecaf888"
			+ "8ea0a227fb7acf1bae085ddd7b1d893f0d20c051da196a7426ba681dd1" + "77fcaafd87d3da1b2c6e09bbdbe7520d";

	private static final String KNOWN_EMPTY_DATAGRAM_128 = "cafebabefacedbaddecaf888" + "a945054aec8b8f4e4bdfe17f0557f09a";

	private final AesGcmCipher cipher = AesGcmCipher.withKey(KEY_256);

	@Test
	void encryptWithNonceMatchesKnownAnswer() {
		byte[] plaintext = HEX.parseHex(KNOWN_PLAINTEXT);
		byte[] datagram = this.cipher.encryptWithNonce(HEX.parseHex(KNOWN_NONCE), plaintext, 0, plaintext.length);
		assertThat(HEX.formatHex(datagram)).isEqualTo(KNOWN_DATAGRAM_256);
		// A fixed nonce carries no current time: open() authenticates and decrypts without the replay checks.
		assertThat(this.cipher.open(datagram, 0, datagram.length)).isEqualTo(plaintext);
	}

	@Test
	void aes128KnownAnswerForEmptyPlaintext() {
		AesGcmCipher aes128 = AesGcmCipher.withKey(key(16));
		assertThat(HEX.formatHex(aes128.encryptWithNonce(HEX.parseHex(KNOWN_NONCE), new byte[0], 0, 0)))
			.isEqualTo(KNOWN_EMPTY_DATAGRAM_128);
		assertThat(aes128.open(HEX.parseHex(KNOWN_EMPTY_DATAGRAM_128), 0, 28)).isEmpty();
	}

	@Test
	void datagramIsNonceThenCiphertextThenTag() throws Exception {
		byte[] plaintext = "layout check".getBytes(StandardCharsets.US_ASCII);
		byte[] datagram = this.cipher.encrypt(plaintext);
		assertThat(datagram).hasSize(plaintext.length + 28);
		// Decrypt with a plain JCE cipher, so the layout is checked independently of the class
		Cipher reference = Cipher.getInstance("AES/GCM/NoPadding");
		reference.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEY_256, "AES"),
				new GCMParameterSpec(128, datagram, 0, 12));
		assertThat(reference.doFinal(datagram, 12, datagram.length - 12)).isEqualTo(plaintext);
	}

	@Test
	void roundTripsEveryLengthWithExactOverhead() {
		Random random = new Random(99);
		for (int length = 0; length <= 100; length++) {
			byte[] plaintext = new byte[length];
			random.nextBytes(plaintext);
			byte[] datagram = this.cipher.encrypt(plaintext);
			assertThat(datagram).hasSize(length + this.cipher.overhead());
			assertThat(this.cipher.decrypt(datagram)).isEqualTo(plaintext);
		}
	}

	@Test
	void nonceDiffersBetweenEncryptionsOfTheSamePlaintext() {
		byte[] plaintext = new byte[40];
		byte[] first = this.cipher.encrypt(plaintext);
		byte[] second = this.cipher.encrypt(plaintext);
		assertThat(Arrays.copyOf(first, 12)).isNotEqualTo(Arrays.copyOf(second, 12));
		assertThat(first).isNotEqualTo(second);
	}

	@Test
	void honoursOffsetAndLength() {
		byte[] plaintext = HEX.parseHex(KNOWN_PLAINTEXT);
		byte[] framed = AesCbcHmacCipherTest.frame(plaintext, 4, 6);
		byte[] datagram = this.cipher.encryptWithNonce(HEX.parseHex(KNOWN_NONCE), framed, 4, plaintext.length);
		assertThat(HEX.formatHex(datagram)).isEqualTo(KNOWN_DATAGRAM_256);
		assertThat(this.cipher.open(AesCbcHmacCipherTest.frame(datagram, 2, 3), 2, datagram.length))
			.isEqualTo(plaintext);
	}

	@Test
	void flippingAnyBitIsRejected() {
		byte[] datagram = this.cipher.encrypt(HEX.parseHex(KNOWN_PLAINTEXT));
		for (int i = 0; i < datagram.length; i++) {
			for (int bit = 0; bit < 8; bit++) {
				byte[] tampered = datagram.clone();
				tampered[i] ^= (byte) (1 << bit);
				assertRejected(this.cipher, tampered);
			}
		}
	}

	@Test
	void truncatedOrExtendedDatagramIsRejected() {
		byte[] datagram = this.cipher.encrypt(HEX.parseHex(KNOWN_PLAINTEXT));
		for (int length = 0; length < datagram.length; length++) {
			assertRejected(this.cipher, Arrays.copyOf(datagram, length));
		}
		assertRejected(this.cipher, Arrays.copyOf(datagram, datagram.length + 1));
	}

	@Test
	void shortAndRandomInputIsRejected() {
		Random random = new Random(5);
		for (int length = 0; length < 28; length++) {
			byte[] garbage = new byte[length];
			random.nextBytes(garbage);
			assertThatThrownBy(() -> this.cipher.decrypt(garbage)).isExactlyInstanceOf(PacketAuthenticationException.class)
				.hasMessageContaining("shorter than");
		}
		// Long enough to reach the tag check, which then fails
		assertRejected(this.cipher, new byte[28]);
		for (int i = 0; i < 2000; i++) {
			byte[] garbage = new byte[random.nextInt(300)];
			random.nextBytes(garbage);
			assertRejected(this.cipher, garbage);
		}
	}

	@Test
	void wrongKeyIsRejected() {
		byte[] otherKey = KEY_256.clone();
		otherKey[31] ^= 1;
		assertRejected(AesGcmCipher.withKey(otherKey), this.cipher.encrypt(new byte[100]));
		assertRejected(AesGcmCipher.withKey(key(16)), this.cipher.encrypt(new byte[100]));
	}

	@ParameterizedTest
	@ValueSource(ints = { 16, 24, 32 })
	void acceptsAesKeySizes(int length) {
		AesGcmCipher sized = AesGcmCipher.withKey(key(length));
		assertThat(sized.decrypt(sized.encrypt(new byte[] { 1, 2, 3 }))).containsExactly(1, 2, 3);
		assertThat(sized.toString()).contains((length * 8) + "-bit");
	}

	@ParameterizedTest
	@ValueSource(ints = { 0, 1, 15, 17, 31, 33, 64 })
	void rejectsOtherKeySizes(int length) {
		assertThatIllegalArgumentException().isThrownBy(() -> AesGcmCipher.withKey(new byte[length]))
			.withMessageContaining("must be 16, 24 or 32 bytes")
			.withMessageContaining("not " + length)
			.withMessageContaining("derive");
	}

	@Test
	void withKeyCopiesTheKey() {
		byte[] key = key(32);
		AesGcmCipher copied = AesGcmCipher.withKey(key);
		Arrays.fill(key, (byte) 0);
		byte[] known = HEX.parseHex(KNOWN_DATAGRAM_256);
		assertThat(copied.open(known, 0, known.length)).isEqualTo(HEX.parseHex(KNOWN_PLAINTEXT));
	}

	@Test
	void deriveUsesFirst32BytesOfPbkdf2AsAes256Key() {
		byte[] passphrase = "correct horse".getBytes(StandardCharsets.UTF_8);
		byte[] salt = { 0, 1, 2, 3 };
		AesGcmCipher derived = AesGcmCipher.derive(passphrase, salt, 10);
		AesGcmCipher first32 = AesGcmCipher.withKey(Arrays.copyOf(Pbkdf2.deriveHmacSha256(passphrase, salt, 10, 64), 32));
		assertThat(derived.toString()).contains("256-bit");
		assertThat(first32.decrypt(derived.encrypt(new byte[] { 42 }))).containsExactly(42);
		assertThat(derived.decrypt(first32.encrypt(new byte[] { 43 }))).containsExactly(43);
	}

	@Test
	void describesItselfWithoutKeys() {
		assertThat(this.cipher.name()).isEqualTo("aes-gcm");
		assertThat(this.cipher.overhead()).isEqualTo(28);
		assertThat(this.cipher.toString()).doesNotContain(HEX.formatHex(KEY_256));
	}

	/** Refused, as inauthentic or (a flipped time, random bytes) as outside the replay window. */
	private static void assertRejected(PacketCipher cipher, byte[] datagram) {
		assertThatThrownBy(() -> cipher.decrypt(datagram)).as("decrypting %d bytes", datagram.length)
			.isInstanceOf(PacketAuthenticationException.class);
	}

	private static byte[] key(int length) {
		byte[] key = new byte[length];
		for (int i = 0; i < length; i++) {
			key[i] = (byte) i;
		}
		return key;
	}

}
