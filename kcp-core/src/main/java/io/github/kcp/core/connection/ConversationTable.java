package io.github.kcp.core.connection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;

/**
 * A server's conversations, without I/O: demultiplexing by (peer address, conversation id), admission of new
 * conversations, the memory of closed ones, and the server-wide stop. quinn-proto's {@code Endpoint} plays this
 * part there. The shell looks a datagram up with {@link #get}; for an unknown conversation it asks {@link #admit},
 * and on {@link Verdict#ADMIT} creates the session and {@link #add adds} it; when a session closes it
 * {@link #remove removes} it.
 * <p>
 * Admission, in order: while the server stops, nothing opens ({@link DropReason#SHUTTING_DOWN}); a recently closed
 * conversation does not reopen, and its late datagrams are answered with a close signal (a close signal with a
 * confirmation, a confirmation with nothing, so two ends never ping-pong); a lone close signal of an unknown
 * conversation is confirmed; then the datagram must be well-formed KCP of one conversation
 * ({@link DropReason#MALFORMED}) and carry data ({@link DropReason#NOT_A_NEW_CONVERSATION}); last the
 * {@link AdmissionPolicy} decides (session cap, rate, and whatever else is plugged in). The datagram is scanned once
 * for all of this.
 * <p>
 * Not thread-safe: confine it to one thread, with the connections it holds.
 *
 * @param <A> the type of peer addresses (the shell's socket address type)
 * @param <S> the shell's session type
 */
public final class ConversationTable<A, S> {

	private final Map<Key<A>, Entry<S>> live = new HashMap<>();

	/** Recently closed conversations and when to forget them; insertion order is closing order. */
	private final LinkedHashMap<Key<A>, Long> recentlyClosed = new LinkedHashMap<>();

	private final AdmissionPolicy<A> policy;

	private final long closedMemoryMillis;

	private final int closedMemoryLimit;

	private boolean receiving = true;

	private boolean shuttingDown;

	private long shutdownDeadline = KcpConnection.NO_DEADLINE;

	/**
	 * Creates an empty table.
	 * @param policy decides whether new conversations open
	 * @param closedMemoryMillis how long a closed conversation is remembered (0: not at all); see
	 * {@link KcpSettings#CLOSED_SESSION_MEMORY}
	 * @param closedMemoryLimit most closed conversations remembered at once (the oldest are forgotten first)
	 */
	public ConversationTable(AdmissionPolicy<A> policy, long closedMemoryMillis, int closedMemoryLimit) {
		this.policy = Objects.requireNonNull(policy, "policy");
		if (closedMemoryMillis < 0 || closedMemoryLimit < 0) {
			throw new IllegalArgumentException("closed-conversation memory must not be negative");
		}
		this.closedMemoryMillis = closedMemoryMillis;
		this.closedMemoryLimit = closedMemoryLimit;
	}

	/** The session of a live conversation, or {@code null}. */
	public @Nullable S get(A address, int conv) {
		Entry<S> entry = this.live.get(new Key<>(address, conv));
		return (entry != null) ? entry.session : null;
	}

	/**
	 * Decides what to do with a datagram of a conversation that is not live (call {@link #get} first).
	 * @param address the sender
	 * @param conv the conversation id of its first segment
	 * @param data the plaintext datagram (at least a segment header long)
	 * @param now the current time in milliseconds
	 * @return {@link Verdict#ADMIT}, or the drop reason and the close signal to answer with, if any
	 */
	public Verdict admit(A address, int conv, byte[] data, int offset, int length, long now) {
		if (!this.receiving) {
			return Verdict.drop(DropReason.SHUTTING_DOWN);
		}
		int kind = FirstDatagram.classify(data, offset, length);
		if (wasRecentlyClosed(new Key<>(address, conv), now)) {
			// Tell the peer again; never answer a signal with a signal of the same kind, so no ping-pong.
			return switch (kind) {
				case FirstDatagram.CLOSE -> Verdict.CLOSED_ANSWER_CLOSE_ACK;
				case FirstDatagram.CLOSE_ACK -> Verdict.drop(DropReason.CLOSED_SESSION);
				default -> Verdict.CLOSED_ANSWER_CLOSE;
			};
		}
		switch (kind) {
			case FirstDatagram.CLOSE:
				return Verdict.CLOSED_ANSWER_CLOSE_ACK;
			case FirstDatagram.CLOSE_ACK:
				return Verdict.drop(DropReason.CLOSED_SESSION);
			case FirstDatagram.MALFORMED:
				return Verdict.drop(DropReason.MALFORMED);
			case FirstDatagram.NO_DATA:
				return Verdict.drop(DropReason.NOT_A_NEW_CONVERSATION);
			default:
				DropReason refused = this.policy.admit(address, now, this.live.size());
				return (refused != null) ? Verdict.drop(refused) : Verdict.ADMIT;
		}
	}

	/** Adds a conversation that {@link #admit} let in. */
	public void add(A address, int conv, KcpConnection connection, S session, long now) {
		Key<A> key = new Key<>(address, conv);
		if (this.live.putIfAbsent(key, new Entry<>(connection, session)) != null) {
			throw new IllegalStateException("Conversation " + Integer.toUnsignedString(conv) + " with " + address
					+ " is already live");
		}
		this.recentlyClosed.remove(key);
		this.policy.opened(address, now);
	}

	/**
	 * Removes a closed conversation and remembers it for the closed-conversation memory.
	 * @return whether it was live with that session
	 */
	public boolean remove(A address, int conv, S session, long now) {
		Key<A> key = new Key<>(address, conv);
		Entry<S> entry = this.live.get(key);
		if (entry == null || entry.session != session) {
			return false;
		}
		this.live.remove(key);
		this.policy.closed(address, now);
		forgetExpired(now);
		if (this.closedMemoryMillis > 0 && this.closedMemoryLimit > 0) {
			this.recentlyClosed.put(key, now + this.closedMemoryMillis);
			while (this.recentlyClosed.size() > this.closedMemoryLimit) {
				Iterator<Key<A>> eldest = this.recentlyClosed.keySet().iterator();
				eldest.next();
				eldest.remove();
			}
		}
		return true;
	}

	/** How many conversations are live. */
	public int size() {
		return this.live.size();
	}

	/** Whether no conversation is live. */
	public boolean isEmpty() {
		return this.live.isEmpty();
	}

	/** A copy of the live sessions. */
	public List<S> sessions() {
		List<S> sessions = new ArrayList<>(this.live.size());
		for (Entry<S> entry : this.live.values()) {
			sessions.add(entry.session);
		}
		return sessions;
	}

	/** How many closed conversations are remembered now. */
	public int rememberedClosed() {
		return this.recentlyClosed.size();
	}

	// ---------------------------------------------------------------- stopping

	/**
	 * Stops receiving: no new conversation opens ({@link DropReason#SHUTTING_DOWN}) and every live connection
	 * {@link KcpConnection#stopReceivingData() refuses new data} — its peer keeps it for a retry elsewhere — while
	 * data acknowledged before is still delivered and our own sends (replies) still complete.
	 */
	public void stopReceiving() {
		this.receiving = false;
		for (Entry<S> entry : this.live.values()) {
			entry.connection.stopReceivingData();
		}
	}

	/** Whether new conversations and new data are refused. */
	public boolean isReceiving() {
		return this.receiving;
	}

	/**
	 * Begins the server's graceful shutdown: {@link #stopReceiving()}, then every connection closes gracefully with
	 * {@link CloseReason#SERVER_SHUTDOWN} (delivering and getting acknowledged what it sent, then telling its peer).
	 * Connections still open after {@code graceMillis} are aborted by {@link #handleTimeout}. The shell services every
	 * session after this call, and removes them as they close; the shutdown is over when the table is empty.
	 */
	public void shutdown(long now, long graceMillis) {
		if (graceMillis < 0) {
			throw new IllegalArgumentException("The grace period must not be negative but was " + graceMillis);
		}
		stopReceiving();
		if (this.shuttingDown) {
			return;
		}
		this.shuttingDown = true;
		this.shutdownDeadline = now + graceMillis;
		for (Entry<S> entry : this.live.values()) {
			entry.connection.close(now, CloseReason.SERVER_SHUTDOWN);
		}
	}

	/** Whether {@link #shutdown} has begun. */
	public boolean isShuttingDown() {
		return this.shuttingDown;
	}

	/** When {@link #handleTimeout} is next needed: the end of the shutdown's grace period, or none. */
	public long pollTimeout() {
		return this.live.isEmpty() ? KcpConnection.NO_DEADLINE : this.shutdownDeadline;
	}

	/** At the end of the grace period, aborts the connections still open (they tell their peers). */
	public void handleTimeout(long now) {
		if (now < this.shutdownDeadline) {
			return;
		}
		this.shutdownDeadline = KcpConnection.NO_DEADLINE;
		for (Entry<S> entry : this.live.values()) {
			entry.connection.abort(now, CloseReason.SERVER_SHUTDOWN);
		}
	}

	// ---------------------------------------------------------------- closed memory

	private boolean wasRecentlyClosed(Key<A> key, long now) {
		Long forgetAt = this.recentlyClosed.get(key);
		if (forgetAt == null) {
			return false;
		}
		if (now >= forgetAt) {
			this.recentlyClosed.remove(key);
			return false;
		}
		return true;
	}

	/** Forgets the oldest closed conversations whose memory ran out (all share one duration: oldest first). */
	private void forgetExpired(long now) {
		Iterator<Long> forgetAt = this.recentlyClosed.values().iterator();
		while (forgetAt.hasNext() && now >= forgetAt.next()) {
			forgetAt.remove();
		}
	}

	@Override
	public String toString() {
		return "ConversationTable{live=" + this.live.size() + ", rememberedClosed=" + this.recentlyClosed.size()
				+ ", receiving=" + this.receiving + ", policy=" + this.policy + "}";
	}

	/** Conversations are keyed by the peer's address and the conversation id. */
	private record Key<A>(A address, int conv) {
	}

	private record Entry<S>(KcpConnection connection, S session) {
	}

	/**
	 * What kind of datagram opens an unknown conversation, found in one pass over it: a close signal, malformed, or
	 * well formed with or without a data segment.
	 */
	static final class FirstDatagram {

		static final int CLOSE = 1;

		static final int CLOSE_ACK = 2;

		static final int MALFORMED = 3;

		static final int NO_DATA = 4;

		static final int DATA = 5;

		private FirstDatagram() {
		}

		static int classify(byte[] data, int offset, int length) {
			int signal = KcpCodec.closeSignal(data, offset, length);
			if (signal == KcpCodec.CMD_CLOSE) {
				return CLOSE;
			}
			if (signal == KcpCodec.CMD_CLOSE_ACK) {
				return CLOSE_ACK;
			}
			if (length < KcpCodec.OVERHEAD) {
				return MALFORMED;
			}
			int conv = KcpCodec.readInt(data, offset);
			boolean push = false;
			int position = offset;
			int end = offset + length;
			while (position < end) {
				if (end - position < KcpCodec.OVERHEAD || KcpCodec.readInt(data, position) != conv) {
					return MALFORMED;
				}
				int cmd = data[position + 4] & 0xff;
				int len = KcpCodec.readInt(data, position + 20);
				if (len < 0 || len > end - position - KcpCodec.OVERHEAD || !KcpCodec.isKnownCommand(cmd)) {
					return MALFORMED;
				}
				push |= cmd == KcpCodec.CMD_PUSH;
				position += KcpCodec.OVERHEAD + len;
			}
			return push ? DATA : NO_DATA;
		}

	}

}
