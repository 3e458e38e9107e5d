package io.github.kcp.benchmarks.tool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.jspecify.annotations.Nullable;

/**
 * Client TCP connections (with {@code TCP_NODELAY}), all read by one selector thread: a thread per connection would
 * make the load generator, not the server, the thing measured at 10,000 connections.
 */
final class TcpLoadTransport implements LoadTransport {

	private final InetSocketAddress server;

	private final @Nullable SocketChannel[] channels;

	private final Selector selector;

	private final Queue<Runnable> registrations = new ConcurrentLinkedQueue<>();

	private final Thread reader;

	private volatile boolean closed;

	TcpLoadTransport(String host, int port, int count) throws IOException {
		this.server = new InetSocketAddress(host, port);
		this.channels = new SocketChannel[count];
		this.selector = Selector.open();
		this.reader = new Thread(this::readLoop, "kcp-tool-tcp-load-reader");
		this.reader.setDaemon(true);
		this.reader.start();
	}

	@Override
	public void open(int index, Receiver receiver) throws IOException {
		SocketChannel channel = SocketChannel.open(this.server);
		channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
		channel.configureBlocking(false);
		this.channels[index] = channel;
		// a channel can only be registered while the selector is not blocked in select: do it on its thread
		this.registrations.add(() -> {
			try {
				channel.register(this.selector, SelectionKey.OP_READ, receiver);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		});
		this.selector.wakeup();
	}

	@Override
	public boolean send(int index, byte[] message) {
		SocketChannel channel = this.channels[index];
		if (channel == null) {
			return false;
		}
		try {
			ByteBuffer buffer = ByteBuffer.wrap(message);
			// a few bytes per second never fill the socket buffer: a short write means the connection is stuck
			channel.write(buffer);
			return !buffer.hasRemaining();
		}
		catch (IOException ex) {
			return false;
		}
	}

	private void readLoop() {
		ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
		try {
			while (!this.closed) {
				this.selector.select(100);
				Runnable registration;
				while ((registration = this.registrations.poll()) != null) {
					registration.run();
				}
				for (SelectionKey key : this.selector.selectedKeys()) {
					read(key, buffer);
				}
				this.selector.selectedKeys().clear();
			}
		}
		catch (IOException | UncheckedIOException | ClosedSelectorException ex) {
			if (!this.closed) {
				System.err.println("tcp load reader: " + ex);
			}
		}
	}

	private static void read(SelectionKey key, ByteBuffer buffer) {
		Receiver receiver = (Receiver) key.attachment();
		SocketChannel channel = (SocketChannel) key.channel();
		buffer.clear();
		int n;
		try {
			n = channel.read(buffer);
		}
		catch (IOException ex) {
			key.cancel();
			receiver.closed(ex.getMessage());
			return;
		}
		if (n < 0) {
			key.cancel();
			receiver.closed("closed by the server");
			return;
		}
		receiver.received(buffer.array(), 0, n);
	}

	@Override
	public void close() {
		this.closed = true;
		try {
			this.selector.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
		for (SocketChannel channel : this.channels) {
			if (channel != null) {
				try {
					channel.close();
				}
				catch (IOException ex) {
					// closing anyway
				}
			}
		}
		try {
			this.reader.join(2000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
