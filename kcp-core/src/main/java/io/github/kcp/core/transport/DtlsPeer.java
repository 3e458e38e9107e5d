package io.github.kcp.core.transport;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import io.github.kcp.core.connection.DatagramSink;
import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.InvalidKcpSettingException;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSettings;
import io.github.kcp.core.dtls.DtlsConnection;
import io.github.kcp.core.dtls.DtlsCookieGate;
import io.github.kcp.core.dtls.DtlsEvent;
import io.github.kcp.core.dtls.DtlsSettings;
import org.jspecify.annotations.Nullable;

/**
 * The DTLS stage of one peer on an endpoint's event loop: the shell of one sans-IO {@link DtlsConnection}. It takes
 * the peer's datagrams, sends the connection's records through the endpoint, arms the connection's timer while it
 * handshakes, and tells its {@link Owner} of the handshake's end, of each KCP datagram received and of a close. Once
 * the owner's KCP session runs, the session's connection writes through {@link #sink()}: one KCP datagram, one
 * application record, one UDP datagram.
 * <p>
 * The handshake is bounded: the connection's handshake timeout, and a byte budget for what the peer may send before
 * the handshake completes. A server's peer that completed the handshake but has no KCP conversation yet is given
 * {@code idleLimitMillis} to send its first data. On the loop only.
 */
final class DtlsPeer {

	/** Most bytes a peer may send while handshaking: a few flights of certificates, retransmitted. */
	static final int HANDSHAKE_RECEIVE_BUDGET = 64 * 1024;

	/** What a peer tells its owner, on the loop. */
	interface Owner {

		/** The handshake completed; the owner creates the KCP session (or waits for its first datagram). */
		void established(DtlsPeer peer, DtlsEvent.HandshakeCompleted event);

		/** A KCP datagram arrived, decrypted and authenticated (a scratch array, reused after the call). */
		void received(DtlsPeer peer, byte[] data, int offset, int length, int wireLength);

		/** A datagram was dropped by the DTLS layer (forged, replayed, early), counted for the owner. */
		void dropped(DtlsPeer peer, DropReason reason);

		/** The handshake failed, timed out or exceeded its budget; the peer is dead and its alert was sent. */
		void failed(DtlsPeer peer, SSLException cause);

		/**
		 * The established connection ended: the peer sent close_notify, or the idle limit before the first KCP
		 * datagram passed; nothing more is received.
		 */
		void closed(DtlsPeer peer);

	}

	private final DtlsConnection dtls;

	private final UdpEndpoint endpoint;

	private final InetSocketAddress remoteAddress;

	private final Owner owner;

	private final long idleLimitMillis;

	/** The layer's drop reasons, once (values() copies its array at each call, and this runs per datagram). */
	private static final DtlsConnection.Drop[] DROPS = DtlsConnection.Drop.values();

	private final long[] dropsSeen = new long[DROPS.length];

	private @Nullable Object session;

	/** The connection's retransmissions and deadlines, and the idle limit: on the endpoint's shared timers. */
	private final LoopTimers.Timer timer;

	private long idleDeadline = DtlsConnection.NO_DEADLINE;

	private long handshakeBytes;

	private boolean ended;

	private DtlsEvent.@Nullable HandshakeCompleted completed;

	/** The random of the ClientHello that started a server's peer (32 bytes), or {@code null}. */
	private byte @Nullable [] helloRandom;

	private DtlsPeer(DtlsConnection dtls, UdpEndpoint endpoint, InetSocketAddress remoteAddress, Owner owner,
			long idleLimitMillis) {
		this.dtls = dtls;
		this.endpoint = endpoint;
		this.remoteAddress = remoteAddress;
		this.owner = owner;
		this.idleLimitMillis = idleLimitMillis;
		this.timer = endpoint.timers().newTimer(this::onTimer);
	}

	/**
	 * The settings of a handshake whose datagrams must fit {@code config}'s mtu: the DTLS datagram size is
	 * {@code min(settings.maxDatagramSize(), mtu)}.
	 * @throws InvalidKcpSettingException if the mtu is below the smallest DTLS datagram size
	 */
	static DtlsSettings fitted(DtlsSettings settings, KcpConfig config) {
		int size = Math.min(settings.maxDatagramSize(), config.mtu());
		if (size < DtlsSettings.MIN_MAX_DATAGRAM_SIZE) {
			throw new InvalidKcpSettingException(KcpSettings.MTU, config.mtu(), "at least "
					+ DtlsSettings.MIN_MAX_DATAGRAM_SIZE + " bytes with DTLS (room for a handshake record)");
		}
		return settings.withMaxDatagramSize(size);
	}

	/** Sends what the new connection made (a client's hello, a server's answer) and arms the timer. */
	void start() {
		afterInput(MonotonicClock.nowMillis());
	}

	/** Starts a client's handshake; {@link #start()} sends its ClientHello. */
	static DtlsPeer client(DtlsSettings settings, UdpEndpoint endpoint, InetSocketAddress server, Owner owner) {
		long now = MonotonicClock.nowMillis();
		return new DtlsPeer(DtlsConnection.client(settings, server.getHostString(), server.getPort(), now), endpoint,
				server, owner, DtlsConnection.NO_DEADLINE);
	}

	/**
	 * Starts a server's handshake for a ClientHello the cookie gate accepted (the address is proven);
	 * {@link #start()} sends its answer.
	 * @param idleLimitMillis how long an established peer may wait before its first KCP datagram
	 */
	static DtlsPeer accept(DtlsSettings settings, DtlsCookieGate.Verdict verdict,
			UdpEndpoint endpoint, InetSocketAddress client, Owner owner, long idleLimitMillis, int wireLength) {
		long now = MonotonicClock.nowMillis();
		DtlsPeer peer = new DtlsPeer(DtlsConnection.accept(settings, verdict, now), endpoint, client, owner,
				idleLimitMillis);
		peer.handshakeBytes = wireLength;
		return peer;
	}

	InetSocketAddress remoteAddress() {
		return this.remoteAddress;
	}

	DtlsConnection connection() {
		return this.dtls;
	}

	/** Keeps the random of the ClientHello that started this server peer (the 32 bytes at {@code offset}). */
	void rememberHello(byte[] data, int offset, int length) {
		if (length >= 32) {
			this.helloRandom = Arrays.copyOfRange(data, offset, offset + 32);
		}
	}

	/** Whether the 32 bytes at {@code offset} are the random of the ClientHello that started this peer. */
	boolean startedBy(byte[] data, int offset, int length) {
		byte[] random = this.helloRandom;
		return random != null && length >= 32
				&& Arrays.equals(random, 0, 32, data, offset, offset + 32);
	}

	/** What the handshake negotiated, for the session; {@code null} before it completed. */
	@Nullable KcpSecurityInfo securityInfo() {
		DtlsEvent.HandshakeCompleted done = this.completed;
		return (done != null) ? new KcpSecurityInfo(done.protocol(), done.cipherSuite(), done.peerPrincipal(),
				done.peerCertificates()) : null;
	}

	/** Whether the handshake completed and the connection has not closed. */
	boolean isEstablished() {
		return this.dtls.state() == DtlsConnection.State.ESTABLISHED;
	}

	/** The owner's session carried by this peer, or {@code null} before it exists. */
	@Nullable Object session() {
		return this.session;
	}

	/** The largest datagram a KCP session over this established peer may hand it: what one record carries. */
	private int largestSessionDatagram() {
		return this.dtls.maxPlaintextSize() + this.dtls.recordOverhead();
	}

	/** {@code requested} with its mtu lowered, if need be, to what one record of this established peer carries. */
	KcpConfig sessionConfig(KcpConfig requested) {
		int largest = largestSessionDatagram();
		return (requested.mtu() > largest) ? requested.toBuilder().mtu(largest).build() : requested;
	}

	/** How a KCP session reaches the peer through this established DTLS connection. */
	EventLoopSession.SessionStage sessionStage() {
		return new EventLoopSession.SessionStage(sink(), this.dtls.recordOverhead(), largestSessionDatagram(),
				securityInfo());
	}

	/** The KCP session now runs over this peer: the idle limit no longer applies, the session has its own. */
	void attach(Object session) {
		this.session = session;
		this.idleDeadline = DtlsConnection.NO_DEADLINE;
		cancelTimer();
	}

	/** Where the KCP connection writes: each datagram becomes one record; nothing leaves once the peer closed. */
	DatagramSink sink() {
		return (datagram, length) -> {
			if (this.ended || this.dtls.state() != DtlsConnection.State.ESTABLISHED) {
				// Closed by the peer's close_notify, failed, or replaced by the client's new handshake: the session
				// closes too; nothing goes out, and never in clear.
				return -1;
			}
			this.dtls.send(ByteBuffer.wrap(datagram, 0, length));
			return transmit();
		};
	}

	/** One datagram from the peer. */
	void input(byte[] data, int offset, int length) {
		if (this.ended) {
			return;
		}
		long now = MonotonicClock.nowMillis();
		if (this.dtls.state() == DtlsConnection.State.HANDSHAKING) {
			this.handshakeBytes += length;
			if (this.handshakeBytes > HANDSHAKE_RECEIVE_BUDGET) {
				end();
				this.owner.failed(this, new SSLHandshakeException("The peer " + this.remoteAddress + " sent more than "
						+ HANDSHAKE_RECEIVE_BUDGET + " bytes without completing the DTLS handshake"));
				return;
			}
		}
		this.dtls.handleDatagram(now, ByteBuffer.wrap(data, offset, length));
		countDrops();
		afterInput(now);
		ByteBuffer plain;
		while (!this.ended && (plain = this.dtls.pollReceived()) != null) {
			this.owner.received(this, plain.array(), plain.arrayOffset() + plain.position(), plain.remaining(),
					length);
		}
	}

	/** Sends the close_notify alert, if the connection is still up, and stops. */
	void close() {
		if (this.ended) {
			return;
		}
		end();
		this.dtls.close();
		transmit();
		this.endpoint.flush();
	}

	/** Stops without a word (the socket is gone, or the server drops a handshake). */
	void discard() {
		end();
	}

	private void end() {
		this.ended = true;
		cancelTimer();
	}

	/** Sends what the connection made, acts on its events, re-arms the timer. */
	private void afterInput(long now) {
		if (transmit() > 0) {
			// Only when the handshake (or an alert) wrote something: most datagrams carry KCP data, whose answers
			// leave with the session's own flush.
			this.endpoint.flush();
		}
		DtlsEvent event;
		while (!this.ended && (event = this.dtls.pollEvent()) != null) {
			if (event instanceof DtlsEvent.HandshakeCompleted done) {
				this.completed = done;
				if (this.session == null && this.idleLimitMillis != DtlsConnection.NO_DEADLINE) {
					this.idleDeadline = now + this.idleLimitMillis;
				}
				this.owner.established(this, done);
			}
			else if (event instanceof DtlsEvent.HandshakeFailed failed) {
				end();
				transmit();
				this.endpoint.flush();
				this.owner.failed(this, failed.cause());
			}
			else {
				end();
				this.owner.closed(this);
			}
		}
		if (!this.ended) {
			armTimer();
		}
	}

	private int transmit() {
		int bytes = 0;
		ByteBuffer out;
		while ((out = this.dtls.pollTransmit()) != null) {
			int written = this.endpoint.writeProtected(this.remoteAddress, out);
			if (written > 0) {
				bytes += written;
			}
		}
		return bytes;
	}

	private void countDrops() {
		for (DtlsConnection.Drop drop : DROPS) {
			long total = this.dtls.dropped(drop);
			long fresh = total - this.dropsSeen[drop.ordinal()];
			if (fresh > 0) {
				this.dropsSeen[drop.ordinal()] = total;
				DropReason reason = switch (drop) {
					case MALFORMED -> DropReason.MALFORMED;
					case REPLAYED -> DropReason.REPLAYED;
					case NOT_AUTHENTIC -> DropReason.DECRYPT_FAILED;
					case EARLY_DATA -> DropReason.DTLS_EARLY_DATA;
					case AFTER_CLOSE -> DropReason.CLOSED_SESSION;
				};
				for (long i = 0; i < fresh; i++) {
					this.owner.dropped(this, reason);
				}
			}
		}
	}

	private void armTimer() {
		long deadline = Math.min(this.dtls.pollTimeout(), this.idleDeadline);
		if (deadline == DtlsConnection.NO_DEADLINE) {
			this.timer.cancel();
		}
		else {
			this.timer.arm(deadline);
		}
	}

	private void onTimer() {
		if (this.ended) {
			return;
		}
		long now = MonotonicClock.nowMillis();
		if (now >= this.idleDeadline) {
			// Established, but no KCP data within the idle limit: the place it holds goes to others.
			close();
			this.owner.closed(this);
			return;
		}
		this.dtls.handleTimeout(now);
		afterInput(now);
	}

	private void cancelTimer() {
		this.timer.cancel();
	}

	@Override
	public String toString() {
		return "DtlsPeer{" + this.remoteAddress + ", " + this.dtls.state() + "}";
	}

}
