package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import javax.net.ssl.SSLException;

import io.github.kcp.core.connection.ConversationTable;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.Verdict;
import io.github.kcp.core.dtls.DtlsCookieGate;
import io.github.kcp.core.dtls.DtlsEvent;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.protocol.InputResult;
import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DTLS server's packet stage: it demultiplexes datagrams by source address — one {@link DtlsPeer} per address —
 * and lets nothing else cost state. A datagram from an address without a peer goes to the stateless
 * {@link DtlsCookieGate}: a hello without a valid cookie is answered (never with more bytes than it had) and
 * forgotten, anything else but a hello is dropped ({@link DropReason#DTLS_REJECTED}); a hello whose cookie proves
 * the address is then put to the table's admission (session cap, rates, per-address limits), and only then does a
 * handshake start. The handshake counts in the table like a conversation; the KCP conversation opens with the first
 * KCP datagram after it (its conv is inside the records) and takes the handshake's place. A peer that completes the
 * handshake but sends no KCP data within the unproven idle timeout is closed.
 * <p>
 * The settings are read when a handshake starts, so {@link #updateSettings} changes the certificate and trust of
 * new handshakes only; live sessions keep their keys. On the server's loop, apart from the settings and counters.
 */
final class DtlsServerStage implements DtlsPeer.Owner {

	private static final Logger logger = LoggerFactory.getLogger(DtlsServerStage.class);

	/** What the stage needs of its server, on the loop. */
	interface Host {

		/** The configuration of new sessions. */
		KcpConfig sessionConfig();

		/** Creates, adds and opens the session of an admitted conversation over a DTLS peer. */
		EventLoopSession openSession(InetSocketAddress address, int conv, KcpConfig config,
				EventLoopSession.SessionStage stage);

		/** The session received input in this read burst: service it at the burst's end. */
		void touched(EventLoopSession session);

		/** The table may have evicted sessions: report their close. */
		void drainEvicted();

		/** A datagram from {@code sender} was dropped before a session (for the drop listener). */
		void dropped(DropReason reason, InetSocketAddress sender);

	}

	/** Where a ClientHello's random starts in its datagram: record header 13, handshake header 12, version 2. */
	static final int HELLO_RANDOM = 13 + 12 + 2;

	private final DtlsCookieGate gate = DtlsCookieGate.create(new SecureRandom());

	private final Map<InetSocketAddress, DtlsPeer> peers = new HashMap<>();

	private final UdpEndpoint endpoint;

	private final ConversationTable<InetSocketAddress, EventLoopSession> table;

	private final Host host;

	private final long idleLimitMillis;

	private volatile DtlsSettings settings;

	/** The settings in use with the datagram size cut to the sessions' mtu, and what they were made from. */
	private volatile DtlsSettings effective;

	private volatile int effectiveMtu;

	/** The settings {@link #effective} was made from; on the loop. */
	private @Nullable DtlsSettings madeFrom;

	private volatile long cookiesSent;

	private volatile long handshakesCompleted;

	private volatile long handshakesFailed;

	DtlsServerStage(DtlsSettings settings, UdpEndpoint endpoint,
			ConversationTable<InetSocketAddress, EventLoopSession> table, Host host, long idleLimitMillis) {
		this.settings = Objects.requireNonNull(settings, "settings");
		this.effective = settings;
		this.effectiveMtu = -1;
		this.endpoint = endpoint;
		this.table = table;
		this.host = host;
		this.idleLimitMillis = idleLimitMillis;
	}

	/** The settings of new handshakes. */
	DtlsSettings settings() {
		return this.settings;
	}

	/** Replaces the settings of the handshakes that start from now on. Any thread. */
	void updateSettings(DtlsSettings settings) {
		this.settings = Objects.requireNonNull(settings, "settings");
	}

	/** HelloVerifyRequests sent by the cookie gate. */
	long cookiesSent() {
		return this.cookiesSent;
	}

	long handshakesCompleted() {
		return this.handshakesCompleted;
	}

	long handshakesFailed() {
		return this.handshakesFailed;
	}

	/** Peers with state: handshaking, waiting for their first KCP datagram, or carrying a session (tests). */
	int peers() {
		return this.peers.size();
	}

	/** The settings of a new handshake, whose datagrams must fit the sessions' mtu. */
	private DtlsSettings settingsForHandshake(KcpConfig config) {
		DtlsSettings current = this.settings;
		int mtu = config.mtu();
		DtlsSettings made = this.effective;
		if (this.effectiveMtu == mtu && this.madeFrom == current) {
			return made;
		}
		made = DtlsPeer.fitted(current, config);
		this.madeFrom = current;
		this.effective = made;
		this.effectiveMtu = mtu;
		return made;
	}

	// ---------------------------------------------------------------- datagrams, on the loop

	/** One datagram as received. */
	void datagram(InetSocketAddress sender, byte[] data, int offset, int length) {
		DtlsPeer peer = this.peers.get(sender);
		if (peer != null && !(peer.isEstablished() && isClientHello(data, offset, length)
				&& !peer.startedBy(data, offset + HELLO_RANDOM, length - HELLO_RANDOM))) {
			peer.input(data, offset, length);
			return;
		}
		long now = MonotonicClock.nowMillis();
		DtlsCookieGate.Verdict verdict = this.gate.verify(now, sourceBytes(sender),
				ByteBuffer.wrap(data, offset, length));
		if (peer != null && verdict.outcome() == DtlsCookieGate.Outcome.ACCEPT) {
			// RFC 6347 4.2.8: a new handshake on an established association, from a client that lost its state (it
			// restarted on the same port). Its cookie proved the address, so the old association ends now.
			replace(peer);
		}
		switch (verdict.outcome()) {
			case REPLY -> {
				// Stateless: the reply is never larger than the hello, and nothing is kept.
				this.endpoint.writeProtected(sender, verdict.reply());
				this.endpoint.flush();
				this.cookiesSent++;
			}
			case DROP -> drop(DropReason.DTLS_REJECTED, sender);
			case ACCEPT -> startHandshake(sender, verdict, data, offset, length, now);
		}
	}

	/**
	 * Whether a datagram starts with a ClientHello record in epoch 0 (content type 22, handshake type 1): the only
	 * datagram from an established peer's address that goes to the cookie gate, unless it carries the random of the
	 * hello that started the peer (a late copy of the client's own hello, which must not end its session).
	 */
	private static boolean isClientHello(byte[] data, int offset, int length) {
		return length > 13 && data[offset] == 22 && data[offset + 3] == 0 && data[offset + 4] == 0
				&& data[offset + 13] == 1;
	}

	/** Ends an established peer whose client started anew: its session closes as closed by the peer. */
	private void replace(DtlsPeer peer) {
		EventLoopSession session = (EventLoopSession) peer.session();
		peer.discard();
		forget(peer);
		if (session != null) {
			session.closedBelow();
		}
	}

	private void startHandshake(InetSocketAddress sender, DtlsCookieGate.Verdict verdict, byte[] data, int offset,
			int length, long now) {
		Verdict admitted = this.table.admitHandshake(sender, now);
		this.host.drainEvicted();
		if (!admitted.admitted()) {
			// No reply: the client retries its hello, and is let in once there is room.
			drop(Objects.requireNonNull(admitted.dropReason()), sender);
			return;
		}
		DtlsPeer peer = DtlsPeer.accept(settingsForHandshake(this.host.sessionConfig()), verdict, this.endpoint, sender,
				this, this.idleLimitMillis, length);
		peer.rememberHello(data, offset + HELLO_RANDOM, length - HELLO_RANDOM);
		this.table.handshakeStarted(sender, now);
		this.peers.put(sender, peer);
		peer.start();
	}

	private void drop(DropReason reason, InetSocketAddress sender) {
		this.endpoint.count(reason);
		this.host.dropped(reason, sender);
	}

	/** The IP address and port: a cookie is good for the source it was sent to only. */
	private static byte[] sourceBytes(InetSocketAddress address) {
		byte[] ip = address.getAddress().getAddress();
		byte[] source = new byte[ip.length + 2];
		System.arraycopy(ip, 0, source, 0, ip.length);
		source[ip.length] = (byte) (address.getPort() >>> 8);
		source[ip.length + 1] = (byte) address.getPort();
		return source;
	}

	// ---------------------------------------------------------------- what peers tell, on the loop

	@Override
	public void established(DtlsPeer peer, DtlsEvent.HandshakeCompleted event) {
		this.handshakesCompleted++;
		logger.debug("DTLS handshake with {} completed: {} {}, peer {}", peer.remoteAddress(), event.protocol(),
				event.cipherSuite(), event.peerPrincipal());
	}

	@Override
	public void received(DtlsPeer peer, byte[] data, int offset, int length, int wireLength) {
		InetSocketAddress sender = peer.remoteAddress();
		if (length < KcpCodec.OVERHEAD) {
			drop(DropReason.MALFORMED, sender);
			return;
		}
		int conv = KcpCodec.readConv(data, offset);
		EventLoopSession session = (EventLoopSession) peer.session();
		if (session == null) {
			session = openSession(peer, conv, data, offset, length);
			if (session == null) {
				return;
			}
		}
		else if (session.conv() != conv) {
			// One conversation per DTLS connection: the conv is checked after decryption.
			this.endpoint.count(DropReason.UNEXPECTED_SOURCE);
			session.countDropped(DropReason.UNEXPECTED_SOURCE);
			return;
		}
		if (session.input(data, offset, length, wireLength) != InputResult.OK) {
			this.endpoint.count(DropReason.ENGINE_REJECTED);
		}
		this.host.touched(session);
	}

	private @Nullable EventLoopSession openSession(DtlsPeer peer, int conv, byte[] data, int offset, int length) {
		InetSocketAddress sender = peer.remoteAddress();
		long now = MonotonicClock.nowMillis();
		Verdict verdict = this.table.admitAfterHandshake(sender, conv, data, offset, length, now);
		if (!verdict.admitted()) {
			drop(Objects.requireNonNull(verdict.dropReason()), sender);
			return null;
		}
		EventLoopSession session = this.host.openSession(sender, conv, peer.sessionConfig(this.host.sessionConfig()),
				peer.sessionStage());
		peer.attach(session);
		return session;
	}

	@Override
	public void dropped(DtlsPeer peer, DropReason reason) {
		this.endpoint.count(reason);
		EventLoopSession session = (EventLoopSession) peer.session();
		if (session != null) {
			session.countDropped(reason);
		}
	}

	@Override
	public void failed(DtlsPeer peer, SSLException cause) {
		this.handshakesFailed++;
		logger.debug("DTLS handshake with {} failed: {}", peer.remoteAddress(), cause.toString());
		forget(peer);
	}

	@Override
	public void closed(DtlsPeer peer) {
		EventLoopSession session = (EventLoopSession) peer.session();
		forget(peer);
		if (session != null) {
			session.closedBelow();
		}
	}

	/** Removes a peer; a handshake without a session gives its place in the table back. */
	private void forget(DtlsPeer peer) {
		if (this.peers.remove(peer.remoteAddress(), peer) && peer.session() == null) {
			this.table.handshakeEnded(peer.remoteAddress(), MonotonicClock.nowMillis());
		}
	}

	// ---------------------------------------------------------------- the server's events, on the loop

	/** A session closed: its DTLS connection ends with close_notify. */
	void sessionClosed(EventLoopSession session) {
		DtlsPeer peer = this.peers.get(session.remoteAddress());
		if (peer != null && peer.session() == session) {
			this.peers.remove(session.remoteAddress());
			peer.close();
		}
	}

	/** The server stops: handshakes and peers without a session are dropped (sessions close on their own). */
	void dropPending() {
		List<DtlsPeer> pending = new ArrayList<>();
		for (DtlsPeer peer : this.peers.values()) {
			if (peer.session() == null) {
				pending.add(peer);
			}
		}
		for (DtlsPeer peer : pending) {
			peer.close();
			forget(peer);
		}
	}

	/** The socket is gone: every peer stops without a word. */
	void discardAll() {
		for (DtlsPeer peer : this.peers.values()) {
			peer.discard();
		}
	}

}
