package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.security.Principal;
import java.security.cert.Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import org.jspecify.annotations.Nullable;

import static io.github.kcp.core.dtls.DtlsRecords.CONTENT_APPLICATION_DATA;
import static io.github.kcp.core.dtls.DtlsRecords.CONTENT_CHANGE_CIPHER_SPEC;
import static io.github.kcp.core.dtls.DtlsRecords.CONTENT_HANDSHAKE;

/**
 * One peer's DTLS 1.2 connection, as a sans-IO state machine over the JDK's {@link SSLEngine}: datagrams and
 * the time go in, datagrams, received KCP datagrams, events and the next deadline come out. Nothing here
 * reads a clock, starts a thread or touches a socket.
 * <p>
 * The owner, for each connection:
 * <ol>
 * <li>feeds every datagram from the peer to {@link #handleDatagram}, and calls {@link #handleTimeout} once
 * {@link #pollTimeout()} has passed;</li>
 * <li>after each call, sends every {@link #pollTransmit()} datagram to the peer, gives every
 * {@link #pollReceived()} datagram to the KCP engine and acts on every {@link #pollEvent()};</li>
 * <li>starts KCP only on {@link DtlsEvent.HandshakeCompleted}, with an mtu of at most
 * {@link #maxPlaintextSize()}, and passes each KCP output datagram to {@link #send}.</li>
 * </ol>
 * A client connection starts with {@link #client}; a server connection with {@link #accept}, only for a
 * ClientHello that a {@link DtlsCookieGate} accepted, so that no state exists for a source before it has
 * proven its address.
 * <p>
 * Handshake flights are retransmitted on a doubling timer (RFC 6347 4.2.4) that this class owns; the side
 * that sends the last flight keeps it and sends it again when the peer repeats its own flight, until the
 * peer's first application record shows the flight arrived. Received application records pass an anti-replay
 * window (RFC 6347 4.1.2.6). Records that are malformed, replayed, not authentic, or application data before
 * the handshake completes are dropped and {@linkplain #dropped counted}, never thrown.
 * <p>
 * Not thread-safe: one connection is used by one thread at a time, like a KCP engine.
 */
public final class DtlsConnection {

	/** What {@link #pollTimeout()} returns when no deadline is pending. */
	public static final long NO_DEADLINE = Long.MAX_VALUE;

	/** The protocol of every connection. */
	public static final String PROTOCOL = "DTLSv1.2";

	// Bounds the engine loops: a flight has a handful of records, and a loop that makes no progress is a bug
	private static final int MAX_ENGINE_STEPS = 64;

	// Fresh sequence numbers the engine is primed past, at most: a client retransmits its first hello rarely
	private static final int MAX_PRIMES = 8;

	// Largest plaintext of a DTLS record (2^14), with room for what a JDK engine may ask beyond it
	private static final int APPLICATION_BUFFER_SIZE = 16_384 + 2_048;

	private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

	private static final String NO_TICKET = "io.github.kcp.dtls.no-session-ticket";

	/** Where a connection is in its life. */
	public enum State {

		/** The handshake is under way; {@link #send} is refused. */
		HANDSHAKING,

		/** The handshake completed; application data flows both ways. */
		ESTABLISHED,

		/** Closed by either side with close_notify. */
		CLOSED,

		/** The handshake failed or the engine hit a fatal error. */
		FAILED

	}

	/** Why a received record was dropped. */
	public enum Drop {

		/** The datagram does not hold whole DTLS records. */
		MALFORMED,

		/** An application record already received, or older than the anti-replay window. */
		REPLAYED,

		/** An application record that failed authentication (forged, corrupted, or of an old session). */
		NOT_AUTHENTIC,

		/** An application record before the handshake completed (reordered ahead of the last flight). */
		EARLY_DATA,

		/** Anything after the connection closed or failed. */
		AFTER_CLOSE

	}

	private final DtlsSettings settings;

	private final SSLEngine engine;

	private final ArrayDeque<ByteBuffer> transmits = new ArrayDeque<>();

	private final ArrayDeque<ByteBuffer> received = new ArrayDeque<>();

	private final ArrayDeque<DtlsEvent> events = new ArrayDeque<>();

	private final ReplayWindow replayWindow = new ReplayWindow();

	private final long[] drops = new long[Drop.values().length];

	private final ByteBuffer applicationIn = ByteBuffer.allocate(APPLICATION_BUFFER_SIZE);

	private ByteBuffer recordOut;

	// The engine's parameters as configured, applied again to undo the engine's packet size shrinking
	private final SSLParameters parameters;

	private State state = State.HANDSHAKING;

	private final long handshakeDeadline;

	private long retransmitDeadline = NO_DEADLINE;

	private long retransmitTimeout;

	private long retransmissions;

	// The last flight, kept by the side that sent it, until the peer's application data shows it arrived
	private List<ByteBuffer> finalFlight = List.of();

	private long finalFlightExpiry;

	private long nextFinalFlightResend;

	private int maxPlaintextSize;

	private @Nullable String cipherSuite;

	private @Nullable Principal peerPrincipal;

	private DtlsConnection(DtlsSettings settings, SSLEngine engine, boolean client, long now) {
		this.settings = settings;
		this.engine = engine;
		engine.setUseClientMode(client);
		SSLParameters parameters = engine.getSSLParameters();
		parameters.setProtocols(new String[] { PROTOCOL });
		parameters.setCipherSuites(settings.cipherSuites().toArray(String[]::new));
		parameters.setMaximumPacketSize(settings.maxDatagramSize());
		parameters.setEnableRetransmissions(true);
		if (client) {
			parameters.setEndpointIdentificationAlgorithm(settings.verifyHostname() ? "HTTPS" : null);
		}
		else {
			parameters.setNeedClientAuth(settings.clientAuth() == DtlsClientAuth.NEED);
			if (settings.clientAuth() == DtlsClientAuth.WANT) {
				parameters.setWantClientAuth(true);
			}
		}
		engine.setSSLParameters(parameters);
		this.parameters = parameters;
		this.recordOut = ByteBuffer.allocate(Math.max(settings.maxDatagramSize(), engine.getSession().getPacketBufferSize()));
		this.handshakeDeadline = saturatedAdd(now, settings.handshakeTimeoutMillis());
		this.retransmitTimeout = settings.initialRetransmitTimeoutMillis();
		this.maxPlaintextSize = settings.maxDatagramSize() - settings.maxRecordOverhead();
	}

	/**
	 * Start a client connection: its ClientHello is ready in {@link #pollTransmit()}.
	 * @param settings the settings; {@link DtlsSettings#verifyHostname()} checks the server's certificate
	 * against {@code peerHost}
	 * @param peerHost the server's host name or IP address literal, as the user gave it (checked against the
	 * certificate's subject alternative names, and the key of the JDK's session cache)
	 * @param peerPort the server's port (part of the session cache key)
	 * @param now the current time in milliseconds, on the caller's clock
	 * @return the connection, handshaking
	 */
	public static DtlsConnection client(DtlsSettings settings, String peerHost, int peerPort, long now) {
		Objects.requireNonNull(peerHost, "peerHost");
		DtlsConnection connection = new DtlsConnection(settings,
				settings.sslContext().createSSLEngine(peerHost, peerPort), true, now);
		connection.begin();
		if (connection.state == State.HANDSHAKING) {
			connection.produce(now, false);
		}
		return connection;
	}

	/**
	 * Start a server connection for a ClientHello that a {@link DtlsCookieGate} accepted; its answer is ready
	 * in {@link #pollTransmit()}.
	 * <p>
	 * The JDK's engine always runs its own cookie exchange and cannot be told that the gate already proved
	 * the source's address, so it is first shown the hello as the client sent it before the gate's cookie,
	 * and its HelloVerifyRequest to that is dropped; its answer to the real hello is then a second
	 * HelloVerifyRequest (message_seq 1), which DTLS clients answer like the first: one more round trip.
	 * @param settings the settings; {@link DtlsSettings#clientAuth()} applies
	 * @param verdict a verdict with outcome {@link DtlsCookieGate.Outcome#ACCEPT}
	 * @param now the current time in milliseconds, on the caller's clock
	 * @return the connection, handshaking
	 * @throws IllegalArgumentException if the verdict did not accept the hello
	 */
	public static DtlsConnection accept(DtlsSettings settings, DtlsCookieGate.Verdict verdict, long now) {
		ClientHelloView hello = verdict.hello();
		DtlsConnection connection = new DtlsConnection(settings, settings.sslContext().createSSLEngine(), false, now);
		connection.begin();
		if (connection.state == State.HANDSHAKING) {
			connection.prime(hello, now);
		}
		if (connection.state == State.HANDSHAKING) {
			connection.handleDatagram(now, hello.record());
		}
		return connection;
	}

	/**
	 * Take in one datagram from the peer.
	 * @param now the current time in milliseconds
	 * @param datagram the datagram, from its position to its limit; read, not kept
	 */
	public void handleDatagram(long now, ByteBuffer datagram) {
		ByteBuffer in = datagram.slice();
		int at = 0;
		while (at < in.limit()) {
			if (state == State.CLOSED || state == State.FAILED) {
				drops[Drop.AFTER_CLOSE.ordinal()]++;
				return;
			}
			int length = DtlsRecords.recordLength(in, at);
			if (length < 0) {
				drops[Drop.MALFORMED.ordinal()]++;
				return;
			}
			handleRecord(now, in.slice(at, length));
			at += length;
		}
	}

	/**
	 * Act on the passing of time: retransmit the last flight when its timer expires, or fail the handshake
	 * when it has taken too long. Harmless to call early or often.
	 * @param now the current time in milliseconds
	 */
	public void handleTimeout(long now) {
		if (state != State.HANDSHAKING) {
			return;
		}
		if (now >= handshakeDeadline) {
			fail(new SSLHandshakeException(
					"DTLS handshake did not complete within " + settings.handshakeTimeoutMillis() + " ms"));
			return;
		}
		if (now >= retransmitDeadline) {
			retransmissions++;
			retransmitTimeout = Math.min(retransmitTimeout * 2, settings.maxRetransmitTimeoutMillis());
			retransmitDeadline = NO_DEADLINE;
			produce(now, true);
		}
	}

	/**
	 * @return when {@link #handleTimeout} must next be called, in the caller's milliseconds, or
	 * {@link #NO_DEADLINE}; only a handshaking connection has deadlines
	 */
	public long pollTimeout() {
		return (state == State.HANDSHAKING) ? Math.min(retransmitDeadline, handshakeDeadline) : NO_DEADLINE;
	}

	/** @return the next datagram to send to the peer, or null; the caller owns it */
	public @Nullable ByteBuffer pollTransmit() {
		return transmits.poll();
	}

	/** @return the next KCP datagram received from the peer, decrypted and authenticated, or null */
	public @Nullable ByteBuffer pollReceived() {
		return received.poll();
	}

	/** @return the next event, or null */
	public @Nullable DtlsEvent pollEvent() {
		return events.poll();
	}

	/**
	 * Encrypt one KCP datagram into one DTLS application record, ready in {@link #pollTransmit()}.
	 * @param datagram the KCP datagram, from its position to its limit, at most {@link #maxPlaintextSize()}
	 * bytes; consumed
	 * @throws IllegalStateException if the connection is not {@link State#ESTABLISHED}, or the engine fails
	 * (nothing is sent then, and the connection has failed)
	 * @throws IllegalArgumentException if the datagram does not fit one record
	 */
	public void send(ByteBuffer datagram) {
		if (state != State.ESTABLISHED) {
			throw new IllegalStateException("Cannot send on a DTLS connection that is " + state
					+ "; KCP must wait for the handshake to complete");
		}
		int length = datagram.remaining();
		if (length > maxPlaintextSize) {
			throw new IllegalArgumentException("A " + length + "-byte datagram does not fit one DTLS record of at most "
					+ settings.maxDatagramSize() + " bytes; the KCP mtu must be at most " + maxPlaintextSize);
		}
		recordOut.clear();
		SSLEngineResult result;
		try {
			result = engine.wrap(datagram, recordOut);
		}
		catch (SSLException ex) {
			fail(ex);
			throw new IllegalStateException("DTLS encryption failed; the connection is closed", ex);
		}
		if (result.getStatus() != SSLEngineResult.Status.OK || result.bytesConsumed() != length) {
			throw new IllegalStateException("The DTLS engine encrypted " + result.bytesConsumed() + " of " + length
					+ " bytes (" + result.getStatus() + "); nothing was sent");
		}
		transmits.add(copy(recordOut.flip()));
	}

	/**
	 * Close the connection: a close_notify alert is ready in {@link #pollTransmit()}, and nothing more is
	 * received. Harmless if already closed or failed.
	 */
	public void close() {
		if (state == State.CLOSED || state == State.FAILED) {
			return;
		}
		state = State.CLOSED;
		finalFlight = List.of();
		engine.closeOutbound();
		wrapQuietly(transmits);
	}

	/** @return where the connection is in its life */
	public State state() {
		return state;
	}

	/**
	 * @return the largest KCP datagram that fits one record: exact once {@link State#ESTABLISHED}, the worst
	 * case of the configured suites before
	 */
	public int maxPlaintextSize() {
		return maxPlaintextSize;
	}

	/** @return the bytes a record adds to a KCP datagram: the datagram size less {@link #maxPlaintextSize()} */
	public int recordOverhead() {
		return settings.maxDatagramSize() - maxPlaintextSize;
	}

	/** @return the negotiated cipher suite, or null before the handshake completes */
	public @Nullable String cipherSuite() {
		return cipherSuite;
	}

	/** @return the subject of the peer's certificate, or null before the handshake or if it sent none */
	public @Nullable Principal peerPrincipal() {
		return peerPrincipal;
	}

	/** @return how many flights were sent again, on a timer or because the peer repeated its own */
	public long retransmissions() {
		return retransmissions;
	}

	/**
	 * @param reason a reason
	 * @return how many received records were dropped for that reason
	 */
	public long dropped(Drop reason) {
		return drops[reason.ordinal()];
	}

	private void handleRecord(long now, ByteBuffer record) {
		int type = DtlsRecords.contentType(record, 0);
		int epoch = DtlsRecords.epoch(record, 0);
		long sequence = DtlsRecords.sequence(record, 0);
		if (type == CONTENT_APPLICATION_DATA) {
			if (state == State.HANDSHAKING) {
				// The JDK fails the handshake on application data it can decrypt before its Finished; KCP resends
				drops[Drop.EARLY_DATA.ordinal()]++;
				return;
			}
			if (!replayWindow.isFresh(epoch, sequence)) {
				drops[Drop.REPLAYED.ordinal()]++;
				return;
			}
		}
		else if (state == State.ESTABLISHED && (type == CONTENT_HANDSHAKE || type == CONTENT_CHANGE_CIPHER_SPEC)) {
			// The peer repeats its last flight: ours was lost (the engine itself ignores it once done)
			resendFinalFlight(now);
			return;
		}
		for (int step = 0; step < MAX_ENGINE_STEPS && state != State.FAILED; step++) {
			applicationIn.clear();
			SSLEngineResult result;
			try {
				result = engine.unwrap(record, applicationIn);
			}
			catch (SSLException ex) {
				fail(ex);
				return;
			}
			runDelegatedTasks();
			withholdSessionTicket();
			if (result.bytesProduced() > 0) {
				deliver(epoch, sequence);
			}
			else if (type == CONTENT_APPLICATION_DATA && result.bytesConsumed() > 0) {
				// The engine discards a record that fails authentication (RFC 6347 4.1.2.7)
				drops[Drop.NOT_AUTHENTIC.ordinal()]++;
			}
			if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
				peerClosed();
				return;
			}
			if (state == State.HANDSHAKING && (result.getHandshakeStatus() == HandshakeStatus.FINISHED
					|| engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING)) {
				establish(now, List.of());
			}
			HandshakeStatus status = engine.getHandshakeStatus();
			if (status == HandshakeStatus.NEED_WRAP) {
				produce(now, false);
			}
			else if (status != HandshakeStatus.NEED_UNWRAP_AGAIN && !record.hasRemaining()) {
				return;
			}
			else if (result.bytesConsumed() == 0 && status != HandshakeStatus.NEED_UNWRAP_AGAIN
					&& result.getStatus() != SSLEngineResult.Status.OK) {
				drops[Drop.MALFORMED.ordinal()]++;
				return;
			}
		}
	}

	/**
	 * Keep the server's NewSessionTicket empty. The JDK's engine puts a 1-2 KB ticket (the session with its
	 * certificates) at the head of its final flight, and a client engine that gets the ChangeCipherSpec and
	 * Finished of that flight but lost a fragment of the ticket fails the handshake (its transcript lacks the
	 * ticket); resumption is not used anyway. The engine makes no ticket for a session that holds
	 * application values, and sends an empty one instead (RFC 5077 3.3), so the final flight is one small
	 * datagram that arrives whole or not at all.
	 */
	private void withholdSessionTicket() {
		if (engine.getUseClientMode() || state != State.HANDSHAKING) {
			return;
		}
		SSLSession handshakeSession = engine.getHandshakeSession();
		if (handshakeSession != null && handshakeSession.getValue(NO_TICKET) == null) {
			handshakeSession.putValue(NO_TICKET, Boolean.TRUE);
		}
	}

	private void deliver(int epoch, long sequence) {
		if (state != State.ESTABLISHED) {
			return;
		}
		replayWindow.accept(epoch, sequence);
		// The peer's application data proves it has our last flight
		finalFlight = List.of();
		received.add(copy(applicationIn.flip()));
	}

	/**
	 * Wrap what the engine has to send as one flight of packed datagrams. On a retransmission the first wrap
	 * is made while the engine waits for input, which is how the JDK's engine is told to send its last flight
	 * again.
	 * <p>
	 * Two habits of the JDK's engine are undone here. It sends its final flight twice at once; the copy is
	 * dropped, since this class sends the flight again when the peer asks for it. And every third
	 * retransmission halves its packet size (RFC 6347 4.1.1.1, for an unknown path MTU; ours is configured),
	 * so a flight would arrive cut into fragments of two sizes that the JDK's reassembly discards as
	 * overlapping; the size is restored before each wrap.
	 */
	private void produce(long now, boolean retransmission) {
		DatagramPacker packer = new DatagramPacker(settings.maxDatagramSize());
		List<ByteBuffer> afterFinished = new ArrayList<>();
		boolean finished = false;
		boolean finishedRecordSeen = false;
		for (int step = 0; step < MAX_ENGINE_STEPS; step++) {
			HandshakeStatus status = engine.getHandshakeStatus();
			if (status != HandshakeStatus.NEED_WRAP && !(retransmission && step == 0 && status == HandshakeStatus.NEED_UNWRAP)) {
				break;
			}
			restorePacketSize();
			recordOut.clear();
			SSLEngineResult result;
			try {
				result = engine.wrap(EMPTY, recordOut);
			}
			catch (SSLException ex) {
				transmits.addAll(packer.datagrams());
				fail(ex);
				return;
			}
			runDelegatedTasks();
			if (recordOut.flip().hasRemaining()) {
				if (finishedRecordSeen) {
					afterFinished.add(copy(recordOut));
				}
				else {
					// An encrypted handshake record in a flight is its Finished message, always the last
					finishedRecordSeen = DtlsRecords.contentType(recordOut, 0) == CONTENT_HANDSHAKE
							&& DtlsRecords.epoch(recordOut, 0) > 0;
					packer.add(recordOut);
				}
			}
			finished |= result.getHandshakeStatus() == HandshakeStatus.FINISHED;
			if (result.getStatus() == SSLEngineResult.Status.CLOSED
					|| (result.bytesProduced() == 0 && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP)) {
				break;
			}
		}
		boolean established = state == State.HANDSHAKING
				&& (finished || engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING);
		if (!established) {
			afterFinished.forEach(packer::add);
		}
		List<ByteBuffer> flight = packer.datagrams();
		transmits.addAll(flight);
		if (established) {
			establish(now, flight);
		}
		else if (state == State.HANDSHAKING && !flight.isEmpty()) {
			retransmitDeadline = saturatedAdd(now, retransmitTimeout);
		}
	}

	private void restorePacketSize() {
		engine.setSSLParameters(parameters);
	}

	private void establish(long now, List<ByteBuffer> lastFlightSent) {
		state = State.ESTABLISHED;
		retransmitDeadline = NO_DEADLINE;
		// The engine would keep a packet size it shrank for its application records too: every KCP datagram
		// must fit one record
		restorePacketSize();
		SSLSession session = engine.getSession();
		maxPlaintextSize = Math.min(session.getApplicationBufferSize(),
				settings.maxDatagramSize() - DtlsRecords.overheadOf(session.getCipherSuite()));
		cipherSuite = session.getCipherSuite();
		List<Certificate> certificates;
		try {
			peerPrincipal = session.getPeerPrincipal();
			certificates = Arrays.asList(session.getPeerCertificates());
		}
		catch (SSLPeerUnverifiedException ex) {
			peerPrincipal = null; // a client that sent no certificate, as WANT or NONE allow
			certificates = List.of();
		}
		// No resumption: the JDK's session tickets (1-2 KB with the certificates) would make the next ClientHello
		// span two datagrams, which a stateless gate cannot check; and a full handshake each time keeps the
		// session caches from growing with every connection
		session.invalidate();
		if (!lastFlightSent.isEmpty()) {
			finalFlight = lastFlightSent.stream().map(ByteBuffer::asReadOnlyBuffer).toList();
			finalFlightExpiry = saturatedAdd(now, settings.handshakeTimeoutMillis());
			nextFinalFlightResend = now;
		}
		events.add(new DtlsEvent.HandshakeCompleted(peerPrincipal, certificates, session.getProtocol(),
				session.getCipherSuite(), maxPlaintextSize));
	}

	private void resendFinalFlight(long now) {
		if (finalFlight.isEmpty() || now >= finalFlightExpiry) {
			finalFlight = List.of();
			return;
		}
		// A peer's flight may span datagrams; answer it once, not once per datagram
		if (now < nextFinalFlightResend) {
			return;
		}
		nextFinalFlightResend = saturatedAdd(now, settings.initialRetransmitTimeoutMillis() / 2);
		retransmissions++;
		for (ByteBuffer datagram : finalFlight) {
			transmits.add(copy(datagram.duplicate()));
		}
	}

	private void peerClosed() {
		state = State.CLOSED;
		finalFlight = List.of();
		events.add(new DtlsEvent.Closed());
		// The engine answers close_notify with its own
		wrapQuietly(transmits);
	}

	private void fail(SSLException cause) {
		State before = state;
		state = State.FAILED;
		retransmitDeadline = NO_DEADLINE;
		finalFlight = List.of();
		// The engine has queued a fatal alert: sending it makes the peer fail now rather than at its timeout
		engine.closeOutbound();
		wrapQuietly(transmits);
		if (before == State.HANDSHAKING) {
			events.add(new DtlsEvent.HandshakeFailed(cause));
		}
		else {
			events.add(new DtlsEvent.Closed());
		}
	}

	private void begin() {
		try {
			engine.beginHandshake();
		}
		catch (SSLException ex) {
			fail(ex);
		}
	}

	/**
	 * Show the engine the hello as the client first sent it, enough times that the engine's next record
	 * sequence number passes the one of the gate's HelloVerifyRequest (which copied the first hello's), and
	 * drop what it answers.
	 */
	private void prime(ClientHelloView hello, long now) {
		long helloSequence = DtlsRecords.sequence(hello.record(), 0);
		int primes = (int) Math.max(1, Math.min(helloSequence, MAX_PRIMES));
		List<ByteBuffer> discarded = new ArrayList<>();
		for (int i = 0; i < primes && state == State.HANDSHAKING; i++) {
			ByteBuffer first = hello.firstHello();
			for (int step = 0; step < MAX_ENGINE_STEPS && state == State.HANDSHAKING; step++) {
				applicationIn.clear();
				try {
					engine.unwrap(first, applicationIn);
				}
				catch (SSLException ex) {
					fail(ex);
					return;
				}
				runDelegatedTasks();
				HandshakeStatus status = engine.getHandshakeStatus();
				if (status == HandshakeStatus.NEED_WRAP) {
					wrapQuietly(discarded);
				}
				else if (status != HandshakeStatus.NEED_UNWRAP_AGAIN && !first.hasRemaining()) {
					break;
				}
			}
		}
	}

	/**
	 * Wrap whatever the engine has queued (an alert, an answer being dropped) into {@code out}, ignoring
	 * errors. Stops as soon as the engine no longer asks to wrap: a wrap while it waits for input would make
	 * it retransmit its flight.
	 */
	private void wrapQuietly(Collection<ByteBuffer> out) {
		for (int step = 0; step < MAX_ENGINE_STEPS && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; step++) {
			recordOut.clear();
			SSLEngineResult result;
			try {
				result = engine.wrap(EMPTY, recordOut);
			}
			catch (SSLException ex) {
				return;
			}
			runDelegatedTasks();
			if (recordOut.flip().hasRemaining()) {
				out.add(copy(recordOut));
			}
			if (result.bytesProduced() == 0) {
				return;
			}
		}
	}

	// Delegated tasks are certificate checks, signatures and key agreement (about 2.5 ms of CPU per side and
	// handshake with P-256): run inline, since a sans-IO state machine owns no thread
	private void runDelegatedTasks() {
		Runnable task;
		while ((task = engine.getDelegatedTask()) != null) {
			task.run();
		}
	}

	private static ByteBuffer copy(ByteBuffer source) {
		ByteBuffer copy = ByteBuffer.allocate(source.remaining());
		copy.put(source);
		return copy.flip();
	}

	private static long saturatedAdd(long now, long millis) {
		long sum = now + millis;
		return (((now ^ sum) & (millis ^ sum)) < 0) ? NO_DEADLINE : sum;
	}

	@Override
	public String toString() {
		return "DtlsConnection(" + state + ((cipherSuite != null) ? ", " + cipherSuite : "") + ")";
	}

}
