package io.github.kcp.core.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Predicate;

import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;

/**
 * Test support: a plain UDP socket on loopback that sends hand-built datagrams and reads raw replies, for playing a
 * peer the transport does not control (an attacker, a peer that never answers, a replayer of old datagrams).
 */
final class RawUdpPeer implements AutoCloseable {

	private final DatagramSocket socket;

	RawUdpPeer() {
		try {
			this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
			this.socket.setReceiveBufferSize(1 << 20);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	InetSocketAddress localAddress() {
		return (InetSocketAddress) this.socket.getLocalSocketAddress();
	}

	void send(InetSocketAddress recipient, byte[] datagram) {
		try {
			this.socket.send(new DatagramPacket(datagram, datagram.length, recipient));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** The next datagram, or {@code null} if none arrives within {@code timeout}. */
	byte @Nullable [] receive(Duration timeout) {
		byte[] buffer = new byte[65_536];
		DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
		try {
			this.socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
			this.socket.receive(packet);
			return Arrays.copyOf(buffer, packet.getLength());
		}
		catch (SocketTimeoutException ex) {
			return null;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Reads datagrams until one matches; fails if none does within {@code timeout}. */
	byte[] awaitDatagram(Predicate<byte[]> condition, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			long left = deadline - System.nanoTime();
			if (left <= 0) {
				throw new AssertionError("No matching datagram within " + timeout);
			}
			byte[] datagram = receive(Duration.ofNanos(left));
			if (datagram != null && condition.test(datagram)) {
				return datagram;
			}
		}
	}

	@Override
	public void close() {
		this.socket.close();
	}

	// ---------------------------------------------------------------- building datagrams

	/** One segment: a 24-byte header whose len field is the payload length, then the payload. */
	static byte[] segment(int conv, int cmd, int sn, int una, byte[] payload) {
		byte[] data = new byte[KcpCodec.OVERHEAD + payload.length];
		KcpCodec.writeHeader(data, 0, conv, cmd, 0, 128, 0, sn, una, payload.length);
		System.arraycopy(payload, 0, data, KcpCodec.OVERHEAD, payload.length);
		return data;
	}

	/** A data segment carrying a whole message. */
	/** Our close-handshake offer (a marked window announcement), as a peer of ours appends it to its first datagrams. */
	static byte[] offer(int conv) {
		byte[] segment = new byte[KcpCodec.OVERHEAD];
		KcpCodec.writeHeader(segment, 0, conv, KcpCodec.CMD_WINS, KcpCodec.CLOSE_OFFER_FRG, 128, 0,
				KcpCodec.CLOSE_OFFER_SN, 0, 0);
		return segment;
	}

	static byte[] push(int conv, int sn, byte[] payload) {
		return segment(conv, KcpCodec.CMD_PUSH, sn, 0, payload);
	}

	/** A header whose len field says {@code declaredLength} while {@code actualLength} bytes follow. */
	static byte[] withLength(int conv, int cmd, int declaredLength, int actualLength) {
		byte[] data = new byte[KcpCodec.OVERHEAD + actualLength];
		KcpCodec.writeHeader(data, 0, conv, cmd, 0, 128, 0, 0, 0, declaredLength);
		return data;
	}

	static byte[] concat(byte[]... parts) {
		int length = 0;
		for (byte[] part : parts) {
			length += part.length;
		}
		byte[] all = new byte[length];
		int position = 0;
		for (byte[] part : parts) {
			System.arraycopy(part, 0, all, position, part.length);
			position += part.length;
		}
		return all;
	}

	/** The command of the first segment. */
	static int cmd(byte[] datagram) {
		return datagram[4] & 0xff;
	}

	static boolean isCloseSignal(byte[] datagram, int conv, int cmd) {
		return KcpCodec.closeSignal(datagram, 0, datagram.length) == cmd && KcpCodec.readConv(datagram, 0) == conv;
	}

}
