package io.github.kcp.benchmarks.tool;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import io.github.kcp.testsupport.interop.DeterministicContent;
import org.jspecify.annotations.Nullable;

/**
 * The KCP bulk server's session handler: counts the transfer on the event loop itself (8-byte big-endian length N,
 * then N bytes, answered with the single byte 1), without handing every message to another thread, so that
 * throughput figures measure the protocol and not the tool. Several transfers may follow each other on a session.
 */
final class BulkHandler implements KcpSessionHandler {

	private static final byte[] REPLY = { 1 };

	private final Console console;

	private final boolean printStats;

	// all on the session's event loop
	private final byte[] header = new byte[DeterministicContent.HEADER_BYTES];

	private int headerFilled;

	private long remaining = -1;

	private long length;

	private long startNanos;

	BulkHandler(Console console, boolean printStats) {
		this.console = console;
		this.printStats = printStats;
	}

	@Override
	public void onOpen(KcpSession session) {
		this.console.err("bulk-server: accepted conv %s from %s", Integer.toUnsignedString(session.conv()),
				session.remoteAddress());
	}

	@Override
	public void onMessage(KcpSession session, byte[] message) {
		int pos = 0;
		while (pos < message.length) {
			if (this.remaining < 0) {
				if (this.headerFilled == 0) {
					this.startNanos = System.nanoTime();
				}
				int k = Math.min(message.length - pos, this.header.length - this.headerFilled);
				System.arraycopy(message, pos, this.header, this.headerFilled, k);
				this.headerFilled += k;
				pos += k;
				if (this.headerFilled == this.header.length) {
					this.length = DeterministicContent.readLength(this.header);
					if (this.length < 0) {
						this.console.err("bulk: conv %s: length header %s is too large, closing",
								Integer.toUnsignedString(session.conv()), Long.toUnsignedString(this.length));
						session.abort();
						return;
					}
					this.remaining = this.length;
					this.headerFilled = 0;
				}
			}
			else {
				int k = (int) Math.min(message.length - pos, this.remaining);
				this.remaining -= k;
				pos += k;
			}
			if (this.remaining == 0) {
				session.send(REPLY);
				this.console.out("received %d bytes in %d ms", this.length, (System.nanoTime() - this.startNanos)
						/ 1_000_000);
				this.remaining = -1;
			}
		}
	}

	@Override
	public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
		this.console.err("bulk: conv %s from %s closed: %s", Integer.toUnsignedString(session.conv()),
				session.remoteAddress(), reason);
		if (this.printStats) {
			this.console.err("stats: conv %s: %s", Integer.toUnsignedString(session.conv()), session.stats());
		}
	}

}
