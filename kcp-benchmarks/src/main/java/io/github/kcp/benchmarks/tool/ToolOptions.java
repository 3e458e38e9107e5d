package io.github.kcp.benchmarks.tool;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import io.github.kcp.core.connection.InvalidKcpSettingException;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSettings;
import io.github.kcp.core.crypto.CipherMode;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.crypto.PacketCiphers;
import io.github.kcp.core.dtls.DtlsClientAuth;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.transport.UdpOptions;
import org.jspecify.annotations.Nullable;

/**
 * The parsed command line: the role and every flag, with the kcp-go peer's names and defaults (fast mode: nodelay 1,
 * interval 10, resend 2, nc 1, windows 1024, mtu 1400). Flags are written {@code --name value},
 * {@code --name=value} or with a single dash, as Go's flag package accepts them.
 */
final class ToolOptions {

	/** KCP roles. */
	static final Set<String> KCP_SERVERS = Set.of("echo-server", "sink-server", "source-server", "bulk-server");

	/** KCP client roles. */
	static final Set<String> KCP_CLIENTS = Set.of("echo-client", "source-client", "sink-client", "bulk-client",
			"rtt-client", "connect-client");

	/** Prefix of the roles that run the same protocols over TCP. */
	static final String TCP_PREFIX = "tcp-";

	/** The relay role. */
	static final String RELAY = "relay";

	/** The many-sessions load roles ({@link SessionLoad}) and the TCP reference server for them. */
	static final Set<String> SESSION_ROLES = Set.of("sessions-client", "tcp-sessions-client", "tcp-sessions-server");

	/** Most connections one {@code sessions-client} opens. */
	static final int MAX_SESSIONS = 100_000;

	/** Longest phase of a {@code sessions-client}, in seconds. */
	static final int MAX_PHASE_SECONDS = 3600;

	private enum Kind {

		INT, LONG, DOUBLE, TEXT,
		/** An int that may be written without a value, meaning 1 ({@code --stream}). */
		SWITCH

	}

	private static final Map<String, Kind> FLAGS = new LinkedHashMap<>();

	/** The flag of each KCP setting whose flag is not spelled like the setting (kcp-go's names). */
	private static final Map<String, String> FLAG_OF = Map.of("sendWindow", "sndwnd", "receiveWindow", "rcvwnd",
			"congestionControl", "nc", "idleTimeout", "idle-seconds");

	static {
		FLAGS.put("host", Kind.TEXT);
		FLAGS.put("port", Kind.INT);
		FLAGS.put("nodelay", Kind.SWITCH);
		FLAGS.put("interval", Kind.INT);
		FLAGS.put("resend", Kind.INT);
		FLAGS.put("nc", Kind.SWITCH);
		FLAGS.put("sndwnd", Kind.INT);
		FLAGS.put("rcvwnd", Kind.INT);
		FLAGS.put("mtu", Kind.INT);
		FLAGS.put("stream", Kind.SWITCH);
		FLAGS.put("seconds", Kind.INT);
		FLAGS.put("timeout-seconds", Kind.INT);
		FLAGS.put("idle-seconds", Kind.INT);
		FLAGS.put("count", Kind.INT);
		FLAGS.put("size", Kind.INT);
		FLAGS.put("bytes", Kind.LONG);
		FLAGS.put("interval-ms", Kind.INT);
		FLAGS.put("warmup", Kind.INT);
		FLAGS.put("jit-warmup", Kind.INT);
		FLAGS.put("warmup-bytes", Kind.LONG);
		FLAGS.put("linger-ms", Kind.INT);
		FLAGS.put("watch-stdin", Kind.SWITCH);
		FLAGS.put("stats", Kind.SWITCH);
		FLAGS.put("batch", Kind.INT);
		FLAGS.put("gso", Kind.INT);
		FLAGS.put("gro", Kind.INT);
		FLAGS.put("crypto", Kind.TEXT);
		FLAGS.put("key", Kind.TEXT);
		FLAGS.put("salt", Kind.TEXT);
		FLAGS.put("listen", Kind.INT);
		FLAGS.put("target", Kind.TEXT);
		FLAGS.put("loss", Kind.DOUBLE);
		FLAGS.put("delay-ms", Kind.INT);
		FLAGS.put("jitter-ms", Kind.INT);
		FLAGS.put("sessions", Kind.INT);
		FLAGS.put("ramp-seconds", Kind.INT);
		FLAGS.put("warmup-seconds", Kind.INT);
		FLAGS.put("measure-seconds", Kind.INT);
		FLAGS.put("settle-seconds", Kind.INT);
		FLAGS.put("idle-measure-seconds", Kind.INT);
		FLAGS.put("server-pid", Kind.INT);
		FLAGS.put("max-sessions-per-address", Kind.INT);
		FLAGS.put("new-sessions-per-address", Kind.INT);
		FLAGS.put("read-coalescing-us", Kind.INT);
		FLAGS.put("dtls", Kind.SWITCH);
		FLAGS.put("cert", Kind.TEXT);
		FLAGS.put("ca", Kind.TEXT);
		FLAGS.put("client-auth", Kind.TEXT);
		FLAGS.put("dtls-insecure", Kind.SWITCH);
	}

	final String role;

	String host = "127.0.0.1";

	int port = -1;

	int nodelay = 1;

	int interval = 10;

	int resend = 2;

	int nc = 1;

	int sndwnd = 1024;

	int rcvwnd = 1024;

	int mtu = 1400;

	int stream;

	int seconds;

	int timeoutSeconds = 60;

	int idleSeconds = 30;

	int count = 100;

	int size = 1000;

	long bytes = 1 << 20;

	int intervalMs = 10;

	int warmup;

	/** rtt-client: untimed round trips one after the other (not paced) before the warm-up, for the JIT. */
	int jitWarmup;

	long warmupBytes;

	int lingerMs = 300;

	int watchStdin;

	int stats;

	/** Batched reads and writes (native epoll), UDP GSO, UDP GRO: 0 or 1; see {@link UdpOptions}. */
	int batch = 1;

	int gso = 1;

	int gro;

	String crypto = "none";

	@Nullable String key;

	@Nullable String salt;

	int listen = -1;

	@Nullable String target;

	double loss;

	int delayMs;

	int jitterMs;

	int sessions = 1000;

	int rampSeconds;

	int warmupSeconds = 5;

	int measureSeconds = 10;

	int settleSeconds;

	int idleMeasureSeconds;

	int serverPid;

	/** Servers: see KcpSettings.MAX_SESSIONS_PER_ADDRESS (0 = no limit). */
	int maxSessionsPerAddress = KcpSettings.MAX_SESSIONS_PER_ADDRESS.defaultValue();

	/** Servers: see KcpSettings.NEW_SESSIONS_PER_ADDRESS_PER_SECOND (0 = no limit). */
	int newSessionsPerAddress = KcpSettings.NEW_SESSIONS_PER_ADDRESS_PER_SECOND.defaultValue();

	/** Servers: see KcpSettings.READ_COALESCING, in microseconds (0 = off). */
	int readCoalescingMicros = (int) (KcpSettings.READ_COALESCING.defaultValue().toNanos() / 1000);

	/** DTLS instead of a packet cipher: 0 or 1; with it, --key is the private key's PEM file. */
	int dtls;

	@Nullable String cert;

	@Nullable String ca;

	String clientAuth = "none";

	int dtlsInsecure;

	private @Nullable DtlsSettings dtlsSettings;

	private @Nullable KcpConfig kcpConfig;

	private @Nullable PacketCipher packetCipher;

	private ToolOptions(String role) {
		this.role = role;
	}

	/**
	 * Parses and validates a command line (the role first, then flags).
	 * @throws ToolUsageException naming what is wrong
	 */
	static ToolOptions parse(String... args) throws ToolUsageException {
		if (args.length == 0 || args[0].startsWith("-")) {
			throw new ToolUsageException("The first argument must be a role; see --help for the list");
		}
		ToolOptions options = new ToolOptions(args[0]);
		if (!options.isKnownRole()) {
			throw new ToolUsageException("Unknown role '" + args[0] + "'; see --help for the list");
		}
		for (int i = 1; i < args.length; i++) {
			String arg = args[i];
			if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
				throw new ToolUsageException("Unexpected argument '" + arg + "': flags are written --name value");
			}
			String name = arg.substring(arg.startsWith("--") ? 2 : 1);
			String value = null;
			int eq = name.indexOf('=');
			if (eq >= 0) {
				value = name.substring(eq + 1);
				name = name.substring(0, eq);
			}
			Kind kind = FLAGS.get(name);
			if (kind == null) {
				throw new ToolUsageException("Unknown flag '--" + name + "'; see --help for the flags");
			}
			if (value == null) {
				boolean hasNext = i + 1 < args.length && !args[i + 1].startsWith("--");
				if (kind == Kind.SWITCH && !hasNext) {
					value = "1";
				}
				else if (i + 1 < args.length) {
					value = args[++i];
				}
				else {
					throw new ToolUsageException("Flag '--" + name + "' needs a value");
				}
			}
			options.set(name, kind, value);
		}
		options.validate();
		return options;
	}

	private boolean isKnownRole() {
		String base = this.role.startsWith(TCP_PREFIX) ? this.role.substring(TCP_PREFIX.length()) : this.role;
		return KCP_SERVERS.contains(base) || KCP_CLIENTS.contains(base) || this.role.equals(RELAY)
				|| SESSION_ROLES.contains(this.role);
	}

	private void set(String name, Kind kind, String value) throws ToolUsageException {
		switch (kind) {
			case TEXT -> setText(name, value);
			case DOUBLE -> this.loss = parseDouble(name, value);
			case LONG -> setLong(name, parseLong(name, value));
			case INT, SWITCH -> setInt(name, (int) parseLong(name, value));
		}
	}

	private void setText(String name, String value) {
		switch (name) {
			case "host" -> this.host = value;
			case "crypto" -> this.crypto = value;
			case "key" -> this.key = value;
			case "salt" -> this.salt = value;
			case "target" -> this.target = value;
			case "cert" -> this.cert = value;
			case "ca" -> this.ca = value;
			case "client-auth" -> this.clientAuth = value;
			default -> throw new IllegalStateException("No text flag " + name);
		}
	}

	private void setLong(String name, long value) {
		switch (name) {
			case "bytes" -> this.bytes = value;
			case "warmup-bytes" -> this.warmupBytes = value;
			default -> throw new IllegalStateException("No long flag " + name);
		}
	}

	private void setInt(String name, int value) {
		switch (name) {
			case "port" -> this.port = value;
			case "nodelay" -> this.nodelay = value;
			case "interval" -> this.interval = value;
			case "resend" -> this.resend = value;
			case "nc" -> this.nc = value;
			case "sndwnd" -> this.sndwnd = value;
			case "rcvwnd" -> this.rcvwnd = value;
			case "mtu" -> this.mtu = value;
			case "stream" -> this.stream = value;
			case "seconds" -> this.seconds = value;
			case "timeout-seconds" -> this.timeoutSeconds = value;
			case "idle-seconds" -> this.idleSeconds = value;
			case "count" -> this.count = value;
			case "size" -> this.size = value;
			case "interval-ms" -> this.intervalMs = value;
			case "warmup" -> this.warmup = value;
			case "jit-warmup" -> this.jitWarmup = value;
			case "linger-ms" -> this.lingerMs = value;
			case "watch-stdin" -> this.watchStdin = value;
			case "stats" -> this.stats = value;
			case "batch" -> this.batch = value;
			case "gso" -> this.gso = value;
			case "gro" -> this.gro = value;
			case "listen" -> this.listen = value;
			case "delay-ms" -> this.delayMs = value;
			case "jitter-ms" -> this.jitterMs = value;
			case "sessions" -> this.sessions = value;
			case "ramp-seconds" -> this.rampSeconds = value;
			case "warmup-seconds" -> this.warmupSeconds = value;
			case "measure-seconds" -> this.measureSeconds = value;
			case "settle-seconds" -> this.settleSeconds = value;
			case "idle-measure-seconds" -> this.idleMeasureSeconds = value;
			case "server-pid" -> this.serverPid = value;
			case "max-sessions-per-address" -> this.maxSessionsPerAddress = value;
			case "new-sessions-per-address" -> this.newSessionsPerAddress = value;
			case "read-coalescing-us" -> this.readCoalescingMicros = value;
			case "dtls" -> this.dtls = value;
			case "dtls-insecure" -> this.dtlsInsecure = value;
			default -> throw new IllegalStateException("No int flag " + name);
		}
	}

	private static long parseLong(String name, String value) throws ToolUsageException {
		try {
			long parsed = Long.parseLong(value.trim());
			if (FLAGS.get(name) != Kind.LONG && (parsed < Integer.MIN_VALUE || parsed > Integer.MAX_VALUE)) {
				throw new NumberFormatException();
			}
			return parsed;
		}
		catch (NumberFormatException ex) {
			throw new ToolUsageException("Flag '--" + name + "' needs a whole number but was '" + value + "'");
		}
	}

	private static double parseDouble(String name, String value) throws ToolUsageException {
		try {
			return Double.parseDouble(value.trim());
		}
		catch (NumberFormatException ex) {
			throw new ToolUsageException("Flag '--" + name + "' needs a number such as 0.05 but was '" + value + "'");
		}
	}

	private void validate() throws ToolUsageException {
		if (isRelay()) {
			validateRelay();
			return;
		}
		if (this.port < 0 || this.port > 65535 || (!isServer() && this.port == 0)) {
			throw new ToolUsageException("--port is required (0..65535; 0, a free port, for servers only)");
		}
		if (this.count <= 0 || this.size <= 0) {
			throw new ToolUsageException("--count and --size must be positive");
		}
		if (this.role.endsWith("rtt-client") && this.size < 8) {
			throw new ToolUsageException("rtt-client needs --size >= 8 (the first 8 bytes carry the index)");
		}
		if (this.bytes < 0 || this.warmupBytes < 0 || this.warmup < 0 || this.jitWarmup < 0) {
			throw new ToolUsageException("--bytes, --warmup-bytes, --warmup and --jit-warmup must not be negative");
		}
		if (this.timeoutSeconds <= 0 || this.idleSeconds <= 0 || this.seconds < 0 || this.intervalMs < 0) {
			throw new ToolUsageException("--timeout-seconds and --idle-seconds must be positive, --seconds and "
					+ "--interval-ms not negative");
		}
		if (this.nc != 0 && this.nc != 1 || this.stream != 0 && this.stream != 1) {
			throw new ToolUsageException("--nc and --stream take 0 or 1");
		}
		if (this.readCoalescingMicros < 0 || this.readCoalescingMicros > 10_000) {
			throw new ToolUsageException("--read-coalescing-us takes 0 to 10000");
		}
		if (this.stats < 0 || this.maxSessionsPerAddress < 0 || this.newSessionsPerAddress < 0) {
			throw new ToolUsageException("--stats, --max-sessions-per-address and --new-sessions-per-address must not "
					+ "be negative");
		}
		if (isSessionLoad()) {
			validateSessionLoad();
		}
		if (isTcp() && baseRole().equals("connect-client")) {
			throw new ToolUsageException("connect-client times KCP sessions (and their DTLS handshake): no TCP variant");
		}
		if ((this.batch | this.gso | this.gro) >>> 1 != 0) {
			throw new ToolUsageException("--batch, --gso and --gro take 0 or 1");
		}
		validateDtls();
		if (!isTcp()) {
			kcpConfig();
		}
	}

	private void validateRelay() throws ToolUsageException {
		if (this.listen < 0 || this.listen > 65535) {
			throw new ToolUsageException("relay needs --listen PORT (0 for a free port)");
		}
		if (this.target == null) {
			throw new ToolUsageException("relay needs --target HOST:PORT");
		}
		relayTarget();
		if (!(this.loss >= 0 && this.loss <= 1)) {
			throw new ToolUsageException("--loss is a probability within 0..1 but was " + this.loss);
		}
		if (this.delayMs < 0 || this.jitterMs < 0) {
			throw new ToolUsageException("--delay-ms and --jitter-ms must not be negative");
		}
	}

	private void validateSessionLoad() throws ToolUsageException {
		if (this.sessions <= 0 || this.sessions > MAX_SESSIONS) {
			throw new ToolUsageException("--sessions must be within 1.." + MAX_SESSIONS + " but was " + this.sessions);
		}
		if (this.size < SessionLoad.HEADER_BYTES) {
			throw new ToolUsageException(this.role + " needs --size >= " + SessionLoad.HEADER_BYTES
					+ " (the first bytes carry the sequence number and the send time)");
		}
		if (this.intervalMs <= 0) {
			throw new ToolUsageException(this.role + " needs --interval-ms >= 1 (each session's send period)");
		}
		int[] phases = { this.warmupSeconds, this.measureSeconds, this.settleSeconds, this.idleMeasureSeconds };
		for (int phase : phases) {
			if (phase < 0 || phase > MAX_PHASE_SECONDS) {
				throw new ToolUsageException("--warmup-seconds, --measure-seconds, --settle-seconds and "
						+ "--idle-measure-seconds must be within 0.." + MAX_PHASE_SECONDS);
			}
		}
		if (this.measureSeconds == 0) {
			throw new ToolUsageException("--measure-seconds must be positive");
		}
		if (this.rampSeconds < 0 || this.rampSeconds > this.warmupSeconds) {
			throw new ToolUsageException("--ramp-seconds must be within 0..--warmup-seconds (" + this.warmupSeconds
					+ "): every session is sending before the measurement starts");
		}
		long phasesTotal = (long) this.warmupSeconds + this.measureSeconds + this.settleSeconds
				+ this.idleMeasureSeconds;
		if (this.timeoutSeconds <= phasesTotal) {
			throw new ToolUsageException("--timeout-seconds (" + this.timeoutSeconds + ") must exceed the phases ("
					+ phasesTotal + " s of warm-up, measurement, settling and idle measurement)");
		}
		if (this.serverPid < 0) {
			throw new ToolUsageException("--server-pid must not be negative");
		}
		if (!this.crypto.equals("none")) {
			throw new ToolUsageException(this.role + " sends plain KCP: --crypto must be none");
		}
	}

	private void validateDtls() throws ToolUsageException {
		if ((this.dtls | this.dtlsInsecure) >>> 1 != 0) {
			throw new ToolUsageException("--dtls and --dtls-insecure take 0 or 1");
		}
		if (this.dtls == 0) {
			if (this.cert != null || this.ca != null || this.dtlsInsecure != 0 || !this.clientAuth.equals("none")) {
				throw new ToolUsageException("--cert, --ca, --client-auth and --dtls-insecure need --dtls");
			}
			return;
		}
		if (isTcp() || isSessionLoad()) {
			throw new ToolUsageException(this.role + " does not speak DTLS: --dtls is for the KCP roles");
		}
		if (!this.crypto.equals("none") || this.salt != null) {
			throw new ToolUsageException("--dtls replaces the packet cipher: --crypto must be none (and --salt unset)");
		}
		if ((this.cert == null) != (this.key == null)) {
			throw new ToolUsageException("--dtls: --cert and --key (PEM files) go together");
		}
		if (isServer() && this.cert == null) {
			throw new ToolUsageException("--dtls servers need --cert CERT.pem --key KEY.pem");
		}
		DtlsClientAuth auth = switch (this.clientAuth) {
			case "none" -> DtlsClientAuth.NONE;
			case "want" -> DtlsClientAuth.WANT;
			case "need" -> DtlsClientAuth.NEED;
			default -> throw new ToolUsageException("--client-auth must be none, want or need but was '"
					+ this.clientAuth + "'");
		};
		if (!isServer() && auth != DtlsClientAuth.NONE) {
			throw new ToolUsageException("--client-auth is a server's flag; a client sends --cert when asked");
		}
		dtlsSettings();
	}

	/**
	 * The DTLS settings of --dtls, or {@code null} without it: the PEM files read once; hostname verification on a
	 * client unless --dtls-insecure.
	 */
	@Nullable DtlsSettings dtlsSettings() throws ToolUsageException {
		if (this.dtls == 0) {
			return null;
		}
		DtlsSettings settings = this.dtlsSettings;
		if (settings == null) {
			SSLContext context = DtlsFiles.context(this.cert, this.key, this.ca, this.dtlsInsecure == 1);
			try {
				settings = DtlsSettings.builder(context)
					.clientAuth(DtlsClientAuth.valueOf(this.clientAuth.toUpperCase(Locale.ROOT)))
					.verifyHostname(this.dtlsInsecure == 0)
					.maxDatagramSize(Math.max(DtlsSettings.MIN_MAX_DATAGRAM_SIZE, this.mtu))
					.handshakeTimeoutMillis(TimeUnit.SECONDS.toMillis(Math.min(this.timeoutSeconds, 30)))
					.build();
			}
			catch (IllegalArgumentException ex) {
				throw new ToolUsageException("--dtls: " + ex.getMessage());
			}
			this.dtlsSettings = settings;
		}
		return settings;
	}

	/** The relay's target address, resolved. */
	InetSocketAddress relayTarget() throws ToolUsageException {
		String text = (this.target != null) ? this.target : "";
		int colon = text.lastIndexOf(':');
		if (colon <= 0 || colon == text.length() - 1) {
			throw new ToolUsageException("--target must be HOST:PORT but was '" + text + "'");
		}
		String targetHost = text.substring(0, colon);
		if (targetHost.startsWith("[") && targetHost.endsWith("]")) {
			targetHost = targetHost.substring(1, targetHost.length() - 1);
		}
		int targetPort;
		try {
			targetPort = Integer.parseInt(text.substring(colon + 1));
		}
		catch (NumberFormatException ex) {
			throw new ToolUsageException("--target must be HOST:PORT but the port of '" + text + "' is not a number");
		}
		if (targetPort <= 0 || targetPort > 65535) {
			throw new ToolUsageException("--target port must be within 1..65535 but was " + targetPort);
		}
		InetSocketAddress address = new InetSocketAddress(targetHost, targetPort);
		if (address.isUnresolved()) {
			throw new ToolUsageException("--target host '" + targetHost + "' cannot be resolved");
		}
		return address;
	}

	/**
	 * The KCP session configuration the flags describe, with the packet cipher (deriving its keys takes a moment).
	 * @throws ToolUsageException if a knob is out of range or the crypto flags are incomplete
	 */
	KcpConfig kcpConfig() throws ToolUsageException {
		KcpConfig config = this.kcpConfig;
		if (config == null) {
			// built once: validation and the role share it, and the cipher's key derivation is slow on purpose
			config = buildKcpConfig();
			this.kcpConfig = config;
		}
		return config;
	}

	private KcpConfig buildKcpConfig() throws ToolUsageException {
		try {
			KcpConfig built = KcpConfig.builder()
				.mtu(this.mtu)
				.nodelay(this.nodelay)
				.interval(this.interval)
				.resend(this.resend)
				.congestionControl(this.nc == 0)
				.windowSize(this.sndwnd, this.rcvwnd)
				.stream(this.stream == 1)
				.idleTimeout(Duration.ofSeconds(isServer() ? this.idleSeconds : this.timeoutSeconds + 5L))
				.closeTimeout(Duration.ofSeconds(5))
				.build();
			// The cipher's overhead comes off the mtu: check that enough is left.
			built.engineMtu(packetCipher().overhead());
			return built;
		}
		catch (InvalidKcpSettingException ex) {
			throw new ToolUsageException("--" + FLAG_OF.getOrDefault(ex.setting().name(), ex.setting().name())
					+ " must be " + ex.rule() + " but was " + ex.value());
		}
	}

	/** The packet cipher of --crypto/--key/--salt; derived once (the key derivation is slow on purpose). */
	PacketCipher packetCipher() throws ToolUsageException {
		if (this.dtls == 1) {
			// --key is the DTLS private key's file then, not key material.
			return PacketCipher.NONE;
		}
		PacketCipher cipher = this.packetCipher;
		if (cipher == null) {
			cipher = buildCipher();
			this.packetCipher = cipher;
		}
		return cipher;
	}

	private PacketCipher buildCipher() throws ToolUsageException {
		CipherMode mode;
		try {
			mode = CipherMode.fromName(this.crypto);
		}
		catch (IllegalArgumentException ex) {
			throw new ToolUsageException("--crypto must be none, aes-cbc-hmac or aes-gcm but was '" + this.crypto + "'");
		}
		if (mode == CipherMode.NONE) {
			return PacketCipher.NONE;
		}
		if (this.key == null || this.salt == null) {
			throw new ToolUsageException("--crypto " + this.crypto + " needs --key and --salt (UTF-8 text, or hex:... / "
					+ "base64:... for raw bytes)");
		}
		try {
			return PacketCiphers.of(mode, PacketCiphers.parseKeyMaterial(this.key),
					PacketCiphers.parseKeyMaterial(this.salt));
		}
		catch (IllegalArgumentException ex) {
			throw new ToolUsageException(ex.getMessage());
		}
	}

	/** The socket's batching and offloads from --batch, --gso and --gro. */
	UdpOptions udpOptions() {
		return UdpOptions.defaults()
			.withBatchedReads(this.batch == 1)
			.withBatchedWrites(this.batch == 1)
			.withSegmentationOffload(this.gso == 1)
			.withReceiveOffload(this.gro == 1);
	}

	boolean isServer() {
		return this.role.endsWith("-server");
	}

	boolean isTcp() {
		return this.role.startsWith(TCP_PREFIX);
	}

	boolean isRelay() {
		return this.role.equals(RELAY);
	}

	/** Whether this is a many-sessions load client ({@code sessions-client}, {@code tcp-sessions-client}). */
	boolean isSessionLoad() {
		return this.role.endsWith("sessions-client");
	}

	/** The role without its {@code tcp-} prefix. */
	String baseRole() {
		return isTcp() ? this.role.substring(TCP_PREFIX.length()) : this.role;
	}

	/** {@code host:port} as Go's {@code net.JoinHostPort} writes it. */
	static String joinHostPort(String host, int port) {
		return (host.indexOf(':') >= 0) ? "[" + host + "]:" + port : host + ":" + port;
	}

	/** The usage text of {@code --help}. */
	static String usage() {
		return String.join(System.lineSeparator(), "usage: kcp-tool ROLE [flags]", "",
				"KCP roles (wire protocols and output of the kcp-go test peer, so either can stand in for the other):",
				"  echo-server   --port P            echo every message (stream mode: the bytes) on each session",
				"  echo-client   --port P --count N --size S   send N messages, verify every echo byte for byte",
				"  sink-server   --port P            read length header + payload, reply with its SHA-256",
				"  source-client --port P --bytes N  send length header + payload, check the SHA-256 reply",
				"  source-server --port P            read length header, send payload, check the client's SHA-256",
				"  sink-client   --port P --bytes N  send length header, read and check payload, reply SHA-256",
				"  bulk-server   --port P            read length header + payload, reply one byte",
				"  bulk-client   --port P --bytes N  send length header + payload, wait for the byte; prints MB/s",
				"  rtt-client    --port P --count N --size S --interval-ms I   prints p50, p90, p99 and max RTT",
				"  connect-client --port P --count N --size S   opens N sessions one after another (each on a new",
				"                socket) against an echo-server; prints connect (the DTLS handshake with --dtls) and",
				"                first-echo times: median, p90, max (after --warmup W untimed sessions)",
				"  (bulk-client --warmup-bytes W and rtt-client --warmup W first run an untimed transfer of W bytes",
				"   or W messages on the same session, so that a JIT-compiled peer is measured in steady state;",
				"   rtt-client --jit-warmup J first sends up to J messages (at most 10 s) one after the other, each",
				"   when the last came back, unpaced and untimed: paced messages alone leave a JVM partly interpreted)",
				"TCP reference roles: tcp-echo-server, tcp-bulk-server, tcp-rtt-client, tcp-bulk-client ... (any role",
				"  above with the tcp- prefix runs the same protocol over TCP with TCP_NODELAY)",
				"Relay: relay --listen P --target HOST:PORT [--loss X] [--delay-ms D] [--jitter-ms J]",
				"  forwards UDP datagrams, dropping and delaying them both ways",
				"Many sessions: sessions-client --port P --sessions N --size S --interval-ms I [--warmup-seconds W]",
				"  [--ramp-seconds R] [--measure-seconds M] [--settle-seconds T] [--idle-measure-seconds D]",
				"  [--server-pid PID]",
				"  opens N sessions to an echo server, each sending one S-byte message every I ms (the sessions",
				"  start one after another over the first R seconds of the warm-up); prints the RTT",
				"  percentiles of the M measured seconds (after W seconds of warm-up) and, with --server-pid, the",
				"  server's CPU use; then holds the sessions idle: prints 'idle: N sessions open, settling T s', waits",
				"  T s and measures the server's idle CPU over D s. tcp-sessions-client does the same over TCP;",
				"  tcp-sessions-server is a TCP echo server on one selector thread, its reference server", "",
				"KCP knobs (defaults: fast mode, as the kcp-go peer):",
				"  --nodelay 0|1|2 (1)  --interval MS (10)  --resend N (2)  --nc 0|1 (1 = no congestion control)",
				"  --sndwnd N (1024)  --rcvwnd N (1024)  --mtu BYTES (1400)  --stream 0|1 (0 = message mode)",
				"  --crypto none|aes-cbc-hmac|aes-gcm --key K --salt S   (UTF-8 text, or hex:... / base64:... bytes)",
				"  --batch 0|1 (1)  --gso 0|1 (1)  --gro 0|1 (0)   native epoll: recvmmsg/sendmmsg, UDP GSO, UDP GRO",
				"DTLS 1.2 (certificates) instead of --crypto, KCP roles only:",
				"  --dtls --cert CERT.pem --key KEY.pem [--ca CA.pem] [--client-auth none|want|need] [--dtls-insecure]",
				"  PEM files: the certificate chain (leaf first), its unencrypted PKCS#8 key (BEGIN PRIVATE KEY), the",
				"  trusted certificates (default: the JDK's trust store). Servers need --cert/--key; clients send them",
				"  when the server asks, and verify the server's certificate and --host against it; --dtls-insecure",
				"  trusts any certificate (tests only)",
				"Other flags:",
				"  --host H (127.0.0.1)  address to bind (servers) or to connect to (clients)",
				"  --seconds S (0)  servers: exit after S seconds (0 = until stopped)",
				"  --timeout-seconds S (60)  clients: overall deadline",
				"  --idle-seconds S (30)  servers: close a session idle for S seconds",
				"  --count N (100)  --size S (1000)  --bytes N (1048576)  --interval-ms I (10)  --linger-ms M (300)",
				"  --watch-stdin 1  exit when standard input ends",
				"  --stats S  print counters to stderr: clients and server sessions at their end; servers also every",
				"    S seconds and at exit: sessions, evictions and dropped datagrams by reason ('server: ...')",
				"  --max-sessions-per-address N (256)  --new-sessions-per-address N (64 per second)  servers: the",
				"    limits per source address (0 = none; a load generator on one address needs 0)",
				"  --read-coalescing-us U (500)  servers: under the load of many clients, wait up to U microseconds",
				"    between two polls of the socket (fewer wake-ups, at most U more latency); 0 = off, at most 10000",
				"  --help  this text", "",
				"Servers print 'listening on HOST:PORT' once bound. Clients exit 0 on success, 1 on a verification",
				"failure or timeout; servers exit 1 if the server failed (an Error on its event loop); usage errors",
				"exit 2.");
	}

	@Override
	public String toString() {
		return String.format(Locale.ROOT, "%s --host %s --port %d", this.role, this.host, this.port);
	}

}
