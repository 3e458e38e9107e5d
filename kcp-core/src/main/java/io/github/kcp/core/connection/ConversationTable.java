package io.github.kcp.core.connection;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntSupplier;

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
 * <b>Protection</b> ({@link ServerProtection}). A new conversation's peer is <em>unproven</em> until it acknowledges
 * data the server sent (see {@link PeerValidation}): until then its connection lives under small terms — an
 * anti-amplification limit, a receive budget of its own within a quarter of the server's memory budget, a short
 * idle timeout. When the policy refuses a conversation because the server ({@link DropReason#SESSION_LIMIT}) or
 * its source address ({@link DropReason#ADDRESS_SESSION_LIMIT}) is full, the oldest unproven conversation of that
 * scope is evicted ({@link CloseReason#EVICTED}) to make room, so a flood of conversations that never answer cannot
 * lock out a new client; when the unproven conversations hold more memory than their share,
 * {@link #relieveMemoryPressure} evicts the oldest of them. Evicted sessions are handed to the shell with
 * {@link #pollEvicted()}, already closed and removed. Conversations are told whether the peer understands the close
 * signal; a closed conversation's late datagrams are answered with it only if so.
 * <p>
 * Not thread-safe: confine it to one thread, with the connections it holds.
 *
 * @param <A> the type of peer addresses (the shell's socket address type)
 * @param <S> the shell's session type
 */
public final class ConversationTable<A, S> {

	private final Map<Key<A>, Entry<S>> live = new HashMap<>();

	/** Recently closed conversations and when to forget them; insertion order is closing order. */
	private final LinkedHashMap<Key<A>, Closed> recentlyClosed = new LinkedHashMap<>();

	private final AdmissionPolicy<A> policy;

	private final Function<? super A, ?> sourceOf;

	private final ServerProtection protection;

	private final Consumer<DropReason> drops;

	/** What all sessions may hold. */
	private final MemoryBudget memory;

	/** Within it, what unproven sessions may hold together. */
	private final MemoryBudget unprovenMemory;

	/**
	 * Live conversations whose peer was unproven when last looked at, oldest first (pruned lazily of those proven
	 * since), overall and by source.
	 */
	private final LinkedHashMap<Key<A>, Entry<S>> unproven = new LinkedHashMap<>();

	private final Map<Object, LinkedHashSet<Key<A>>> unprovenBySource = new HashMap<>();

	private final ArrayDeque<S> evicted = new ArrayDeque<>();

	private long evictions;

	/** DTLS handshakes admitted and not yet ended: they count against the caps like conversations. */
	private int handshakes;

	private final long closedMemoryMillis;

	private final IntSupplier challengeSecrets;

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
		this(policy, closedMemoryMillis, closedMemoryLimit, Function.identity(), ServerProtection.NONE,
				(reason) -> {
				}, () -> 0);
	}

	/**
	 * Creates an empty table that protects its conversations.
	 * @param policy decides whether new conversations open (give it the same {@code sourceOf})
	 * @param closedMemoryMillis how long a closed conversation is remembered (0: not at all)
	 * @param closedMemoryLimit most closed conversations remembered at once
	 * @param sourceOf the source an address counts for (the scope of per-address limits and eviction)
	 * @param protection the terms of unproven peers and the memory budget
	 * @param drops where the drops of the conversations' connections are counted for the server as a whole
	 * ({@link DropReason#MEMORY_BUDGET}, {@link DropReason#AMPLIFICATION_LIMITED})
	 * @param challengeSecrets the secret of each unproven connection's address challenge: unpredictable values (a
	 * {@code SecureRandom}'s) in a server
	 */
	public ConversationTable(AdmissionPolicy<A> policy, long closedMemoryMillis, int closedMemoryLimit,
			Function<? super A, ?> sourceOf, ServerProtection protection, Consumer<DropReason> drops,
			IntSupplier challengeSecrets) {
		this.policy = Objects.requireNonNull(policy, "policy");
		if (closedMemoryMillis < 0 || closedMemoryLimit < 0) {
			throw new IllegalArgumentException("closed-conversation memory must not be negative");
		}
		this.closedMemoryMillis = closedMemoryMillis;
		this.closedMemoryLimit = closedMemoryLimit;
		this.sourceOf = Objects.requireNonNull(sourceOf, "sourceOf");
		this.protection = Objects.requireNonNull(protection, "protection");
		this.drops = Objects.requireNonNull(drops, "drops");
		this.challengeSecrets = Objects.requireNonNull(challengeSecrets, "challengeSecrets");
		this.memory = MemoryBudget.of(protection.memoryBudget());
		this.unprovenMemory = new MemoryBudget(protection.unprovenMemoryBudget(), this.memory);
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
		return admit(address, conv, data, offset, length, now, true);
	}

	/**
	 * Like {@link #admit}, for the first datagram of a conversation inside a completed DTLS handshake that
	 * {@link #admitHandshake} let in: the policy was asked then, so it is not asked again.
	 */
	public Verdict admitAfterHandshake(A address, int conv, byte[] data, int offset, int length, long now) {
		return admit(address, conv, data, offset, length, now, false);
	}

	private Verdict admit(A address, int conv, byte[] data, int offset, int length, long now, boolean byPolicy) {
		if (!this.receiving) {
			return Verdict.drop(DropReason.SHUTTING_DOWN);
		}
		int kind = FirstDatagram.classify(data, offset, length);
		Closed closed = recentlyClosed(new Key<>(address, conv), now);
		if (closed != null) {
			// Tell the peer again if it understands the signal; never answer a signal with a signal of the same
			// kind, so no ping-pong.
			return switch (kind) {
				case FirstDatagram.CLOSE -> Verdict.CLOSED_ANSWER_CLOSE_ACK;
				case FirstDatagram.CLOSE_ACK -> Verdict.drop(DropReason.CLOSED_SESSION);
				default -> (closed.peerUnderstandsSignal || CloseSignalOffer.isMarked(data, offset, length))
						? Verdict.CLOSED_ANSWER_CLOSE : Verdict.drop(DropReason.CLOSED_SESSION);
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
				return byPolicy ? admitByPolicy(address, now) : Verdict.ADMIT;
		}
	}

	/**
	 * Decides whether a source whose address a DTLS cookie exchange proved may start a handshake: the policy
	 * decides (session cap, rates, per-address limits), as for a new conversation, and a full server or address
	 * first evicts its oldest unproven conversation. On {@link Verdict#ADMIT} call {@link #handshakeStarted}.
	 */
	public Verdict admitHandshake(A address, long now) {
		if (!this.receiving) {
			return Verdict.drop(DropReason.SHUTTING_DOWN);
		}
		return admitByPolicy(address, now);
	}

	/** A DTLS handshake {@link #admitHandshake} let in started: it counts as an open conversation of its address. */
	public void handshakeStarted(A address, long now) {
		this.handshakes++;
		this.policy.opened(address, now);
	}

	/** A DTLS handshake ended without a conversation (it failed, timed out, or its peer never sent data). */
	public void handshakeEnded(A address, long now) {
		this.handshakes--;
		this.policy.closed(address, now);
	}

	/** How many DTLS handshakes are counted (started and neither ended nor turned into a conversation). */
	public int handshakes() {
		return this.handshakes;
	}

	/** The policy's decision; a full server or address first evicts its oldest unproven conversation. */
	private Verdict admitByPolicy(A address, long now) {
		if (this.protection.validatesPeers()) {
			relieveMemoryPressure(now);
		}
		DropReason refused = this.policy.admit(address, now, this.live.size() + this.handshakes);
		// Twice at most: the server and the address may both be full.
		for (int attempt = 0; attempt < 2 && refused != null && this.protection.validatesPeers(); attempt++) {
			boolean evicted;
			if (refused == DropReason.SESSION_LIMIT) {
				evicted = evictOldestUnproven(null, now);
			}
			else if (refused == DropReason.ADDRESS_SESSION_LIMIT) {
				evicted = evictOldestUnproven(this.sourceOf.apply(address), now);
			}
			else {
				break;
			}
			if (!evicted) {
				break;
			}
			refused = this.policy.admit(address, now, this.live.size() + this.handshakes);
		}
		return (refused != null) ? Verdict.drop(refused) : Verdict.ADMIT;
	}

	/**
	 * Adds a conversation that {@link #admit} let in, and puts its connection under the server's terms (call it
	 * before the connection handles its first datagram).
	 */
	public void add(A address, int conv, KcpConnection connection, S session, long now) {
		add(address, conv, connection, session, now, true, false);
	}

	/**
	 * Adds the conversation of a completed DTLS handshake ({@link #admitAfterHandshake}): the handshake's place in
	 * the counts passes to it, and its peer is proven (it returned a cookie made for its address and completed a
	 * handshake there), so only the memory budget applies to it.
	 */
	public void addAfterHandshake(A address, int conv, KcpConnection connection, S session, long now) {
		add(address, conv, connection, session, now, false, true);
		this.handshakes--;
	}

	private void add(A address, int conv, KcpConnection connection, S session, long now, boolean opens,
			boolean proven) {
		Key<A> key = new Key<>(address, conv);
		Entry<S> entry = new Entry<>(connection, session, this.sourceOf.apply(address));
		if (this.live.putIfAbsent(key, entry) != null) {
			throw new IllegalStateException("Conversation " + Integer.toUnsignedString(conv) + " with " + address
					+ " is already live");
		}
		this.recentlyClosed.remove(key);
		if (this.protection.validatesPeers() && !proven) {
			MemoryBudget own = new MemoryBudget(this.protection.unprovenReceiveBudget(), this.unprovenMemory);
			connection.acceptedByServer(PeerValidation.unproven(this.protection.amplificationFactor(), own,
					this.memory, this.protection.unprovenIdleTimeoutMillis(), this.challengeSecrets.getAsInt(),
					this.drops));
			this.unproven.put(key, entry);
			this.unprovenBySource.computeIfAbsent(entry.source, (source) -> new LinkedHashSet<>()).add(key);
		}
		else {
			connection.acceptedByServer(PeerValidation.none(this.memory, this.drops));
		}
		if (opens) {
			this.policy.opened(address, now);
		}
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
		removeLive(key, entry, now);
		return true;
	}

	private void removeLive(Key<A> key, Entry<S> entry, long now) {
		this.live.remove(key);
		forgetUnproven(key, entry);
		this.policy.closed(key.address, now);
		forgetExpired(now);
		if (this.closedMemoryMillis > 0 && this.closedMemoryLimit > 0) {
			this.recentlyClosed.put(key,
					new Closed(now + this.closedMemoryMillis, entry.connection.peerUnderstandsCloseSignal()));
			while (this.recentlyClosed.size() > this.closedMemoryLimit) {
				Iterator<Key<A>> eldest = this.recentlyClosed.keySet().iterator();
				eldest.next();
				eldest.remove();
			}
		}
	}

	private void forgetUnproven(Key<A> key, Entry<S> entry) {
		if (this.unproven.remove(key) == null) {
			return;
		}
		LinkedHashSet<Key<A>> ofSource = this.unprovenBySource.get(entry.source);
		if (ofSource != null && ofSource.remove(key) && ofSource.isEmpty()) {
			this.unprovenBySource.remove(entry.source);
		}
	}

	// ---------------------------------------------------------------- eviction

	/**
	 * Evicts the oldest conversation whose peer is still unproven, overall or of one source, forgetting those proven
	 * since.
	 * @param source the source, or {@code null} for any
	 * @return whether one was evicted
	 */
	private boolean evictOldestUnproven(@Nullable Object source, long now) {
		boolean overall = source == null;
		java.util.Collection<Key<A>> candidates = overall ? this.unproven.keySet() : this.unprovenBySource.get(source);
		if (candidates == null) {
			return false;
		}
		Iterator<Key<A>> keys = candidates.iterator();
		while (keys.hasNext()) {
			Key<A> key = keys.next();
			Entry<S> entry = this.live.get(key);
			if (entry == null) {
				keys.remove();
				continue;
			}
			if (entry.connection.isClosed()) {
				// Closing already; the shell removes it.
				continue;
			}
			if (entry.connection.isPeerProven()) {
				keys.remove();
				if (overall) {
					LinkedHashSet<Key<A>> ofSource = this.unprovenBySource.get(entry.source);
					if (ofSource != null && ofSource.remove(key) && ofSource.isEmpty()) {
						this.unprovenBySource.remove(entry.source);
					}
				}
				else {
					this.unproven.remove(key);
				}
				continue;
			}
			evict(key, entry, now);
			return true;
		}
		if (!overall && candidates.isEmpty()) {
			this.unprovenBySource.remove(source);
		}
		return false;
	}

	/**
	 * Evicts the oldest unproven conversations while the unproven ones together hold more memory than their share
	 * (in-order data is charged even beyond it, so that delivery goes on); the shell calls it after each burst of
	 * datagrams and {@link #pollEvicted() services} the evicted sessions.
	 * @return how many were evicted
	 */
	public int relieveMemoryPressure(long now) {
		int evictedNow = 0;
		while (this.unprovenMemory.isExceeded() && evictOldestUnproven(null, now)) {
			evictedNow++;
		}
		return evictedNow;
	}

	private void evict(Key<A> key, Entry<S> entry, long now) {
		entry.connection.abort(now, CloseReason.EVICTED);
		removeLive(key, entry, now);
		this.evicted.addLast(entry.session);
		this.evictions++;
	}

	/**
	 * The next session evicted since the last call, or {@code null}: its connection is closed
	 * ({@link CloseReason#EVICTED}) and it is no longer in the table; the shell reports its close.
	 */
	public @Nullable S pollEvicted() {
		return this.evicted.pollFirst();
	}

	/** How many conversations were evicted so far. */
	public long evictions() {
		return this.evictions;
	}

	/** How many live conversations have an unproven peer. */
	public int unprovenSessions() {
		int count = 0;
		for (Entry<S> entry : this.unproven.values()) {
			if (!entry.connection.isPeerProven()) {
				count++;
			}
		}
		return count;
	}

	/** The budget of all sessions' receive and send buffers (the shell charges sends to it). */
	public MemoryBudget memoryBudget() {
		return this.memory;
	}

	/** The budget of the unproven sessions together, a quarter of {@link #memoryBudget()}. */
	public MemoryBudget unprovenMemoryBudget() {
		return this.unprovenMemory;
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

	private @Nullable Closed recentlyClosed(Key<A> key, long now) {
		Closed closed = this.recentlyClosed.get(key);
		if (closed == null) {
			return null;
		}
		if (now >= closed.forgetAt) {
			this.recentlyClosed.remove(key);
			return null;
		}
		return closed;
	}

	/** Forgets the oldest closed conversations whose memory ran out (all share one duration: oldest first). */
	private void forgetExpired(long now) {
		Iterator<Closed> closed = this.recentlyClosed.values().iterator();
		while (closed.hasNext() && now >= closed.next().forgetAt) {
			closed.remove();
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

	private record Entry<S>(KcpConnection connection, S session, Object source) {
	}

	/** A closed conversation remembered until {@code forgetAt}, and whether its peer understands the close signal. */
	private record Closed(long forgetAt, boolean peerUnderstandsSignal) {
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
