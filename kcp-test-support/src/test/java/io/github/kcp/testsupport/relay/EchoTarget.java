package io.github.kcp.testsupport.relay;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * UDP echo server for relay tests: sends every datagram back to its source and records
 * which source addresses it has seen.
 */
final class EchoTarget implements AutoCloseable {

	private final DatagramSocket socket;

	private final Thread thread;

	private final Set<SocketAddress> sources = ConcurrentHashMap.newKeySet();

	private final AtomicInteger received = new AtomicInteger();

	/**
	 * Start an echo server on an ephemeral port of the given address.
	 * @param address the address to bind to
	 * @throws SocketException if the socket cannot be bound
	 */
	EchoTarget(InetAddress address) throws SocketException {
		this.socket = new DatagramSocket(new InetSocketAddress(address, 0));
		// Bursts of a test window must not overflow the kernel buffer while we echo.
		this.socket.setReceiveBufferSize(1 << 20);
		this.thread = new Thread(this::run, "echo-target-" + this.socket.getLocalPort());
		this.thread.setDaemon(true);
		this.thread.start();
	}

	/**
	 * Return where the server listens.
	 * @return the bound address
	 */
	InetSocketAddress address() {
		return (InetSocketAddress) this.socket.getLocalSocketAddress();
	}

	/**
	 * Return every source address seen so far.
	 * @return a live view of the sources
	 */
	Set<SocketAddress> sources() {
		return this.sources;
	}

	/**
	 * Return how many datagrams were received.
	 * @return the count
	 */
	int received() {
		return this.received.get();
	}

	private void run() {
		byte[] buffer = new byte[65536];
		while (!this.socket.isClosed()) {
			DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
			try {
				this.socket.receive(packet);
				this.sources.add(packet.getSocketAddress());
				this.received.incrementAndGet();
				this.socket.send(packet);
			}
			catch (IOException ex) {
				// Closed by close(), or a transient ICMP error: the loop condition decides.
			}
		}
	}

	@Override
	public void close() {
		this.socket.close();
		try {
			this.thread.join(2000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
