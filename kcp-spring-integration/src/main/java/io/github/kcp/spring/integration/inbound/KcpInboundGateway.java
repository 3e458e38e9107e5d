package io.github.kcp.spring.integration.inbound;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.envelope.KcpEnvelopeFormatException;
import io.github.kcp.spring.envelope.KcpFrameType;
import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.KcpMessageMapper;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpHeaders;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.jspecify.annotations.Nullable;

import org.springframework.integration.gateway.MessagingGatewaySupport;
import org.springframework.messaging.Message;

/**
 * The inbound gateway of KCP: each message a KCP server receives is a request sent to the request channel, and the
 * reply of the flow goes back to the session the request came from (the counterpart of spring-integration-ip's
 * {@code TcpInboundGateway}).
 * <p>
 * <b>Raw messages</b> carry no correlation id, so the replies of one session leave in the order of its requests
 * (one request of a session at a time reaches the flow); a request the flow does not answer (it failed, with no
 * error channel, or its reply timed out) gets no reply, which a raw requester matching replies in order cannot tell
 * &mdash; see the README's note on raw correlation.
 * <p>
 * <b>With the messaging envelope</b> a request's reply carries its correlation id and route; a request the flow
 * fails on, or does not answer within the reply timeout, gets an error frame (code {@code HANDLER_FAILED}, the
 * exception's type and message), so the requester's future fails at once instead of at its own timeout. One-way
 * frames go to the request channel with no reply expected.
 * <p>
 * With an error channel the error flow's reply is sent as the reply (the gateway's usual behaviour). Lifecycle as
 * {@link KcpReceivingChannelAdapter}: stopping stops the server gracefully, and every request it had acknowledged
 * is still answered.
 */
public class KcpInboundGateway extends MessagingGatewaySupport {

	private final KcpInboundServer server;

	private final LongAdder malformedMessages = new LongAdder();

	private final LongAdder ignoredFrames = new LongAdder();

	private final LongAdder unanswered = new LongAdder();

	private long replyTimeoutMillis = 30_000;

	/**
	 * A gateway with a KCP server of its own on {@code port}, set up from its {@link #getSettings() settings} and the
	 * {@link io.github.kcp.spring.integration.KcpIntegrationDefaults}.
	 * @param port the UDP port; 0 picks a free one (see {@link #getPort()})
	 */
	public KcpInboundGateway(int port) {
		this.server = new KcpInboundServer(port);
	}

	/**
	 * A gateway for a server set up elsewhere.
	 * @param container the server; the gateway becomes its message listener
	 */
	public KcpInboundGateway(KcpServerContainer container) {
		this.server = new KcpInboundServer(container);
	}

	/**
	 * The settings of the gateway's own server; leave them for a container given to the constructor.
	 * @return the settings, to set before the gateway initializes
	 */
	public KcpEndpointSettings getSettings() {
		return this.server.settings();
	}

	/**
	 * Sets the local address the gateway's own server binds.
	 * @param localAddress a host name or address; default all interfaces
	 */
	public void setLocalAddress(String localAddress) {
		this.server.setLocalAddress(localAddress);
	}

	/**
	 * Sets how long the graceful stop of the gateway's own server may take.
	 * @param shutdownTimeout default from the defaults (10 s)
	 */
	public void setShutdownTimeout(Duration shutdownTimeout) {
		this.server.setShutdownTimeout(shutdownTimeout);
	}

	@Override
	public void setReplyTimeout(long replyTimeout) {
		super.setReplyTimeout(replyTimeout);
		this.replyTimeoutMillis = replyTimeout;
	}

	/** The server: the one given, or the gateway's own once initialized. */
	public KcpServerContainer getServer() {
		return this.server.container();
	}

	/** The bound UDP port, -1 while not running. */
	public int getPort() {
		return this.server.port();
	}

	/** Received bytes that were not a valid envelope frame, dropped. */
	public long getMalformedMessages() {
		return this.malformedMessages.sum();
	}

	/** Received frames of a type a server does not take (replies, errors, pushes), dropped. */
	public long getIgnoredFrames() {
		return this.ignoredFrames.sum();
	}

	/** Requests that got no reply: the flow failed (no error channel) or did not answer in time. */
	public long getUnansweredRequests() {
		return this.unanswered.sum();
	}

	@Override
	public String getComponentType() {
		return "kcp:inbound-gateway";
	}

	@Override
	protected void onInit() {
		super.onInit();
		this.server.initialize(getBeanFactory(), getApplicationContext(), this::received, getComponentName());
	}

	@Override
	protected void doStart() {
		super.doStart();
		this.server.start();
	}

	@Override
	protected void doStop(Runnable callback) {
		this.server.stop(() -> {
			try {
				super.doStop();
			}
			finally {
				callback.run();
			}
		});
	}

	@Override
	protected void doStop() {
		this.server.stopAndWait();
		super.doStop();
	}

	@Override
	public void destroy() {
		super.destroy();
		this.server.destroy();
	}

	private @Nullable CompletionStage<?> received(KcpSession session, byte[] bytes) {
		KcpMessageMapper mapper = this.server.mapper();
		Message<byte[]> request;
		try {
			request = mapper.toMessage(session, bytes, KcpMessageMapper.SERVER_SIDE_FRAMES);
		}
		catch (KcpEnvelopeFormatException ex) {
			this.malformedMessages.increment();
			logger.debug(() -> "Dropped " + bytes.length + " bytes from KCP session " + KcpHeaders.sessionId(session)
					+ ": " + ex.getMessage());
			return null;
		}
		if (request == null) {
			this.ignoredFrames.increment();
			logger.debug(() -> "Dropped a frame from KCP session " + KcpHeaders.sessionId(session)
					+ " of a type a server does not take");
			return null;
		}
		boolean envelope = mapper.getFormat() == KcpMessageFormat.ENVELOPE;
		if (envelope && !KcpMessageMapper.isRequest(request)) {
			send(request);
			return null;
		}
		int correlationId = KcpMessageMapper.correlationIdOf(request);
		String route = KcpMessageMapper.routeOf(request);
		Message<?> reply;
		try {
			reply = sendAndReceiveMessage(request);
		}
		catch (RuntimeException ex) {
			return unanswered(session, envelope, correlationId, route, ex, null);
		}
		if (reply == null) {
			return unanswered(session, envelope, correlationId, route, null,
					"No reply within " + this.replyTimeoutMillis + " ms");
		}
		if (reply.getPayload() instanceof Throwable failure) {
			return unanswered(session, envelope, correlationId, route, failure, null);
		}
		byte[] answer;
		try {
			answer = mapper.toBytes(reply, KcpFrameType.REPLY, correlationId, envelope ? route : null);
		}
		catch (RuntimeException ex) {
			return unanswered(session, envelope, correlationId, route, ex, null);
		}
		return session.send(answer);
	}

	private @Nullable CompletableFuture<Void> unanswered(KcpSession session, boolean envelope, int correlationId,
			String route, @Nullable Throwable failure, @Nullable String why) {
		this.unanswered.increment();
		if (failure != null) {
			logger.warn(failure, () -> getComponentName() + " could not answer a request from KCP session "
					+ KcpHeaders.sessionId(session) + (envelope ? "; an error frame is sent" : "; no reply is sent"));
		}
		else {
			logger.warn(() -> getComponentName() + " could not answer a request from KCP session "
					+ KcpHeaders.sessionId(session) + ": " + why + (envelope ? "; an error frame is sent" : ""));
		}
		if (!envelope) {
			return null;
		}
		byte[] error = (failure != null) ? KcpMessageMapper.errorFrame(correlationId, route, failure)
				: KcpMessageMapper.noReplyFrame(correlationId, route, String.valueOf(why));
		return session.send(error);
	}

	@Override
	public String toString() {
		return "KcpInboundGateway [" + getComponentName() + ", " + this.server + "]";
	}

}
