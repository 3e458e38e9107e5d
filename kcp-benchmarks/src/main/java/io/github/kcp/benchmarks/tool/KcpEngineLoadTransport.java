package io.github.kcp.benchmarks.tool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.github.kcp.core.protocol.Kcp;
import io.github.kcp.core.protocol.KcpMessageTooLargeException;
import io.github.kcp.core.connection.KcpConfig;
import org.jspecify.annotations.Nullable;

/**
 * Client KCP sessions for the load generator: a plain {@link Kcp} engine and a connected UDP socket per session
 * (kcp-go's listener tells sessions apart by address), all read by one selector thread, with no event loop, task
 * queue or future per message. The full transport ({@code KcpClient}) spends a few hundred microseconds of CPU per
 * message and session on this machine kind, so at 10,000 sessions it, not the server, would be measured.
 * <p>
 * Each engine is guarded by its session's monitor: the sending thread queues and flushes a message at once; the
 * selector thread feeds received datagrams, acknowledges at once (as the tools' servers do) and, every interval,
 * updates the sessions that still wait for an acknowledgement (retransmissions).
 */
final class KcpEngineLoadTransport implements LoadTransport {

	/** Most datagrams read from one socket per wake-up, so one busy session cannot starve the others. */
	private static final int READS_PER_WAKEUP = 64;

	private final KcpConfig config;

	private final InetSocketAddress server;

	private final @Nullable Peer[] peers;

	private final Selector selector;

	private final Queue<Peer> registrations = new ConcurrentLinkedQueue<>();

	/** Sessions with unacknowledged data, updated every interval. */
	private final Queue<Peer> waiting = new ConcurrentLinkedQueue<>();

	private final AtomicLong writeErrors = new AtomicLong();

	private final long epochNanos = System.nanoTime();

	private final Thread reader;

	private volatile boolean closed;

	KcpEngineLoadTransport(KcpConfig config, String host, int port, int count) throws IOException {
		this.config = config;
		this.server = new InetSocketAddress(host, port);
		this.peers = new Peer[count];
		this.selector = Selector.open();
		this.reader = new Thread(this::readLoop, "kcp-tool-kcp-load-reader");
		this.reader.setDaemon(true);
		this.reader.start();
	}

	/** The engines' clock: milliseconds since this transport started (wrapping 32-bit). */
	private int now() {
		return (int) ((System.nanoTime() - this.epochNanos) / 1_000_000);
	}

	@Override
	public void open(int index, Receiver receiver) throws IOException {
		DatagramChannel channel = DatagramChannel.open();
		try {
			channel.connect(this.server);
			channel.configureBlocking(false);
		}
		catch (IOException ex) {
			channel.close();
			throw ex;
		}
		Peer peer = new Peer(channel, receiver);
		this.peers[index] = peer;
		this.registrations.add(peer);
		this.selector.wakeup();
	}

	@Override
	public boolean send(int index, byte[] message) {
		Peer peer = this.peers[index];
		if (peer == null || this.closed) {
			return false;
		}
		synchronized (peer) {
			try {
				peer.kcp.send(message);
			}
			catch (KcpMessageTooLargeException ex) {
				return false;
			}
			peer.kcp.flush(now());
			peer.markWaiting();
		}
		return true;
	}

	/** Datagrams the kernel refused to send (for example while nobody listened on the server's port). */
	long writeErrors() {
		return this.writeErrors.get();
	}

	private void readLoop() {
		ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
		int interval = this.config.interval();
		int nextSweep = now() + interval;
		try {
			while (!this.closed) {
				int wait = nextSweep - now();
				if (wait > 0) {
					this.selector.select(wait);
				}
				else {
					this.selector.selectNow();
				}
				Peer registration;
				while ((registration = this.registrations.poll()) != null) {
					registration.channel.register(this.selector, SelectionKey.OP_READ, registration);
				}
				for (SelectionKey key : this.selector.selectedKeys()) {
					((Peer) key.attachment()).readAvailable(buffer);
				}
				this.selector.selectedKeys().clear();
				if (nextSweep - now() <= 0) {
					sweep();
					nextSweep = now() + interval;
				}
			}
		}
		catch (IOException | UncheckedIOException | ClosedSelectorException ex) {
			if (!this.closed) {
				System.err.println("kcp load reader: " + ex);
			}
		}
	}

	/** Updates every session that waits for an acknowledgement; bounded by the number waiting when it starts. */
	private void sweep() {
		int now = now();
		for (int n = this.waiting.size(); n > 0; n--) {
			Peer peer = this.waiting.poll();
			if (peer == null) {
				return;
			}
			synchronized (peer) {
				if (peer.kcp.check(now) - now <= 0) {
					peer.kcp.update(now);
				}
				peer.waiting = false;
				peer.markWaiting();
			}
		}
	}

	@Override
	public void close() {
		this.closed = true;
		this.selector.wakeup();
		try {
			this.reader.join(2000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		try {
			this.selector.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
		for (Peer peer : this.peers) {
			if (peer != null) {
				try {
					peer.channel.close();
				}
				catch (IOException ex) {
					// closing anyway
				}
			}
		}
	}

	/** One session: its socket, its engine (guarded by this object's monitor) and its receiver. */
	private final class Peer {

		final DatagramChannel channel;

		final Kcp kcp;

		final Receiver receiver;

		/** Whether it is in the waiting queue; guarded by this. */
		boolean waiting;

		Peer(DatagramChannel channel, Receiver receiver) {
			this.channel = channel;
			this.receiver = receiver;
			KcpConfig config = KcpEngineLoadTransport.this.config;
			int conv;
			do {
				conv = ThreadLocalRandom.current().nextInt();
			}
			while (conv == 0);
			this.kcp = new Kcp(conv, this::write);
			this.kcp.setNoDelay(config.nodelay(), config.interval(), config.resend(), !config.congestionControl());
			this.kcp.setWindowSize(config.sendWindow(), config.receiveWindow());
			this.kcp.setMtu(config.mtu());
			this.kcp.setStream(config.stream());
		}

		/** The engine's output: called with this peer's monitor held. */
		private void write(byte[] datagram, int length) {
			try {
				this.channel.write(ByteBuffer.wrap(datagram, 0, length));
			}
			catch (IOException ex) {
				KcpEngineLoadTransport.this.writeErrors.incrementAndGet();
			}
		}

		/** Queues this session for the interval updates while it has unacknowledged data; hold the monitor. */
		void markWaiting() {
			if (!this.waiting && this.kcp.waitSnd() > 0) {
				this.waiting = true;
				KcpEngineLoadTransport.this.waiting.add(this);
			}
		}

		/** Feeds what the socket holds to the engine, acknowledges, and hands complete messages over. */
		void readAvailable(ByteBuffer buffer) {
			int now = now();
			synchronized (this) {
				for (int i = 0; i < READS_PER_WAKEUP; i++) {
					buffer.clear();
					int n;
					try {
						n = this.channel.read(buffer);
					}
					catch (IOException ex) {
						// an ICMP error on the connected socket (the server is not up yet): nothing to read
						break;
					}
					if (n <= 0) {
						break;
					}
					this.kcp.input(buffer.array(), 0, n, now);
				}
				this.kcp.flushAcks(now);
				byte[] message;
				while ((message = this.kcp.receive()) != null) {
					this.receiver.received(message, 0, message.length);
				}
				markWaiting();
			}
		}

	}

}
