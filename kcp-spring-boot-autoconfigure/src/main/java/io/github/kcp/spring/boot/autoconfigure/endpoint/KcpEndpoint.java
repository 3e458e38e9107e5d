package io.github.kcp.spring.boot.autoconfigure.endpoint;

import java.net.InetSocketAddress;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.kcp.core.connection.DropReason;
import io.github.kcp.core.connection.KcpConfig;
import io.github.kcp.core.connection.KcpSetting;
import io.github.kcp.core.connection.KcpSettings;
import io.github.kcp.core.connection.KcpSessionStats;
import io.github.kcp.core.crypto.PacketCipher;
import io.github.kcp.core.dtls.DtlsSettings;
import io.github.kcp.core.transport.KcpSecurityInfo;
import io.github.kcp.core.transport.KcpServer;
import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpSessionStatsReader;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code kcp} actuator endpoint ({@code /actuator/kcp}): each KCP server with its state, its effective settings
 * (protocol settings, limits, the packet cipher's name or the DTLS settings; never a key, a salt or a certificate's
 * private key), its counters and its live sessions with their statistics and protection (for DTLS: the protocol,
 * cipher suite and the peer's certificate subject); and each template with its settings. At most {@value #MAX_SESSIONS} sessions are listed
 * per server, the longest-lived first; {@code sessionCount} gives them all.
 */
@Endpoint(id = "kcp")
public class KcpEndpoint {

	/** The most sessions listed per server. */
	public static final int MAX_SESSIONS = 200;

	private static final Duration STATS_TIMEOUT = Duration.ofSeconds(2);

	private final ObjectProvider<KcpServerContainer> containers;

	private final ObjectProvider<KcpTemplate> templates;

	/**
	 * @param containers the server containers
	 * @param templates the templates
	 */
	public KcpEndpoint(ObjectProvider<KcpServerContainer> containers, ObjectProvider<KcpTemplate> templates) {
		this.containers = containers;
		this.templates = templates;
	}

	/**
	 * The servers and templates.
	 * @return their description
	 */
	@ReadOperation
	public KcpDescriptor kcp() {
		List<ServerDescriptor> servers = this.containers.orderedStream().map(this::describe).toList();
		List<TemplateDescriptor> templates = this.templates.orderedStream().map(KcpEndpoint::describe).toList();
		return new KcpDescriptor(servers, templates);
	}

	private ServerDescriptor describe(KcpServerContainer container) {
		KcpServer server = container.getServer();
		String state = (server == null) ? (container.isRunning() ? "starting" : "not running")
				: container.isStopping() ? "stopping"
						: (server.isClosing() || server.closeFuture().isDone()) ? "closed unexpectedly" : "serving";
		Map<String, Object> limits = new LinkedHashMap<>();
		limits.put("maxSessions", container.getMaxSessions());
		limits.put("newSessionsPerSecond", container.getNewSessionsPerSecond());
		limits.put("closedSessionMemory", duration(container.getClosedSessionMemory()));
		limits.put("shutdownTimeout", duration(container.getShutdownTimeout()));
		Map<String, Long> dropped = new LinkedHashMap<>();
		for (DropReason reason : DropReason.values()) {
			dropped.put(reason.name(), container.getDroppedDatagrams(reason));
		}
		Map<String, Long> dtls = new LinkedHashMap<>();
		if (container.getDtlsSettings() != null) {
			dtls.put("handshakesCompleted", container.getDtlsHandshakesCompleted());
			dtls.put("handshakesFailed", container.getDtlsHandshakesFailed());
			dtls.put("cookiesSent", container.getDtlsCookiesSent());
		}
		CountersDescriptor counters = new CountersDescriptor(container.getReceivedMessages(),
				container.getHandlerFailures(), container.getUnroutedMessages(), container.getMalformedMessages(),
				container.getReplyFailures(), container.getHandlerExecutorStalls(), container.getRefusedSessions(),
				container.getInFlightMessages(), dropped, dtls);
		Collection<KcpSession> live = (server != null) ? server.sessions() : List.of();
		List<SessionDescriptor> sessions = describe(live, cipherName(container.getPacketCipher()));
		return new ServerDescriptor(container.getName(), state, container.getMessageFormat().name(),
				(server != null) ? address(server.localAddress()) : null, address(container.getBindAddress()),
				cipherName(container.getPacketCipher()), DtlsDescriptor.of(container.getDtlsSettings()),
				settings(container.getConfig()), limits, counters, live.size(), sessions);
	}

	private static List<SessionDescriptor> describe(Collection<KcpSession> live, String cipher) {
		List<KcpSession> oldestFirst = new ArrayList<>(live);
		oldestFirst.sort((a, b) -> openedAt(a).compareTo(openedAt(b)));
		List<KcpSession> listed = oldestFirst.subList(0, Math.min(MAX_SESSIONS, oldestFirst.size()));
		Instant now = Instant.now();
		List<SessionDescriptor> sessions = new ArrayList<>();
		KcpSessionStatsReader.read(listed, STATS_TIMEOUT).forEach((session, stats) -> sessions.add(
				SessionDescriptor.of(session, stats, Duration.between(openedAt(session), now), cipher)));
		return sessions;
	}

	private static Instant openedAt(KcpSession session) {
		Object openedAt = session.attributes().get(KcpServerContainer.OPENED_AT_ATTRIBUTE);
		return (openedAt instanceof Instant instant) ? instant : Instant.EPOCH;
	}

	private static TemplateDescriptor describe(KcpTemplate template) {
		InetSocketAddress target;
		try {
			target = template.getDefaultTarget();
		}
		catch (RuntimeException ex) {
			target = null;
		}
		return new TemplateDescriptor(template.getName(), template.getMessageFormat().name(),
				(target != null) ? address(target) : null, cipherName(template.getPacketCipher()),
				DtlsDescriptor.of(template.getDtlsSettings()), duration(template.getReplyTimeout()),
				settings(template.getConfig()));
	}

	/** The protocol settings by their names in the core's catalogue; durations as {@code 600s}. */
	static Map<String, Object> settings(KcpConfig config) {
		Map<String, Object> settings = new LinkedHashMap<>();
		for (KcpSetting<?> setting : KcpSettings.of(KcpSetting.Scope.SESSION)) {
			Object value = config.get(setting);
			settings.put(setting.name(), (value instanceof Duration duration) ? duration(duration) : value);
		}
		return settings;
	}

	/** A duration as a property value: {@code 600s}, or {@code 100ms} when not whole seconds. */
	static String duration(Duration duration) {
		return (duration.toMillis() % 1000 == 0) ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
	}

	private static String cipherName(@Nullable PacketCipher cipher) {
		return (cipher != null) ? cipher.name() : PacketCipher.NONE.name();
	}

	private static String address(InetSocketAddress address) {
		return address.getHostString() + ":" + address.getPort();
	}

	/**
	 * What the endpoint shows.
	 *
	 * @param servers the servers
	 * @param templates the templates
	 */
	public record KcpDescriptor(List<ServerDescriptor> servers, List<TemplateDescriptor> templates) {
	}

	/**
	 * One server.
	 *
	 * @param name its id, {@code default} for the default server
	 * @param state {@code serving}, {@code stopping}, {@code closed unexpectedly}, {@code starting} or
	 * {@code not running}
	 * @param messageFormat {@code RAW} or {@code ENVELOPE}
	 * @param address the bound address, {@code null} when not running
	 * @param bindAddress the configured address
	 * @param packetCipher the packet cipher's name ({@code none}, {@code aes-gcm}, {@code aes-cbc-hmac}, ...)
	 * @param dtls what new DTLS handshakes use, {@code null} without DTLS
	 * @param settings the sessions' protocol settings
	 * @param limits the server's limits
	 * @param counters the server's counters (totals over its restarts)
	 * @param sessionCount the open sessions
	 * @param sessions up to {@value KcpEndpoint#MAX_SESSIONS} of them, the longest-lived first
	 */
	public record ServerDescriptor(String name, String state, String messageFormat, @Nullable String address,
			String bindAddress, String packetCipher, @Nullable DtlsDescriptor dtls, Map<String, Object> settings,
			Map<String, Object> limits,
			CountersDescriptor counters, int sessionCount, List<SessionDescriptor> sessions) {
	}

	/**
	 * A server's counters.
	 *
	 * @param receivedMessages messages its sessions delivered
	 * @param handlerFailures failed handler invocations
	 * @param unroutedMessages messages no handler takes
	 * @param malformedMessages unreadable frames
	 * @param replyFailures replies that could not be converted or sent
	 * @param handlerExecutorStalls times the handler executor refused work
	 * @param refusedSessions sessions refused while stopping
	 * @param messagesInProgress messages received and not yet handled and replied to
	 * @param droppedDatagrams dropped datagrams by reason
	 * @param dtls with DTLS: {@code handshakesCompleted}, {@code handshakesFailed} and {@code cookiesSent}; empty
	 * without
	 */
	public record CountersDescriptor(long receivedMessages, long handlerFailures, long unroutedMessages,
			long malformedMessages, long replyFailures, long handlerExecutorStalls, long refusedSessions,
			int messagesInProgress, Map<String, Long> droppedDatagrams, Map<String, Long> dtls) {
	}

	/**
	 * One live session.
	 *
	 * @param id {@code host:port/conv}, as the {@code kcp_sessionId} header
	 * @param remoteAddress the peer's address
	 * @param conv the conversation id (unsigned)
	 * @param ageMillis how long it has been open
	 * @param srttMillis the smoothed round-trip time
	 * @param rttVariationMillis the round-trip time variation
	 * @param rtoMillis the retransmission timeout
	 * @param congestionWindow the congestion window in segments
	 * @param remoteWindow the peer's receive window in segments
	 * @param inFlight segments sent and not yet acknowledged
	 * @param sendBufferedBytes bytes sent and not yet acknowledged
	 * @param retransmissions retransmitted segments by kind ({@code timeout}, {@code fast}, {@code early})
	 * @param duplicateSegments data segments received more than once
	 * @param messagesIn messages received
	 * @param messagesOut messages sent
	 * @param bytesIn bytes received on the wire
	 * @param bytesOut bytes sent on the wire
	 * @param droppedDatagrams datagrams of the session dropped
	 * @param security how its datagrams are protected
	 */
	public record SessionDescriptor(String id, String remoteAddress, long conv, long ageMillis, int srttMillis,
			int rttVariationMillis, int rtoMillis, int congestionWindow, int remoteWindow, int inFlight,
			long sendBufferedBytes, Map<String, Long> retransmissions, long duplicateSegments, long messagesIn,
			long messagesOut, long bytesIn, long bytesOut, long droppedDatagrams, SecurityDescriptor security) {

		static SessionDescriptor of(KcpSession session, KcpSessionStats stats, Duration age, String cipher) {
			Map<String, Long> retransmissions = new LinkedHashMap<>();
			retransmissions.put("timeout", stats.timeoutRetransmissions());
			retransmissions.put("fast", stats.fastRetransmissions());
			retransmissions.put("early", stats.earlyRetransmissions());
			retransmissions.put("probe", stats.tailProbes());
			return new SessionDescriptor(KcpHeaders.sessionId(session), address(session.remoteAddress()),
					Integer.toUnsignedLong(session.conv()), age.toMillis(), stats.srtt(), stats.rttVariation(),
					stats.rto(), stats.congestionWindow(), stats.remoteWindow(), stats.inFlight(),
					stats.sendBufferedBytes(), retransmissions, stats.duplicateSegments(), stats.messagesIn(),
					stats.messagesOut(), stats.bytesIn(), stats.bytesOut(), stats.droppedDatagrams(),
					SecurityDescriptor.of(session, cipher));
		}

	}

	/**
	 * How a session's datagrams are protected: the packet cipher shared by the server's sessions, or what the
	 * session's own DTLS handshake negotiated and who the peer proved to be. Never key material.
	 *
	 * @param packetCipher the packet cipher's name ({@code none} for plaintext and for DTLS)
	 * @param dtls whether the session is secured with DTLS
	 * @param protocol the DTLS version negotiated, such as {@code DTLSv1.2}; {@code null} without DTLS
	 * @param cipherSuite the cipher suite negotiated; {@code null} without DTLS
	 * @param peer the subject of the peer's certificate, such as {@code CN=desk-7,O=Example}; {@code null} without
	 * DTLS or when the peer sent no certificate
	 */
	public record SecurityDescriptor(String packetCipher, boolean dtls, @Nullable String protocol,
			@Nullable String cipherSuite, @Nullable String peer) {

		static SecurityDescriptor of(KcpSession session, String packetCipher) {
			KcpSecurityInfo info = session.securityInfo();
			if (info == null) {
				return new SecurityDescriptor(packetCipher, false, null, null, null);
			}
			Principal peer = info.peerPrincipal();
			return new SecurityDescriptor(packetCipher, true, info.protocol(), info.cipherSuite(),
					(peer != null) ? peer.getName() : null);
		}

	}

	/**
	 * The DTLS settings a server or template uses for new handshakes (they change when the SSL bundle is
	 * reloaded). Never key material.
	 *
	 * @param clientAuth whether a server asks clients for a certificate: {@code NONE}, {@code WANT} or
	 * {@code NEED}
	 * @param verifyHostname whether a client checks that the server's certificate names the host
	 * @param cipherSuites the suites offered or accepted, most preferred first
	 * @param handshakeTimeout how long a handshake may take
	 * @param retransmitTimeout the first retransmission timeout of a handshake flight
	 * @param maxDatagramSize the largest DTLS datagram
	 */
	public record DtlsDescriptor(String clientAuth, boolean verifyHostname, List<String> cipherSuites,
			String handshakeTimeout, String retransmitTimeout, int maxDatagramSize) {

		static @Nullable DtlsDescriptor of(@Nullable DtlsSettings settings) {
			if (settings == null) {
				return null;
			}
			return new DtlsDescriptor(settings.clientAuth().name(), settings.verifyHostname(),
					settings.cipherSuites(), duration(Duration.ofMillis(settings.handshakeTimeoutMillis())),
					duration(Duration.ofMillis(settings.initialRetransmitTimeoutMillis())), settings.maxDatagramSize());
		}

	}

	/**
	 * One template.
	 *
	 * @param name its bean name
	 * @param messageFormat {@code RAW} or {@code ENVELOPE}
	 * @param defaultTarget where calls without a target go, {@code null} if none is set
	 * @param packetCipher the packet cipher's name
	 * @param dtls what new DTLS sessions use, {@code null} without DTLS
	 * @param replyTimeout how long requests wait by default
	 * @param settings its sessions' protocol settings
	 */
	public record TemplateDescriptor(String name, String messageFormat, @Nullable String defaultTarget,
			String packetCipher, @Nullable DtlsDescriptor dtls, String replyTimeout, Map<String, Object> settings) {
	}

}
