package io.github.kcp.spring.boot.autoconfigure;

import java.net.InetAddress;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;

import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.core.protocol.EngineMode;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DurationUnit;
import org.springframework.util.unit.DataSize;

/**
 * Configuration properties for KCP, bound to {@code kcp.*}.
 * <p>
 * The top-level settings ({@code kcp.mtu}, {@code kcp.interval}, ...) are the protocol defaults of every session,
 * equal to aiokcp's and to {@link io.github.kcp.core.connection.KcpConfig#defaults()} (both take their names and
 * defaults from {@link io.github.kcp.core.connection.KcpSettings}, and a test keeps them equal). The server and the
 * client side may override each of them under their own prefix with the same name ({@code kcp.server.interval},
 * {@code kcp.client.send-window}, ...); an override that is not set falls back to the top-level value.
 *
 * @see KcpConfigMapper
 */
@ConfigurationProperties("kcp")
public class KcpProperties {

	/**
	 * Maximum datagram size in bytes, including the cipher's overhead.
	 */
	private int mtu = 1400;

	/**
	 * Nodelay mode: false (0), true (1: minimum RTO 30 ms, gentler backoff) or 2 (ikcp's mode 2; the same as 1 in
	 * the sessions' tuned engine).
	 */
	private NodelayMode nodelay = NodelayMode.ON;

	/**
	 * Internal update interval of the protocol (10ms to 5s, millisecond precision).
	 */
	@DurationUnit(ChronoUnit.MILLIS)
	private Duration interval = Duration.ofMillis(100);

	/**
	 * Duplicate acknowledgements that trigger a fast retransmission, 0 to disable it.
	 */
	private int resend = 2;

	/**
	 * Whether the congestion window limits sending (aiokcp's no_congestion_control=False).
	 */
	private boolean congestionControl = true;

	/**
	 * Send window in segments.
	 */
	private int sendWindow = 32;

	/**
	 * Receive window in segments (values below 128 are raised to 128).
	 */
	private int receiveWindow = 128;

	/**
	 * Whether sessions are byte streams instead of sequences of messages.
	 */
	private boolean stream = false;

	/**
	 * Idle timeout: close a session when nothing has been received from the peer for this long, 0 to disable.
	 */
	@DurationUnit(ChronoUnit.SECONDS)
	private Duration idleTimeout = Duration.ofSeconds(600);

	/**
	 * Minimum retransmission timeout, 0 for the nodelay mode's (30ms with nodelay, else 100ms).
	 */
	@DurationUnit(ChronoUnit.MILLIS)
	private Duration minRto = Duration.ZERO;

	/**
	 * Transmissions of one segment after which the link is considered dead and the session closes.
	 */
	private int deadLink = 20;

	/**
	 * Most fast retransmissions of one segment, 0 for no cap.
	 */
	private int fastLimit = 5;

	/**
	 * Most bytes sent but not yet acknowledged per session; sends beyond it wait or fail fast.
	 */
	private DataSize sendBufferSize = DataSize.ofMegabytes(4);

	/**
	 * Most received bytes buffered per session for a reader that has not consumed them.
	 */
	private DataSize readBufferSize = DataSize.ofMegabytes(4);

	/**
	 * How long a graceful session close waits for sent data to be acknowledged before closing anyway.
	 */
	@DurationUnit(ChronoUnit.SECONDS)
	private Duration closeTimeout = Duration.ofSeconds(10);

	/**
	 * Whether to flush right after each send and each batch of received datagrams instead of at the next interval
	 * tick.
	 */
	private boolean eagerFlush = true;

	/**
	 * What one KCP message carries: raw (the payload only, what every KCP peer speaks) or envelope (a frame with
	 * route, correlation id and headers, for Spring-to-Spring messaging). Both ends must agree.
	 */
	private KcpMessageFormat messageFormat = KcpMessageFormat.RAW;

	/**
	 * How the engine recovers from loss: TUNED (early retransmit, retransmissions at their exact deadline, RTO
	 * restart, kcp-go's backoff, fewer acknowledgements) or IKCP (exactly ikcp.c).
	 */
	private EngineMode engineMode = EngineMode.TUNED;

	/**
	 * With eager flushing, how long acknowledgements of data received in order may wait to leave together; zero
	 * sends them after every read burst.
	 */
	@DurationUnit(ChronoUnit.MILLIS)
	private Duration ackDelay = Duration.ofMillis(1);

	private final Crypto crypto = new Crypto();

	private final Ssl ssl = new Ssl();

	private final StreamFraming streamFraming = new StreamFraming();

	private final Server server = new Server();

	private final Client client = new Client();

	public int getMtu() {
		return this.mtu;
	}

	public void setMtu(int mtu) {
		this.mtu = mtu;
	}

	public NodelayMode getNodelay() {
		return this.nodelay;
	}

	public void setNodelay(NodelayMode nodelay) {
		this.nodelay = nodelay;
	}

	public Duration getInterval() {
		return this.interval;
	}

	public void setInterval(Duration interval) {
		this.interval = interval;
	}

	public int getResend() {
		return this.resend;
	}

	public void setResend(int resend) {
		this.resend = resend;
	}

	public boolean isCongestionControl() {
		return this.congestionControl;
	}

	public void setCongestionControl(boolean congestionControl) {
		this.congestionControl = congestionControl;
	}

	public int getSendWindow() {
		return this.sendWindow;
	}

	public void setSendWindow(int sendWindow) {
		this.sendWindow = sendWindow;
	}

	public int getReceiveWindow() {
		return this.receiveWindow;
	}

	public void setReceiveWindow(int receiveWindow) {
		this.receiveWindow = receiveWindow;
	}

	public boolean isStream() {
		return this.stream;
	}

	public void setStream(boolean stream) {
		this.stream = stream;
	}

	public Duration getIdleTimeout() {
		return this.idleTimeout;
	}

	public void setIdleTimeout(Duration idleTimeout) {
		this.idleTimeout = idleTimeout;
	}

	public Duration getMinRto() {
		return this.minRto;
	}

	public void setMinRto(Duration minRto) {
		this.minRto = minRto;
	}

	public int getDeadLink() {
		return this.deadLink;
	}

	public void setDeadLink(int deadLink) {
		this.deadLink = deadLink;
	}

	public int getFastLimit() {
		return this.fastLimit;
	}

	public void setFastLimit(int fastLimit) {
		this.fastLimit = fastLimit;
	}

	public DataSize getSendBufferSize() {
		return this.sendBufferSize;
	}

	public void setSendBufferSize(DataSize sendBufferSize) {
		this.sendBufferSize = sendBufferSize;
	}

	public DataSize getReadBufferSize() {
		return this.readBufferSize;
	}

	public void setReadBufferSize(DataSize readBufferSize) {
		this.readBufferSize = readBufferSize;
	}

	public Duration getCloseTimeout() {
		return this.closeTimeout;
	}

	public void setCloseTimeout(Duration closeTimeout) {
		this.closeTimeout = closeTimeout;
	}

	public boolean isEagerFlush() {
		return this.eagerFlush;
	}

	public void setEagerFlush(boolean eagerFlush) {
		this.eagerFlush = eagerFlush;
	}

	public KcpMessageFormat getMessageFormat() {
		return this.messageFormat;
	}

	public void setMessageFormat(KcpMessageFormat messageFormat) {
		this.messageFormat = messageFormat;
	}

	public EngineMode getEngineMode() {
		return this.engineMode;
	}

	public void setEngineMode(EngineMode engineMode) {
		this.engineMode = engineMode;
	}

	public Duration getAckDelay() {
		return this.ackDelay;
	}

	public void setAckDelay(Duration ackDelay) {
		this.ackDelay = ackDelay;
	}

	public Crypto getCrypto() {
		return this.crypto;
	}

	public Ssl getSsl() {
		return this.ssl;
	}

	public StreamFraming getStreamFraming() {
		return this.streamFraming;
	}

	public Server getServer() {
		return this.server;
	}

	public Client getClient() {
		return this.client;
	}

	/**
	 * How messages are cut out of the byte stream of sessions in stream mode ({@code kcp.stream=true}, or per side),
	 * with spring-integration-ip's codecs: for {@code @KcpHandler} methods, the {@code KcpTemplate} and the Spring
	 * Integration endpoints.
	 */
	public static class StreamFraming {

		/**
		 * The codec framing each message in stream mode: none (each piece of the stream is a message),
		 * length-header-1, length-header-2, length-header-4, crlf, lf, stx-etx or raw (one message per session, ending
		 * when the peer closes). Needs spring-integration-ip on the class path.
		 */
		private StreamFramingCodec codec = StreamFramingCodec.NONE;

		/**
		 * The largest message the codec reads; larger ones close the session.
		 */
		private DataSize maxMessageSize = DataSize.ofKilobytes(64);

		public StreamFramingCodec getCodec() {
			return this.codec;
		}

		public void setCodec(StreamFramingCodec codec) {
			this.codec = codec;
		}

		public DataSize getMaxMessageSize() {
			return this.maxMessageSize;
		}

		public void setMaxMessageSize(DataSize maxMessageSize) {
			this.maxMessageSize = maxMessageSize;
		}

	}

	/**
	 * Packet encryption, shared by the server and the client side.
	 */
	public static class Crypto {

		/**
		 * Packet encryption mode: none, aes-cbc-hmac (aiokcp-compatible) or aes-gcm.
		 */
		private CipherMode mode = CipherMode.NONE;

		/**
		 * Key (passphrase) the cipher keys are derived from: text (UTF-8), or raw bytes written as "hex:..." or
		 * "base64:...". Required unless the mode is none.
		 */
		private @Nullable String key;

		/**
		 * Salt of the key derivation, in the same formats as the key. Required unless the mode is none.
		 */
		private @Nullable String salt;

		public CipherMode getMode() {
			return this.mode;
		}

		public void setMode(CipherMode mode) {
			this.mode = mode;
		}

		public @Nullable String getKey() {
			return this.key;
		}

		public void setKey(@Nullable String key) {
			this.key = key;
		}

		public @Nullable String getSalt() {
			return this.salt;
		}

		public void setSalt(@Nullable String salt) {
			this.salt = salt;
		}

	}

	/**
	 * Certificate-based security: every session secured with DTLS 1.2, its certificate, key and trusted issuers taken
	 * from a Spring Boot SSL bundle ({@code spring.ssl.bundle.jks.*} or {@code spring.ssl.bundle.pem.*}). Replaces
	 * packet encryption ({@code kcp.crypto.*}); both ends must use it. The defaults are those of the core's
	 * {@link io.github.kcp.core.dtls.DtlsSettings} (a test keeps them equal).
	 */
	public static class Ssl {

		/**
		 * Name of the SSL bundle that secures sessions with DTLS, on the server and the client side unless
		 * kcp.server.ssl.bundle or kcp.client.ssl.bundle names another; no DTLS when not set. The bundle's protocol
		 * option is for TLS and is ignored; its enabled-protocols, if set, must include DTLSv1.2.
		 */
		private @Nullable String bundle;

		/**
		 * Whether the server asks clients for a certificate: none, want (asks; clients without one are still
		 * accepted) or need (clients without a trusted certificate are refused).
		 */
		private DtlsClientAuth clientAuth = DtlsClientAuth.NONE;

		/**
		 * Whether the client side checks that the server's certificate names the host it connects to (DNS or IP
		 * subject alternative name, as HTTPS does).
		 */
		private boolean verifyHostname = true;

		/**
		 * Cipher suites offered and accepted, most preferred first; defaults to the bundle's options.ciphers, else
		 * the JDK's suites with forward secrecy and authenticated encryption.
		 */
		private @Nullable List<String> cipherSuites;

		/**
		 * How long a DTLS handshake may take before it fails (on the client side, how long the first call to a
		 * server may wait for it).
		 */
		@DurationUnit(ChronoUnit.SECONDS)
		private Duration handshakeTimeout = Duration.ofSeconds(30);

		/**
		 * First retransmission timeout of a lost handshake flight, doubled after each retransmission up to 60s.
		 */
		@DurationUnit(ChronoUnit.MILLIS)
		private Duration retransmitTimeout = Duration.ofSeconds(1);

		public @Nullable String getBundle() {
			return this.bundle;
		}

		public void setBundle(@Nullable String bundle) {
			this.bundle = bundle;
		}

		public DtlsClientAuth getClientAuth() {
			return this.clientAuth;
		}

		public void setClientAuth(DtlsClientAuth clientAuth) {
			this.clientAuth = clientAuth;
		}

		public boolean isVerifyHostname() {
			return this.verifyHostname;
		}

		public void setVerifyHostname(boolean verifyHostname) {
			this.verifyHostname = verifyHostname;
		}

		public @Nullable List<String> getCipherSuites() {
			return this.cipherSuites;
		}

		public void setCipherSuites(@Nullable List<String> cipherSuites) {
			this.cipherSuites = cipherSuites;
		}

		public Duration getHandshakeTimeout() {
			return this.handshakeTimeout;
		}

		public void setHandshakeTimeout(Duration handshakeTimeout) {
			this.handshakeTimeout = handshakeTimeout;
		}

		public Duration getRetransmitTimeout() {
			return this.retransmitTimeout;
		}

		public void setRetransmitTimeout(Duration retransmitTimeout) {
			this.retransmitTimeout = retransmitTimeout;
		}

	}

	/**
	 * The SSL bundle of one side, replacing {@code kcp.ssl.bundle} for that side only.
	 */
	public static class SslBundleOverride {

		/**
		 * Name of the SSL bundle of this side (for example a server certificate here, a client certificate on the
		 * other side); defaults to kcp.ssl.bundle.
		 */
		private @Nullable String bundle;

		public @Nullable String getBundle() {
			return this.bundle;
		}

		public void setBundle(@Nullable String bundle) {
			this.bundle = bundle;
		}

	}

	/**
	 * Per-side overrides of the protocol settings: each one that is set replaces the top-level {@code kcp.*} value
	 * of the same name for that side only.
	 */
	public abstract static class ProtocolOverrides {

		/**
		 * Maximum datagram size in bytes for this side; defaults to kcp.mtu.
		 */
		private @Nullable Integer mtu;

		/**
		 * Nodelay mode for this side (false, true or 2); defaults to kcp.nodelay.
		 */
		private @Nullable NodelayMode nodelay;

		/**
		 * Internal update interval for this side; defaults to kcp.interval.
		 */
		@DurationUnit(ChronoUnit.MILLIS)
		private @Nullable Duration interval;

		/**
		 * Duplicate acknowledgements that trigger a fast retransmission for this side; defaults to kcp.resend.
		 */
		private @Nullable Integer resend;

		/**
		 * Whether the congestion window limits sending for this side; defaults to kcp.congestion-control.
		 */
		private @Nullable Boolean congestionControl;

		/**
		 * Send window in segments for this side; defaults to kcp.send-window.
		 */
		private @Nullable Integer sendWindow;

		/**
		 * Receive window in segments for this side; defaults to kcp.receive-window.
		 */
		private @Nullable Integer receiveWindow;

		/**
		 * Whether sessions of this side are byte streams; defaults to kcp.stream.
		 */
		private @Nullable Boolean stream;

		/**
		 * Idle timeout for this side; defaults to kcp.idle-timeout.
		 */
		@DurationUnit(ChronoUnit.SECONDS)
		private @Nullable Duration idleTimeout;

		/**
		 * Minimum retransmission timeout for this side; defaults to kcp.min-rto.
		 */
		@DurationUnit(ChronoUnit.MILLIS)
		private @Nullable Duration minRto;

		/**
		 * Transmissions of one segment before the link is dead, for this side; defaults to kcp.dead-link.
		 */
		private @Nullable Integer deadLink;

		/**
		 * Most fast retransmissions of one segment for this side; defaults to kcp.fast-limit.
		 */
		private @Nullable Integer fastLimit;

		/**
		 * Most unacknowledged bytes per session for this side; defaults to kcp.send-buffer-size.
		 */
		private @Nullable DataSize sendBufferSize;

		/**
		 * Most buffered unread bytes per session for this side; defaults to kcp.read-buffer-size.
		 */
		private @Nullable DataSize readBufferSize;

		/**
		 * Graceful session close timeout for this side; defaults to kcp.close-timeout.
		 */
		@DurationUnit(ChronoUnit.SECONDS)
		private @Nullable Duration closeTimeout;

		/**
		 * Whether to flush eagerly on this side; defaults to kcp.eager-flush.
		 */
		private @Nullable Boolean eagerFlush;

		/**
		 * Loss recovery of the engine on this side; defaults to kcp.engine-mode.
		 */
		private @Nullable EngineMode engineMode;

		/**
		 * Acknowledgement coalescing delay on this side; defaults to kcp.ack-delay.
		 */
		@DurationUnit(ChronoUnit.MILLIS)
		private @Nullable Duration ackDelay;

		public @Nullable Integer getMtu() {
			return this.mtu;
		}

		public void setMtu(@Nullable Integer mtu) {
			this.mtu = mtu;
		}

		public @Nullable NodelayMode getNodelay() {
			return this.nodelay;
		}

		public void setNodelay(@Nullable NodelayMode nodelay) {
			this.nodelay = nodelay;
		}

		public @Nullable Duration getInterval() {
			return this.interval;
		}

		public void setInterval(@Nullable Duration interval) {
			this.interval = interval;
		}

		public @Nullable Integer getResend() {
			return this.resend;
		}

		public void setResend(@Nullable Integer resend) {
			this.resend = resend;
		}

		public @Nullable Boolean getCongestionControl() {
			return this.congestionControl;
		}

		public void setCongestionControl(@Nullable Boolean congestionControl) {
			this.congestionControl = congestionControl;
		}

		public @Nullable Integer getSendWindow() {
			return this.sendWindow;
		}

		public void setSendWindow(@Nullable Integer sendWindow) {
			this.sendWindow = sendWindow;
		}

		public @Nullable Integer getReceiveWindow() {
			return this.receiveWindow;
		}

		public void setReceiveWindow(@Nullable Integer receiveWindow) {
			this.receiveWindow = receiveWindow;
		}

		public @Nullable Boolean getStream() {
			return this.stream;
		}

		public void setStream(@Nullable Boolean stream) {
			this.stream = stream;
		}

		public @Nullable Duration getIdleTimeout() {
			return this.idleTimeout;
		}

		public void setIdleTimeout(@Nullable Duration idleTimeout) {
			this.idleTimeout = idleTimeout;
		}

		public @Nullable Duration getMinRto() {
			return this.minRto;
		}

		public void setMinRto(@Nullable Duration minRto) {
			this.minRto = minRto;
		}

		public @Nullable Integer getDeadLink() {
			return this.deadLink;
		}

		public void setDeadLink(@Nullable Integer deadLink) {
			this.deadLink = deadLink;
		}

		public @Nullable Integer getFastLimit() {
			return this.fastLimit;
		}

		public void setFastLimit(@Nullable Integer fastLimit) {
			this.fastLimit = fastLimit;
		}

		public @Nullable DataSize getSendBufferSize() {
			return this.sendBufferSize;
		}

		public void setSendBufferSize(@Nullable DataSize sendBufferSize) {
			this.sendBufferSize = sendBufferSize;
		}

		public @Nullable DataSize getReadBufferSize() {
			return this.readBufferSize;
		}

		public void setReadBufferSize(@Nullable DataSize readBufferSize) {
			this.readBufferSize = readBufferSize;
		}

		public @Nullable Duration getCloseTimeout() {
			return this.closeTimeout;
		}

		public void setCloseTimeout(@Nullable Duration closeTimeout) {
			this.closeTimeout = closeTimeout;
		}

		public @Nullable Boolean getEagerFlush() {
			return this.eagerFlush;
		}

		public void setEagerFlush(@Nullable Boolean eagerFlush) {
			this.eagerFlush = eagerFlush;
		}

		public @Nullable EngineMode getEngineMode() {
			return this.engineMode;
		}

		public void setEngineMode(@Nullable EngineMode engineMode) {
			this.engineMode = engineMode;
		}

		public @Nullable Duration getAckDelay() {
			return this.ackDelay;
		}

		public void setAckDelay(@Nullable Duration ackDelay) {
			this.ackDelay = ackDelay;
		}

	}

	/**
	 * The KCP server: where it listens, its limits, its shutdown, and its overrides of the protocol settings.
	 */
	public static class Server extends ProtocolOverrides {

		/**
		 * Whether to run the KCP server. When not set, the server runs if the context has @KcpHandler methods;
		 * true runs it even without handlers, false never runs it.
		 */
		private @Nullable Boolean enabled;

		/**
		 * Local address to bind to; all interfaces when not set.
		 */
		private @Nullable InetAddress address;

		/**
		 * UDP port to listen on; 0 picks a free port (published in the KcpServerListeningEvent).
		 */
		private int port = 9700;

		/**
		 * Most sessions open at once; datagrams that would open more are dropped.
		 */
		private int maxSessions = 10_000;

		/**
		 * Most new sessions admitted per second, 0 for no limit.
		 */
		private int newSessionsPerSecond = 0;

		/**
		 * How long a closed conversation is remembered so that its late datagrams do not open it again.
		 */
		@DurationUnit(ChronoUnit.SECONDS)
		private Duration closedSessionMemory = Duration.ofSeconds(60);

		/**
		 * Most sessions one source address (an IPv6 address by its /64 prefix) may have open at once; when full, its
		 * oldest unproven session makes room. 0 means no limit (for example behind a large NAT).
		 */
		private int maxSessionsPerAddress = 256;

		/**
		 * Most new sessions one source address (an IPv6 address by its /64 prefix) may open per second; 0 means no
		 * limit.
		 */
		private int newSessionsPerAddressPerSecond = 64;

		/**
		 * Idle timeout of a session whose peer has not yet acknowledged data the server sent nor echoed its address
		 * challenge (an unproven peer, which may be a spoofed source); zero applies kcp.idle-timeout.
		 */
		@DurationUnit(ChronoUnit.SECONDS)
		private Duration unprovenIdleTimeout = Duration.ofSeconds(15);

		/**
		 * Most received data a session of an unproven peer may hold; beyond it out-of-order data is dropped
		 * unacknowledged (in-order data is always taken).
		 */
		private DataSize unprovenReceiveBudget = DataSize.ofKilobytes(64);

		/**
		 * How many times the bytes received from an unproven peer the server sends it at most (anti-amplification,
		 * as QUIC does); 0 means no limit, otherwise 3 or more.
		 */
		private int amplificationFactor = 3;

		/**
		 * Bytes all sessions of the server may hold in receive and send buffers together; beyond it out-of-order
		 * data is dropped unacknowledged and sends fail fast. 0 means a quarter of the JVM's maximum heap.
		 */
		private DataSize memoryBudget = DataSize.ofBytes(0);

		/**
		 * While the server serves many clients at once (datagrams of at least 32 different sessions within 10 ms),
		 * its event loop waits until this long has passed since its previous poll of the sockets before the next:
		 * one wake-up reads the datagrams of many clients (far less CPU), at most this much more latency, only under
		 * that load. Zero turns it off; at most 10 ms.
		 */
		private Duration readCoalescing = Duration.ofNanos(500_000);

		/**
		 * How long a graceful shutdown waits for handler replies and unacknowledged data before closing sessions.
		 */
		@DurationUnit(ChronoUnit.SECONDS)
		private Duration shutdownTimeout = Duration.ofSeconds(10);

		/**
		 * What the server's messages carry; defaults to kcp.message-format.
		 */
		private @Nullable KcpMessageFormat messageFormat;

		/**
		 * Whether to observe each @KcpHandler invocation with the ObservationRegistry (a timer and, with tracing, a
		 * span continuing the trace the envelope headers carry).
		 */
		private boolean observationEnabled;

		private final HandlerExecutor handlerExecutor = new HandlerExecutor();

		private final SslBundleOverride ssl = new SslBundleOverride();

		public SslBundleOverride getSsl() {
			return this.ssl;
		}

		public boolean isObservationEnabled() {
			return this.observationEnabled;
		}

		public void setObservationEnabled(boolean observationEnabled) {
			this.observationEnabled = observationEnabled;
		}

		public @Nullable KcpMessageFormat getMessageFormat() {
			return this.messageFormat;
		}

		public void setMessageFormat(@Nullable KcpMessageFormat messageFormat) {
			this.messageFormat = messageFormat;
		}

		public @Nullable Boolean getEnabled() {
			return this.enabled;
		}

		public void setEnabled(@Nullable Boolean enabled) {
			this.enabled = enabled;
		}

		public @Nullable InetAddress getAddress() {
			return this.address;
		}

		public void setAddress(@Nullable InetAddress address) {
			this.address = address;
		}

		public int getPort() {
			return this.port;
		}

		public void setPort(int port) {
			this.port = port;
		}

		public int getMaxSessions() {
			return this.maxSessions;
		}

		public void setMaxSessions(int maxSessions) {
			this.maxSessions = maxSessions;
		}

		public int getNewSessionsPerSecond() {
			return this.newSessionsPerSecond;
		}

		public void setNewSessionsPerSecond(int newSessionsPerSecond) {
			this.newSessionsPerSecond = newSessionsPerSecond;
		}

		public int getMaxSessionsPerAddress() {
			return this.maxSessionsPerAddress;
		}

		public void setMaxSessionsPerAddress(int maxSessionsPerAddress) {
			this.maxSessionsPerAddress = maxSessionsPerAddress;
		}

		public int getNewSessionsPerAddressPerSecond() {
			return this.newSessionsPerAddressPerSecond;
		}

		public void setNewSessionsPerAddressPerSecond(int newSessionsPerAddressPerSecond) {
			this.newSessionsPerAddressPerSecond = newSessionsPerAddressPerSecond;
		}

		public Duration getUnprovenIdleTimeout() {
			return this.unprovenIdleTimeout;
		}

		public void setUnprovenIdleTimeout(Duration unprovenIdleTimeout) {
			this.unprovenIdleTimeout = unprovenIdleTimeout;
		}

		public DataSize getUnprovenReceiveBudget() {
			return this.unprovenReceiveBudget;
		}

		public void setUnprovenReceiveBudget(DataSize unprovenReceiveBudget) {
			this.unprovenReceiveBudget = unprovenReceiveBudget;
		}

		public int getAmplificationFactor() {
			return this.amplificationFactor;
		}

		public void setAmplificationFactor(int amplificationFactor) {
			this.amplificationFactor = amplificationFactor;
		}

		public DataSize getMemoryBudget() {
			return this.memoryBudget;
		}

		public void setMemoryBudget(DataSize memoryBudget) {
			this.memoryBudget = memoryBudget;
		}

		public Duration getReadCoalescing() {
			return this.readCoalescing;
		}

		public void setReadCoalescing(Duration readCoalescing) {
			this.readCoalescing = readCoalescing;
		}

		public Duration getClosedSessionMemory() {
			return this.closedSessionMemory;
		}

		public void setClosedSessionMemory(Duration closedSessionMemory) {
			this.closedSessionMemory = closedSessionMemory;
		}

		public Duration getShutdownTimeout() {
			return this.shutdownTimeout;
		}

		public void setShutdownTimeout(Duration shutdownTimeout) {
			this.shutdownTimeout = shutdownTimeout;
		}

		public HandlerExecutor getHandlerExecutor() {
			return this.handlerExecutor;
		}

	}

	/**
	 * The pool that runs @KcpHandler methods when virtual threads are not in use.
	 */
	public static class HandlerExecutor {

		/**
		 * Threads running handler methods; defaults to twice the number of available processors, at least 4.
		 */
		private @Nullable Integer poolSize;

		/**
		 * Handler invocations that may wait for a thread; beyond it a session's messages wait on the network
		 * (its receive window closes).
		 */
		private int queueCapacity = 10_000;

		/**
		 * Prefix of the names of the handler threads.
		 */
		private String threadNamePrefix = "kcp-handler-";

		public @Nullable Integer getPoolSize() {
			return this.poolSize;
		}

		public void setPoolSize(@Nullable Integer poolSize) {
			this.poolSize = poolSize;
		}

		public int getQueueCapacity() {
			return this.queueCapacity;
		}

		public void setQueueCapacity(int queueCapacity) {
			this.queueCapacity = queueCapacity;
		}

		public String getThreadNamePrefix() {
			return this.threadNamePrefix;
		}

		public void setThreadNamePrefix(String threadNamePrefix) {
			this.threadNamePrefix = threadNamePrefix;
		}

	}

	/**
	 * The client side (KcpTemplate): its default target and its overrides of the protocol settings.
	 */
	public static class Client extends ProtocolOverrides {

		/**
		 * Host of the template's default target.
		 */
		private String host = "localhost";

		/**
		 * UDP port of the template's default target; when not set, the port of this application's own KCP server
		 * if it runs one (local.kcp.server.port, useful with kcp.server.port=0), else 9700.
		 */
		private @Nullable Integer port;

		/**
		 * How long a request waits for its reply, and a blocking send for its acknowledgement, unless the call says.
		 */
		@DurationUnit(ChronoUnit.SECONDS)
		private Duration replyTimeout = Duration.ofSeconds(10);

		/**
		 * What the template's messages carry; defaults to kcp.message-format.
		 */
		private @Nullable KcpMessageFormat messageFormat;

		/**
		 * Whether to observe each KcpTemplate request and one-way send with the ObservationRegistry (a timer and,
		 * with tracing, a span whose context travels in the envelope headers).
		 */
		private boolean observationEnabled;

		private final SslBundleOverride ssl = new SslBundleOverride();

		public SslBundleOverride getSsl() {
			return this.ssl;
		}

		public boolean isObservationEnabled() {
			return this.observationEnabled;
		}

		public void setObservationEnabled(boolean observationEnabled) {
			this.observationEnabled = observationEnabled;
		}

		public Duration getReplyTimeout() {
			return this.replyTimeout;
		}

		public void setReplyTimeout(Duration replyTimeout) {
			this.replyTimeout = replyTimeout;
		}

		public @Nullable KcpMessageFormat getMessageFormat() {
			return this.messageFormat;
		}

		public void setMessageFormat(@Nullable KcpMessageFormat messageFormat) {
			this.messageFormat = messageFormat;
		}

		public String getHost() {
			return this.host;
		}

		public void setHost(String host) {
			this.host = host;
		}

		public @Nullable Integer getPort() {
			return this.port;
		}

		public void setPort(@Nullable Integer port) {
			this.port = port;
		}

	}

}
