package io.github.kcp.core.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.kcp.core.connection.CloseReason;
import org.jspecify.annotations.Nullable;

/**
 * Test support: a session handler that records what happens, in order, and optionally echoes every message.
 */
class RecordingHandler implements KcpSessionHandler {

	/** Messages in arrival order. */
	final LinkedBlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();

	/** Every event in order: "open", "message", "close:REASON". */
	final List<String> events = new ArrayList<>();

	final CompletableFuture<KcpSession> opened = new CompletableFuture<>();

	final CompletableFuture<CloseReason> closed = new CompletableFuture<>();

	volatile @Nullable Throwable closeCause;

	/** How many messages had been delivered when onClose ran. */
	volatile int messagesBeforeClose = -1;

	private final boolean echo;

	RecordingHandler(boolean echo) {
		this.echo = echo;
	}

	static RecordingHandler echo() {
		return new RecordingHandler(true);
	}

	static RecordingHandler recorder() {
		return new RecordingHandler(false);
	}

	@Override
	public void onOpen(KcpSession session) {
		synchronized (this.events) {
			this.events.add("open");
		}
		this.opened.complete(session);
	}

	@Override
	public void onMessage(KcpSession session, byte[] message) {
		synchronized (this.events) {
			this.events.add("message");
		}
		this.messages.add(message);
		if (this.echo) {
			session.send(message);
		}
	}

	@Override
	public void onClose(KcpSession session, CloseReason reason, @Nullable Throwable cause) {
		synchronized (this.events) {
			this.events.add("close:" + reason);
		}
		this.closeCause = cause;
		this.messagesBeforeClose = this.messages.size();
		this.closed.complete(reason);
	}

	List<String> events() {
		synchronized (this.events) {
			return new ArrayList<>(this.events);
		}
	}

	/** Waits for the next message; fails if none arrives in time. */
	byte[] nextMessage(Duration timeout) throws InterruptedException {
		byte[] message = this.messages.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
		if (message == null) {
			throw new AssertionError("No message within " + timeout);
		}
		return message;
	}

}
