package io.github.kcp.benchmarks.tool;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import org.jspecify.annotations.Nullable;

/**
 * The {@code tcp-sessions-server} role: a TCP echo server on one selector thread with no buffer per connection
 * (a shared read buffer; only a write the socket could not take at once is kept), the TCP reference for the
 * many-sessions figures. kcp-tool's {@code tcp-echo-server} runs a thread and a 64 KiB buffer per connection,
 * which at 10,000 connections would measure the tool rather than TCP.
 */
final class TcpSelectorEchoServer implements AutoCloseable {

	private static final int BACKLOG = 4096;

	private final Console console;

	private final ServerSocketChannel listener;

	private final Selector selector;

	private final Thread loop;

	private volatile boolean closing;

	private TcpSelectorEchoServer(Console console, ServerSocketChannel listener, Selector selector) {
		this.console = console;
		this.listener = listener;
		this.selector = selector;
		this.loop = new Thread(this::run, "kcp-tool-tcp-selector");
		this.loop.setDaemon(true);
	}

	/** Binds and starts serving. */
	static TcpSelectorEchoServer start(Console console, String host, int port) throws IOException {
		ServerSocketChannel listener = ServerSocketChannel.open();
		Selector selector = null;
		try {
			listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
			listener.bind(new InetSocketAddress(host, port), BACKLOG);
			listener.configureBlocking(false);
			selector = Selector.open();
			listener.register(selector, SelectionKey.OP_ACCEPT);
		}
		catch (IOException ex) {
			listener.close();
			if (selector != null) {
				selector.close();
			}
			throw ex;
		}
		TcpSelectorEchoServer server = new TcpSelectorEchoServer(console, listener, selector);
		server.loop.start();
		return server;
	}

	/** The bound port. */
	int port() {
		return ((InetSocketAddress) this.listener.socket().getLocalSocketAddress()).getPort();
	}

	private void run() {
		ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
		try {
			while (!this.closing) {
				this.selector.select(100);
				for (SelectionKey key : this.selector.selectedKeys()) {
					try {
						handle(key, buffer);
					}
					catch (IOException ex) {
						closeConnection(key);
					}
				}
				this.selector.selectedKeys().clear();
			}
		}
		catch (IOException | ClosedSelectorException ex) {
			if (!this.closing) {
				this.console.err("tcp-sessions-server: %s", ex);
			}
		}
	}

	private void handle(SelectionKey key, ByteBuffer buffer) throws IOException {
		if (!key.isValid()) {
			return;
		}
		if (key.isAcceptable()) {
			SocketChannel channel;
			// bounded: the backlog holds at most BACKLOG pending connections
			while ((channel = this.listener.accept()) != null) {
				channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
				channel.configureBlocking(false);
				channel.register(this.selector, SelectionKey.OP_READ);
			}
			return;
		}
		SocketChannel channel = (SocketChannel) key.channel();
		if (key.isWritable()) {
			ByteBuffer pending = (ByteBuffer) key.attachment();
			if (pending != null) {
				channel.write(pending);
				if (pending.hasRemaining()) {
					return;
				}
			}
			// everything owed is written: read again
			key.attach(null);
			key.interestOps(SelectionKey.OP_READ);
			return;
		}
		if (key.isReadable()) {
			buffer.clear();
			int n = channel.read(buffer);
			if (n < 0) {
				closeConnection(key);
				return;
			}
			buffer.flip();
			channel.write(buffer);
			if (buffer.hasRemaining()) {
				// the peer reads slower than it writes: keep the rest and stop reading until it is written
				ByteBuffer rest = ByteBuffer.allocate(buffer.remaining());
				rest.put(buffer).flip();
				key.attach(rest);
				key.interestOps(SelectionKey.OP_WRITE);
			}
		}
	}

	private static void closeConnection(@Nullable SelectionKey key) {
		if (key == null) {
			return;
		}
		key.cancel();
		try {
			key.channel().close();
		}
		catch (IOException ex) {
			// closing anyway
		}
	}

	@Override
	public void close() {
		this.closing = true;
		this.selector.wakeup();
		try {
			this.loop.join(2000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		// the loop has ended: the key set no longer changes
		try {
			for (SelectionKey key : this.selector.keys()) {
				closeConnection(key);
			}
			this.selector.close();
			this.listener.close();
		}
		catch (IOException | ClosedSelectorException ex) {
			// closing anyway
		}
	}

}
