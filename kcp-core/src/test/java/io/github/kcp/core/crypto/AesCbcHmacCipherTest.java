package io.github.kcp.core.crypto;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.github.kcp.core.crypto.CryptoTestVectors.Vector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Tests for {@link AesCbcHmacCipher}: byte compatibility with aiokcp and rejection of
 * everything that is not an authentic datagram.
 */
class AesCbcHmacCipherTest {

	static List<Vector> vectors() {
		return CryptoTestVectors.load();
	}

	private static Vector shortVector() {
		return vectors().get(0);
	}

	@Test
	void vectorsFileHoldsTheAiokcpVectors() {
		assertThat(vectors()).hasSizeGreaterThanOrEqualTo(3);
		assertThat(vectors()).allSatisfy((vector) -> {
			assertThat(vector.iterations()).isEqualTo(480_000);
			assertThat(vector.iv()).hasSize(16);
			assertThat(vector.signingKey()).hasSize(32);
			assertThat(vector.encryptionKey()).hasSize(32);
		});
	}

	@Test
	void vectorsOnClasspathAreACopyOfTheSharedFile() throws Exception {
		// The shared file lives outside the repository; where it is present (development, CI
		// with shared/ beside the clone) the copy must not have drifted from it.
		Path shared = Path.of("../../shared/testdata/aiokcp-crypto-vectors.json");
		assumeThat(shared).exists();
		assertThat(CryptoTestVectors.readResource()).isEqualTo(Files.readString(shared, StandardCharsets.UTF_8));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("vectors")
	void deriveProducesAiokcpKeys(Vector vector) {
		AesCbcHmacCipher cipher = CryptoTestVectors.derived(vector);
		assertThat(cipher.signingKey()).isEqualTo(vector.signingKey());
		assertThat(cipher.encryptionKey()).isEqualTo(vector.encryptionKey());
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("vectors")
	void encryptWithVectorIvProducesAiokcpDatagram(Vector vector) {
		AesCbcHmacCipher cipher = CryptoTestVectors.derived(vector);
		byte[] datagram = cipher.encryptWithIv(vector.iv(), vector.plaintext(), 0, vector.plaintext().length);
		assertThat(HexFormat.of().formatHex(datagram)).isEqualTo(HexFormat.of().formatHex(vector.datagram()));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("vectors")
	void decryptAiokcpDatagramReturnsPlaintext(Vector vector) {
		AesCbcHmacCipher cipher = CryptoTestVectors.derived(vector);
		assertThat(cipher.decrypt(vector.datagram())).isEqualTo(vector.plaintext());
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("vectors")
	void datagramSizeStaysWithinOverhead(Vector vector) {
		assertThat(vector.datagram().length).isLessThanOrEqualTo(vector.plaintext().length + AesCbcHmacCipher.OVERHEAD);
	}

	@Test
	void encryptUsesFreshIvAndRoundTripsEveryLength() {
		AesCbcHmacCipher cipher = CryptoTestVectors.fromKeys(shortVector());
		Random random = new Random(42);
		for (int length = 0; length <= 100; length++) {
			byte[] plaintext = new byte[length];
			random.nextBytes(plaintext);
			byte[] first = cipher.encrypt(plaintext);
			byte[] second = cipher.encrypt(plaintext);
			assertThat(first).hasSize(48 + 16 * (length / 16 + 1));
			assertThat(first.length).isLessThanOrEqualTo(length + cipher.overhead());
			assertThat(Arrays.copyOf(first, 16)).isNotEqualTo(Arrays.copyOf(second, 16));
			assertThat(cipher.decrypt(first)).isEqualTo(plaintext);
			assertThat(cipher.decrypt(second)).isEqualTo(plaintext);
		}
	}

	@Test
	void encryptAndDecryptHonourOffsetAndLength() {
		Vector vector = shortVector();
		AesCbcHmacCipher cipher = CryptoTestVectors.fromKeys(vector);
		byte[] framed = frame(vector.plaintext(), 7, 5);
		byte[] datagram = cipher.encryptWithIv(vector.iv(), framed, 7, vector.plaintext().length);
		assertThat(datagram).isEqualTo(vector.datagram());
		assertThat(cipher.decrypt(frame(vector.datagram(), 3, 9), 3, vector.datagram().length))
			.isEqualTo(vector.plaintext());
	}

	@Test
	void flippingAnyBitOfIvCiphertextOrHmacIsRejected() {
		Vector vector = shortVector();
		AesCbcHmacCipher cipher = CryptoTestVectors.fromKeys(vector);
		byte[] datagram = vector.datagram();
		for (int i = 0; i < datagram.length; i++) {
			for (int bit = 0; bit < 8; bit++) {
				byte[] tampered = datagram.clone();
				tampered[i] ^= (byte) (1 << bit);
				assertRejected(cipher, tampered);
			}
		}
	}

	@Test
	void truncatedOrExtendedDatagramIsRejected() {
		Vector vector = shortVector();
		AesCbcHmacCipher cipher = CryptoTestVectors.fromKeys(vector);
		byte[] datagram = vector.datagram();
		for (int length = 0; length < datagram.length; length++) {
			assertRejected(cipher, Arrays.copyOf(datagram, length));
		}
		for (int extra = 1; extra <= 32; extra++) {
			assertRejected(cipher, Arrays.copyOf(datagram, datagram.length + extra));
		}
	}

	@Test
	void anythingShorterThanMinimumIsRejected() {
		AesCbcHmacCipher cipher = CryptoTestVectors.fromKeys(shortVector());
		Random random = new Random(7);
		for (int length = 0; length < 64; length++) {
			byte[] garbage = new byte[length];
			random.nextBytes(garbage);
			assertRejected(cipher, garbage);
			assertRejected(cipher, new byte[length]);
		}
	}

	@Test
	void randomGarbageIsRejected() {
		AesCbcHmacCipher cipher = CryptoTestVectors.fromKeys(shortVector());
		Random random = new Random(1234);
		for (int i = 0; i < 2000; i++) {
			byte[] garbage = new byte[random.nextInt(300)];
			random.nextBytes(garbage);
			assertRejected(cipher, garbage);
		}
		// Lengths that pass the size check, so the HMAC comparison is what rejects them
		for (int blocks = 1; blocks <= 90; blocks++) {
			byte[] garbage = new byte[48 + 16 * blocks];
			random.nextBytes(garbage);
			assertRejected(cipher, garbage);
		}
	}

	@Test
	void datagramFromOtherKeysIsRejected() {
		AesCbcHmacCipher other = CryptoTestVectors.fromKeys(vectors().get(1));
		assertRejected(other, shortVector().datagram());
	}

	@Test
	void authenticDatagramWithBadPaddingIsRejected() throws Exception {
		Vector vector = shortVector();
		byte[] iv = vector.iv();
		byte[] badlyPadded = new byte[32];
		Arrays.fill(badlyPadded, (byte) 0x11);
		badlyPadded[31] = 0; // a zero pad length is invalid PKCS#7
		Cipher raw = Cipher.getInstance("AES/CBC/NoPadding");
		raw.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(vector.encryptionKey(), "AES"), new IvParameterSpec(iv));
		byte[] ciphertext = raw.doFinal(badlyPadded);
		Mac mac = Mac.getInstance("HmacSHA256");
		mac.init(new SecretKeySpec(vector.signingKey(), "HmacSHA256"));
		mac.update(iv);
		mac.update(ciphertext);
		byte[] datagram = concat(iv, ciphertext, mac.doFinal());

		assertThatThrownBy(() -> CryptoTestVectors.fromKeys(vector).decrypt(datagram))
			.isExactlyInstanceOf(PacketAuthenticationException.class)
			.hasMessageContaining("padding")
			.hasNoCause();
	}

	@Test
	void fromDerivedKeysRejectsWrongKeyLengths() {
		assertThatIllegalArgumentException().isThrownBy(() -> AesCbcHmacCipher.fromDerivedKeys(new byte[31], new byte[32]))
			.withMessageContaining("signing key must be 32 bytes, not 31");
		assertThatIllegalArgumentException().isThrownBy(() -> AesCbcHmacCipher.fromDerivedKeys(new byte[32], new byte[16]))
			.withMessageContaining("encryption key must be 32 bytes, not 16");
	}

	@Test
	void fromDerivedKeysCopiesTheKeys() {
		Vector vector = shortVector();
		byte[] signingKey = vector.signingKey().clone();
		byte[] encryptionKey = vector.encryptionKey().clone();
		AesCbcHmacCipher cipher = AesCbcHmacCipher.fromDerivedKeys(signingKey, encryptionKey);
		Arrays.fill(signingKey, (byte) 0);
		Arrays.fill(encryptionKey, (byte) 0);
		assertThat(cipher.decrypt(vector.datagram())).isEqualTo(vector.plaintext());
	}

	@Test
	void deriveWithFewIterationsSplitsPbkdf2Output() {
		byte[] key = { (byte) 0xff, 0x00, (byte) 0x80 };
		byte[] salt = "pepper".getBytes(StandardCharsets.US_ASCII);
		byte[] okm = Pbkdf2.deriveHmacSha256(key, salt, 3, 64);
		AesCbcHmacCipher cipher = AesCbcHmacCipher.derive(key, salt, 3);
		assertThat(cipher.signingKey()).isEqualTo(Arrays.copyOfRange(okm, 0, 32));
		assertThat(cipher.encryptionKey()).isEqualTo(Arrays.copyOfRange(okm, 32, 64));
	}

	@Test
	void invalidArgumentsFailAsProgrammingErrors() {
		AesCbcHmacCipher cipher = CryptoTestVectors.fromKeys(shortVector());
		assertThatThrownBy(() -> cipher.decrypt(new byte[80], 40, 80)).isInstanceOf(IndexOutOfBoundsException.class);
		assertThatThrownBy(() -> cipher.encrypt(new byte[10], -1, 5)).isInstanceOf(IndexOutOfBoundsException.class);
		assertThatThrownBy(() -> cipher.decrypt(null)).isInstanceOf(NullPointerException.class);
		assertThatThrownBy(() -> AesCbcHmacCipher.derive(null, new byte[0], 1)).isInstanceOf(NullPointerException.class)
			.hasMessageContaining("key");
		assertThatIllegalArgumentException().isThrownBy(() -> cipher.encryptWithIv(new byte[8], new byte[1], 0, 1))
			.withMessageContaining("IV must be 16 bytes");
	}

	@Test
	void describesItselfWithoutKeys() {
		AesCbcHmacCipher cipher = CryptoTestVectors.fromKeys(shortVector());
		assertThat(cipher.name()).isEqualTo("aes-cbc-hmac");
		assertThat(cipher.overhead()).isEqualTo(64);
		assertThat(cipher.toString()).doesNotContain(HexFormat.of().formatHex(shortVector().signingKey()))
			.contains("aes-cbc-hmac");
	}

	static void assertRejected(PacketCipher cipher, byte[] datagram) {
		assertThatThrownBy(() -> cipher.decrypt(datagram)).as("decrypting %d bytes", datagram.length)
			.isExactlyInstanceOf(PacketAuthenticationException.class);
	}

	static byte[] frame(byte[] bytes, int before, int after) {
		byte[] framed = new byte[before + bytes.length + after];
		Arrays.fill(framed, (byte) 0x5a);
		System.arraycopy(bytes, 0, framed, before, bytes.length);
		return framed;
	}

	private static byte[] concat(byte[]... parts) {
		int length = Arrays.stream(parts).mapToInt((part) -> part.length).sum();
		byte[] result = new byte[length];
		int offset = 0;
		for (byte[] part : parts) {
			System.arraycopy(part, 0, result, offset, part.length);
			offset += part.length;
		}
		return result;
	}

}
