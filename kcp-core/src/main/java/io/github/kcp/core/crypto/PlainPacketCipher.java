package io.github.kcp.core.crypto;

import java.util.Arrays;
import java.util.Objects;

/**
 * The pass-through {@link PacketCipher#NONE}; a single instance, so that the transport can
 * recognise it by identity.
 */
final class PlainPacketCipher implements PacketCipher {

	static final PlainPacketCipher INSTANCE = new PlainPacketCipher();

	private PlainPacketCipher() {
	}

	@Override
	public String name() {
		return "none";
	}

	@Override
	public int overhead() {
		return 0;
	}

	@Override
	public byte[] encrypt(byte[] plaintext, int offset, int length) {
		return copy(plaintext, offset, length);
	}

	@Override
	public byte[] decrypt(byte[] datagram, int offset, int length) {
		return copy(datagram, offset, length);
	}

	private static byte[] copy(byte[] bytes, int offset, int length) {
		Objects.checkFromIndexSize(offset, length, bytes.length);
		// A copy, not the input array, so that callers may recycle their buffers as with any
		// other cipher.
		return Arrays.copyOfRange(bytes, offset, offset + length);
	}

	@Override
	public String toString() {
		return "PacketCipher[none]";
	}

}
