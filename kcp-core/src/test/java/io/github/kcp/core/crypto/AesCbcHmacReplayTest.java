package io.github.kcp.core.crypto;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What aes-cbc-hmac can do against replays without leaving aiokcp's format: refuse a datagram it accepted among
 * the last {@link AesCbcHmacCipher#replayMemory()} ones. The limits are asserted too, so that a change of them is
 * a decision and not an accident.
 */
class AesCbcHmacReplayTest {

	private final AesCbcHmacCipher sender = AesCbcHmacCipher.fromDerivedKeys(new byte[32], new byte[32]);

	private final AesCbcHmacCipher receiver = AesCbcHmacCipher.fromDerivedKeys(new byte[32], new byte[32]);

	private static byte[] text(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	@Test
	void theSameDatagramTwiceIsRefusedTheSecondTime() {
		assertThat(this.receiver.replayMemory()).isEqualTo(AesCbcHmacCipher.DEFAULT_REPLAY_MEMORY);
		byte[] datagram = this.sender.encrypt(text("transfer 100"));
		assertThat(this.receiver.decrypt(datagram)).isEqualTo(text("transfer 100"));
		assertThatThrownBy(() -> this.receiver.decrypt(datagram)).isInstanceOf(PacketReplayException.class)
			.hasMessageContaining("received before");
	}

	@Test
	void aForgeryIsNotRemembered() {
		byte[] datagram = this.sender.encrypt(text("genuine"));
		byte[] forged = datagram.clone();
		forged[20] ^= 1;
		assertThatThrownBy(() -> this.receiver.decrypt(forged)).isExactlyInstanceOf(PacketAuthenticationException.class);
		assertThat(this.receiver.decrypt(datagram)).isEqualTo(text("genuine"));
	}

	@Test
	void limitsADatagramOlderThanTheMemoryOrAFreshReceiverAcceptsAgain() {
		AesCbcHmacCipher small = this.receiver.withReplayMemory(16);
		byte[] first = this.sender.encrypt(text("first"));
		small.decrypt(first);
		for (int i = 0; i < 15; i++) {
			small.decrypt(this.sender.encrypt(text("filler " + i)));
		}
		assertThatThrownBy(() -> small.decrypt(first)).isInstanceOf(PacketReplayException.class);
		// Sixteen later datagrams push it out of the memory: the format has nothing else to tell it by.
		for (int i = 0; i < 16; i++) {
			small.decrypt(this.sender.encrypt(text("more " + i)));
		}
		assertThat(small.decrypt(first)).isEqualTo(text("first"));
		// A restarted receiver remembers nothing.
		assertThat(this.receiver.withReplayMemory(16).decrypt(first)).isEqualTo(text("first"));
	}

	@Test
	void theMemoryCanBeTurnedOff() {
		AesCbcHmacCipher off = this.receiver.withReplayMemory(0);
		byte[] datagram = this.sender.encrypt(text("again"));
		assertThat(off.decrypt(datagram)).isEqualTo(text("again"));
		assertThat(off.decrypt(datagram)).isEqualTo(text("again"));
		assertThatThrownBy(() -> this.receiver.withReplayMemory(-1)).isInstanceOf(IllegalArgumentException.class);
	}

	@Test
	void manyDistinctDatagramsAreAllAcceptedOnce() {
		AesCbcHmacCipher small = this.receiver.withReplayMemory(1000);
		byte[][] datagrams = new byte[5000][];
		for (int i = 0; i < datagrams.length; i++) {
			datagrams[i] = this.sender.encrypt(text("n" + i));
			assertThat(small.decrypt(datagrams[i])).isEqualTo(text("n" + i));
		}
		// The last thousand are remembered, whatever the hash table went through on the way.
		for (int i = datagrams.length - 1000; i < datagrams.length; i++) {
			int index = i;
			assertThatThrownBy(() -> small.decrypt(datagrams[index])).isInstanceOf(PacketReplayException.class);
		}
	}

}
