package io.github.kcp.core.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;

/**
 * Test support: a perfect UDP relay between one client and a target that records every datagram it forwards, so a
 * test can look at what really goes over the wire (sizes, plaintext), and that can inject datagrams towards the
 * target from the very address the target knows the client by. Public for the interop tests.
 */
public final class SniffingRelay implements AutoCloseable {

	private final DatagramSocket front;

	private final DatagramSocket upstream;

	private final InetSocketAddress target;

	private final ConcurrentLinkedQueue<byte[]> toTarget = new ConcurrentLinkedQueue<>();

	private final ConcurrentLinkedQueue<byte[]> toClient = new ConcurrentLinkedQueue<>();

	private volatile @Nullable SocketAddress client;

	private SniffingRelay(InetSocketAddress target) throws IOException {
		this.target = target;
		InetAddress loopback = InetAddress.getLoopbackAddress();
		this.front = new DatagramSocket(new InetSocketAddress(loopback, 0));
		this.upstream = new DatagramSocket(new InetSocketAddress(loopback, 0));
		for (DatagramSocket socket : List.of(this.front, this.upstream)) {
			socket.setReceiveBufferSize(4 << 20);
			socket.setSendBufferSize(4 << 20);
		}
		start("sniff-to-target", this::pumpToTarget);
		start("sniff-to-client", this::pumpToClient);
	}

	public static SniffingRelay start(InetSocketAddress target) {
		try {
			return new SniffingRelay(target);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Where clients send to. */
	public InetSocketAddress localAddress() {
		return (InetSocketAddress) this.front.getLocalSocketAddress();
	}

	/** The address the target sees the client's (and injected) datagrams come from. */
	InetSocketAddress upstreamAddress() {
		return (InetSocketAddress) this.upstream.getLocalSocketAddress();
	}

	/** Every datagram forwarded to the target so far, injected ones excluded. */
	public List<byte[]> toTarget() {
		return new ArrayList<>(this.toTarget);
	}

	/** Every datagram forwarded to the client so far. */
	public List<byte[]> toClient() {
		return new ArrayList<>(this.toClient);
	}

	void clear() {
		this.toTarget.clear();
		this.toClient.clear();
	}

	/** Sends a datagram to the target from the relay's upstream socket, as if the client had sent it. */
	void injectToTarget(byte[] datagram) {
		try {
			this.upstream.send(new DatagramPacket(datagram, datagram.length, this.target));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static int maxLength(List<byte[]> datagrams) {
		return datagrams.stream().mapToInt((d) -> d.length).max().orElse(0);
	}

	/** Whether any of the datagrams contains {@code needle} anywhere. */
	static boolean anyContains(List<byte[]> datagrams, byte[] needle) {
		for (byte[] datagram : datagrams) {
			for (int i = 0; i + needle.length <= datagram.length; i++) {
				if (Arrays.equals(datagram, i, i + needle.length, needle, 0, needle.length)) {
					return true;
				}
			}
		}
		return false;
	}

	/** Whether a datagram is whole segments of the four standard commands only. */
	public static boolean isStandardKcp(byte[] datagram) {
		int position = 0;
		while (datagram.length - position >= KcpCodec.OVERHEAD) {
			if (!KcpCodec.isKnownCommand(datagram[position + 4] & 0xff)) {
				return false;
			}
			position += KcpCodec.OVERHEAD + KcpCodec.readInt(datagram, position + 20);
		}
		return position == datagram.length;
	}

	/** Whether a datagram carries our offer of the close handshake. */
	public static boolean offersCloseHandshake(byte[] datagram) {
		int position = 0;
		while (datagram.length - position >= KcpCodec.OVERHEAD) {
			if ((datagram[position + 4] & 0xff) == KcpCodec.CMD_WINS
					&& (datagram[position + 5] & 0xff) == KcpCodec.CLOSE_OFFER_FRG
					&& KcpCodec.readInt(datagram, position + 12) == KcpCodec.CLOSE_OFFER_SN) {
				return true;
			}
			position += KcpCodec.OVERHEAD + KcpCodec.readInt(datagram, position + 20);
		}
		return false;
	}

	private void start(String name, Runnable pump) {
		Thread thread = new Thread(pump, name + "-" + this.front.getLocalPort());
		thread.setDaemon(true);
		thread.start();
	}

	private void pumpToTarget() {
		byte[] buffer = new byte[65_536];
		DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
		try {
			while (true) {
				packet.setLength(buffer.length);
				this.front.receive(packet);
				this.client = packet.getSocketAddress();
				byte[] datagram = Arrays.copyOf(buffer, packet.getLength());
				this.toTarget.add(datagram);
				this.upstream.send(new DatagramPacket(datagram, datagram.length, this.target));
			}
		}
		catch (IOException ex) {
			// closed
		}
	}

	private void pumpToClient() {
		byte[] buffer = new byte[65_536];
		DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
		try {
			while (true) {
				packet.setLength(buffer.length);
				this.upstream.receive(packet);
				byte[] datagram = Arrays.copyOf(buffer, packet.getLength());
				this.toClient.add(datagram);
				SocketAddress recipient = this.client;
				if (recipient != null) {
					this.front.send(new DatagramPacket(datagram, datagram.length, recipient));
				}
			}
		}
		catch (IOException ex) {
			// closed
		}
	}

	@Override
	public void close() {
		this.front.close();
		this.upstream.close();
	}

}
