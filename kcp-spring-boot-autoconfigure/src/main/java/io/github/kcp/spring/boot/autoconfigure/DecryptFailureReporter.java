package io.github.kcp.spring.boot.autoconfigure;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.github.kcp.core.connection.DropReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs datagrams a KCP server could not decrypt at WARN, with their source addresses and the properties to check,
 * at most once per {@link #INTERVAL}: a wrong key otherwise shows only as a counter, and the clients only as
 * timeouts. The server's drop listener ({@code KcpServer.Builder#dropListener}): called on the server's event loop
 * for every datagram its packet stage drops, so it only counts between reports, and only
 * {@link DropReason#DECRYPT_FAILED} — a replayed or truncated datagram says nothing about the key.
 */
final class DecryptFailureReporter implements BiConsumer<DropReason, InetSocketAddress> {

	private static final Logger logger = LoggerFactory.getLogger(DecryptFailureReporter.class);

	/** Shortest time between two reports. */
	static final Duration INTERVAL = Duration.ofSeconds(10);

	/** Distinct sources named per report. */
	private static final int MAX_SOURCES = 5;

	private final String cipher;

	private final Consumer<String> warn;

	private final LongSupplier nanoTime;

	private final Object monitor = new Object();

	private long failures;

	private final Set<InetSocketAddress> sources = new LinkedHashSet<>();

	private long lastReportNanos;

	private boolean reported;

	DecryptFailureReporter(String cipher) {
		this(cipher, logger::warn, System::nanoTime);
	}

	DecryptFailureReporter(String cipher, Consumer<String> warn, LongSupplier nanoTime) {
		this.cipher = cipher;
		this.warn = warn;
		this.nanoTime = nanoTime;
	}

	@Override
	public void accept(DropReason reason, InetSocketAddress source) {
		if (reason != DropReason.DECRYPT_FAILED) {
			return;
		}
		String report;
		synchronized (this.monitor) {
			this.failures++;
			if (this.sources.size() < MAX_SOURCES) {
				this.sources.add(source);
			}
			long now = this.nanoTime.getAsLong();
			if (this.reported && now - this.lastReportNanos < INTERVAL.toNanos()) {
				return;
			}
			report = this.failures + " datagram(s) from " + this.sources
					+ ((this.sources.size() == MAX_SOURCES) ? " and maybe others" : "")
					+ " could not be decrypted with the server's packet cipher (" + this.cipher + ") and were dropped"
					+ (this.reported ? " since the last report" : "")
					+ ". Do both ends use the same kcp.crypto.mode, kcp.crypto.key and kcp.crypto.salt? (Reported at "
					+ "most every " + INTERVAL.toSeconds() + " s.)";
			this.reported = true;
			this.lastReportNanos = now;
			this.failures = 0;
			this.sources.clear();
		}
		this.warn.accept(report);
	}

}
