package io.github.kcp.core.crypto;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link Pbkdf2} and the empty-key handling of {@link JceSupport}.
 */
class Pbkdf2Test {

	private static final HexFormat HEX = HexFormat.of();

	@ParameterizedTest(name = "{0} / {1} / {2} iterations / {3} bytes")
	@CsvSource({ "password, salt, 1, 32", "password, salt, 2, 64", "password, salt, 4096, 20",
			"passwordPASSWORDpassword, saltSALTsaltSALTsaltSALTsaltSALTsalt, 4096, 40",
			// A password longer than the 64-byte HMAC block is hashed first
			"0123456789012345678901234567890123456789012345678901234567890123456789, s, 3, 65",
			"kcp, k, 5, 96" })
	void matchesJdkPbkdf2ForAsciiPasswords(String password, String salt, int iterations, int length) throws Exception {
		// For ASCII the JDK's char[]-based PBKDF2 sees the same bytes, so it is a reference
		// (it rejects an empty salt, which derivesFromEmptyPassword covers instead)
		SecretKeyFactory factory = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
		byte[] expected = factory
			.generateSecret(new PBEKeySpec(password.toCharArray(), salt.getBytes(StandardCharsets.US_ASCII), iterations,
					length * 8))
			.getEncoded();
		byte[] actual = Pbkdf2.deriveHmacSha256(password.getBytes(StandardCharsets.US_ASCII),
				salt.getBytes(StandardCharsets.US_ASCII), iterations, length);
		assertThat(HEX.formatHex(actual)).isEqualTo(HEX.formatHex(expected));
	}

	@Test
	void derivesFromNonUtf8PasswordBytes() {
		// Expected value computed with Python's hashlib.pbkdf2_hmac('sha256', ...), as aiokcp does
		byte[] password = { (byte) 0xff, (byte) 0x80, 0x00, (byte) 0xfe };
		assertThat(HEX.formatHex(Pbkdf2.deriveHmacSha256(password, new byte[] { 0, 1 }, 2, 40)))
			.isEqualTo("1ddb2dde3b4c447d692e2d9a8c7b8fa84c19563c54adb4b4d53344c110f6a20ee0fe1103838f8f7c");
	}

	@Test
	void derivesFromEmptyPassword() {
		// Expected values computed with Python's hashlib.pbkdf2_hmac('sha256', b'', ...)
		assertThat(HEX.formatHex(Pbkdf2.deriveHmacSha256(new byte[0], "salt".getBytes(StandardCharsets.US_ASCII), 1000, 64)))
			.isEqualTo("94fb56af3ea22e5d3ed1b054085b136ca301b75d8b406c802c489479f27387c6"
					+ "28667d54b1ac5de2e9ddef4f872ce45feeaec2f89ca9997959c8473704689964");
		assertThat(HEX.formatHex(Pbkdf2.deriveHmacSha256(new byte[0], new byte[0], 1, 32)))
			.isEqualTo("f7ce0b653d2d72a4108cf5abe912ffdd777616dbbb27a70e8204f3ae2d0f6fad");
	}

	@Test
	void emptyHmacKeyEqualsSingleZeroByteKey() throws Exception {
		// HMAC-SHA256 with an empty key over an empty message, a well-known value (also what
		// Python's hmac.new(b'', b'', 'sha256') returns)
		Mac mac = JceSupport.hmacSha256(JceSupport.hmacSha256Key(new byte[0]));
		assertThat(HEX.formatHex(mac.doFinal()))
			.isEqualTo("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
		Mac zeroKey = Mac.getInstance("HmacSHA256");
		zeroKey.init(new SecretKeySpec(new byte[1], "HmacSHA256"));
		byte[] message = "kcp".getBytes(StandardCharsets.US_ASCII);
		assertThat(mac.doFinal(message)).isEqualTo(zeroKey.doFinal(message));
		assertThat(HEX.formatHex(zeroKey.doFinal(message)))
			.isEqualTo("219d03fafebb6bc43390597e48fbbf8b7adc13530c83709d46bc124e906442cd");
	}

	@Test
	void rejectsInvalidParameters() {
		assertThatIllegalArgumentException().isThrownBy(() -> Pbkdf2.deriveHmacSha256(new byte[1], new byte[1], 0, 32))
			.withMessageContaining("iterations must be at least 1, not 0");
		assertThatIllegalArgumentException().isThrownBy(() -> Pbkdf2.deriveHmacSha256(new byte[1], new byte[1], 1, 0))
			.withMessageContaining("length must be at least 1 byte, not 0");
	}

}
