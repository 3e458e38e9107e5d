package io.github.kcp.benchmarks.tool;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import io.github.kcp.core.connection.CloseReason;
import io.github.kcp.core.transport.KcpSendBufferFullException;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionHandler;
import org.jspecify.annotations.Nullable;

/**
 * The KCP echo server's session handler: sends every message back from the event loop itself, without a thread
 * hop, so that round-trip figures measure the protocol and not the tool. When the send buffer is full it pauses
 * reading (the peer then sees our receive window close) and resumes once earlier echoes are acknowledged.
 */
final class EchoHandler implements KcpSessionHandler {

	private final Console console;

	private final boolean printStats;

	// all on the session's event loop
	private final ArrayDeque<byte[]> pending = new ArrayDeque<>();

	private @Nullable CompletableFuture<Void> lastAccepted;

	private boolean paused;

	private boolean waiting;

	private long total;

	EchoHandler(Console console, boolean printStats) {
		this.console = console;
		this.printStats = printStats;
	}

	@Override
	public void onOpen(KcpSession session) {
		this.console.err("echo-server: accepted conv %s from %s", Integer.toUnsignedString(session.conv()),
				session.remoteAddress());
	}

	@Override
	public void onMessage(KcpSession session, byte[] message) {
		this.pending.addLast(message);
		this.total += message.length;
		if (!this.waiting) {
			drain(session);
		}
	}

	private void drain(KcpSession session) {
		byte[] next;
		while ((next = this.pending.peekFirst()) != null) {
			CompletableFuture<Void> sent = session.send(next);
			if (sent.isCompletedExceptionally()) {
				Throwable cause = causeOf(sent);
				CompletableFuture<Void> earlier = this.lastAccepted;
				if (cause instanceof KcpSendBufferFullException && earlier != null && !earlier.isDone()) {
					if (!this.paused) {
						this.paused = true;
						session.pauseReading();
					}
					this.waiting = true;
					// Completion runs inside the engine's input processing: continue from a fresh task.
					earlier.whenComplete((ignored, failure) -> session.executor().execute(() -> {
						this.waiting = false;
						drain(session);
					}));
					return;
				}
				// Closing, or a message larger than the whole send buffer: nothing to wait for.
				this.console.err("echo: conv %s: cannot echo %d bytes: %s", Integer.toUnsignedString(session.conv()),
						next.length, cause.getMessage());
				this.pending.clear();
				return;
			}
			this.pending.pollFirst();
			this.lastAccepted = sent;
		}
		if (this.paused) {
			this.paused = false;
			session.resumeReading();
		}
	}

	private static Throwable causeOf(CompletableFuture<?> future) {
		try {
			future.join();
			return new IllegalStateException("not failed");
		}
		catch (CompletionException ex) {
			return (ex.getCause() != null) ? ex.getCause() : ex;
		}
		catch (RuntimeException ex) {
			return ex;
		}
	}

	@Override
	public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
		this.console.err("echo: conv %s from %s closed after %d bytes: %s", Integer.toUnsignedString(session.conv()),
				session.remoteAddress(), this.total, reason);
		if (this.printStats) {
			this.console.err("stats: conv %s: %s", Integer.toUnsignedString(session.conv()), session.stats());
		}
	}

}
