package io.github.kcp.spring.listener;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.core.transport.KcpSessionClosedException;
import io.github.kcp.spring.envelope.KcpEnvelope;
import io.github.kcp.spring.envelope.KcpEnvelopeCodec;
import io.github.kcp.spring.envelope.KcpFrameType;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.messaging.converter.MessageConverter;

/**
 * The open sessions of a {@link KcpServerContainer}, and the way to push messages to them from any bean: to one
 * session, to all, or to those a filter picks. A push is converted like a handler's reply; with the messaging
 * envelope it goes as a {@link KcpFrameType#PUSH} frame with a route, which clients never take for a reply.
 * <p>
 * Sessions appear here when they open and disappear when they close. Each has
 * {@linkplain KcpSession#attributes() attributes} for the application's own use (for example who the peer is, set
 * by a handler), which filters can read.
 *
 * <pre class="code">
 * int told = registry.broadcast("price.tick", tick, (session) -&gt; "desk".equals(session.attributes().get("role")));
 * </pre>
 * <p>
 * Thread-safe.
 */
public class KcpSessionRegistry {

	private static final Logger logger = LoggerFactory.getLogger(KcpSessionRegistry.class);

	private final Map<String, KcpSession> sessions = new ConcurrentHashMap<>();

	private final Supplier<KcpMessageFormat> format;

	private final MessageConverter converter;

	KcpSessionRegistry(Supplier<KcpMessageFormat> format, MessageConverter converter) {
		this.format = format;
		this.converter = converter;
	}

	void add(KcpSession session) {
		this.sessions.put(KcpHeaders.sessionId(session), session);
	}

	void remove(KcpSession session) {
		this.sessions.remove(KcpHeaders.sessionId(session), session);
	}

	/** The open sessions, a snapshot. */
	public Collection<KcpSession> getSessions() {
		return List.copyOf(this.sessions.values());
	}

	/** How many sessions are open. */
	public int getSessionCount() {
		return this.sessions.size();
	}

	/**
	 * The open session with an id.
	 * @param sessionId the session's {@link KcpHeaders#sessionId(KcpSession) id} (header {@link KcpHeaders#SESSION_ID})
	 * @return the session, or {@code null} if none is open with that id
	 */
	public @Nullable KcpSession getSession(String sessionId) {
		return this.sessions.get(sessionId);
	}

	/**
	 * Pushes a message to one session.
	 * @param session the session
	 * @param route the route (with the messaging envelope), or {@code null} for none
	 * @param payload the message, converted like a handler's reply
	 * @return a future completed when the peer has acknowledged it
	 * @throws IllegalArgumentException if a route is given for raw messages, or the payload cannot be converted
	 */
	public CompletableFuture<Void> send(KcpSession session, @Nullable String route, Object payload) {
		return session.send(encode(route, payload));
	}

	/**
	 * Pushes a message to the session with an id.
	 * @param sessionId the session's id (header {@link KcpHeaders#SESSION_ID})
	 * @param route the route (with the messaging envelope), or {@code null} for none
	 * @param payload the message
	 * @return a future completed when the peer has acknowledged it; failed with a
	 * {@link KcpSessionClosedException} if no session with that id is open
	 */
	public CompletableFuture<Void> send(String sessionId, @Nullable String route, Object payload) {
		KcpSession session = getSession(sessionId);
		if (session == null) {
			return CompletableFuture.failedFuture(
					new KcpSessionClosedException("No open KCP session with id " + sessionId, null));
		}
		return send(session, route, payload);
	}

	/**
	 * Pushes a message to every open session.
	 * @param route the route (with the messaging envelope), or {@code null} for none
	 * @param payload the message, converted once
	 * @return how many sessions it was sent to
	 */
	public int broadcast(@Nullable String route, Object payload) {
		return broadcast(route, payload, (session) -> true);
	}

	/**
	 * Pushes a message to the open sessions a filter picks. A session that cannot take it (closing, send buffer
	 * full) is skipped and logged at debug level.
	 * @param route the route (with the messaging envelope), or {@code null} for none
	 * @param payload the message, converted once
	 * @param filter picks the sessions
	 * @return how many sessions it was sent to
	 */
	public int broadcast(@Nullable String route, Object payload, Predicate<KcpSession> filter) {
		Objects.requireNonNull(filter, "filter");
		byte[] bytes = encode(route, payload);
		List<KcpSession> targets = new ArrayList<>();
		for (KcpSession session : this.sessions.values()) {
			if (filter.test(session)) {
				targets.add(session);
			}
		}
		int sent = 0;
		for (KcpSession session : targets) {
			CompletableFuture<Void> acknowledged = session.send(bytes);
			if (acknowledged.isCompletedExceptionally()) {
				logger.debug("Broadcast skipped session {}: it cannot take the message now",
						KcpHeaders.sessionId(session));
				continue;
			}
			sent++;
		}
		return sent;
	}

	private byte[] encode(@Nullable String route, Object payload) {
		Objects.requireNonNull(payload, "payload");
		KcpMessageFormat current = this.format.get();
		if (current == KcpMessageFormat.RAW) {
			if (route != null && !route.isEmpty()) {
				throw new IllegalArgumentException("A push with route '" + route + "' needs the messaging envelope; "
						+ "this server sends raw messages (message format " + current + ")");
			}
			return KcpMessageConverters.toBytes(this.converter, payload);
		}
		KcpMessageConverters.Serialized serialized = KcpMessageConverters.serialize(this.converter, payload);
		return KcpEnvelopeCodec.encode(new KcpEnvelope(KcpFrameType.PUSH, 0, (route != null) ? route : "",
				serialized.contentType(), serialized.headers(), serialized.bytes()));
	}

	@Override
	public String toString() {
		return "KcpSessionRegistry [" + this.sessions.size() + " session(s)]";
	}

}
