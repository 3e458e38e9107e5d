package io.github.kcp.spring.integration.outbound;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.envelope.KcpFrameType;
import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.KcpIntegrationHeaders;
import io.github.kcp.spring.integration.KcpMessageMapper;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.integration.handler.AbstractMessageHandler;
import org.springframework.integration.support.management.ManageableSmartLifecycle;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHandlingException;

/**
 * The outbound channel adapter of KCP (the counterpart of spring-integration-ip's {@code TcpSendingMessageHandler}),
 * in one of two roles:
 * <ul>
 * <li><b>to a peer</b> ({@code host}, {@code port}, or a target per message): sends each message on a session of
 * a {@link KcpTemplate} (the endpoint's own, built from its settings when it starts, or one given); with the
 * messaging envelope as a one-way frame with the route of the {@link KcpIntegrationHeaders#ROUTE} header or of the
 * {@link #setRouteFunction route function};</li>
 * <li><b>back to a session</b> of a server (a {@link KcpServerContainer} shared with an inbound endpoint): sends each
 * message to the open session named by its {@link KcpIntegrationHeaders#SESSION_ID} header, which a message from an
 * inbound endpoint carries. With the envelope, a message answering a request (it still has the request's
 * {@link KcpIntegrationHeaders#CORRELATION_ID} and {@link KcpIntegrationHeaders#FRAME_TYPE}) goes as the reply the
 * requester waits for; any other as a push. A message naming no open session fails.</li>
 * </ul>
 * Payloads that are not bytes are converted (text in UTF-8, objects as JSON). By default a send returns once the
 * message is queued on the session (it fails at once when the session's send buffer is full); with
 * {@link #setWaitForAcknowledgement} it returns once the peer has acknowledged it. Failures go to the caller, that
 * is to the flow's error channel.
 */
public class KcpSendingMessageHandler extends AbstractMessageHandler implements ManageableSmartLifecycle {

	private final @Nullable KcpOutboundClient client;

	private final @Nullable Supplier<KcpServerContainer> server;

	private @Nullable Function<Message<?>, @Nullable String> routeFunction;

	private boolean waitForAcknowledgement;

	private Duration acknowledgementTimeout = Duration.ofSeconds(10);

	private int phase = SmartLifecycle.DEFAULT_PHASE;

	private boolean autoStartup = true;

	private volatile boolean running;

	private volatile @Nullable KcpMessageMapper serverMapper;

	/**
	 * An adapter sending to {@code host:port} through a template of its own.
	 * @param host the peer's host
	 * @param port the peer's UDP port
	 */
	public KcpSendingMessageHandler(String host, int port) {
		this(new KcpOutboundClient(host, port, null), null);
	}

	/**
	 * An adapter sending to {@code host:port} through a template set up elsewhere.
	 * @param host the peer's host
	 * @param port the peer's UDP port
	 * @param template the template (not destroyed by the adapter)
	 */
	public KcpSendingMessageHandler(String host, int port, KcpTemplate template) {
		this(new KcpOutboundClient(host, port, Objects.requireNonNull(template, "template")), null);
	}

	/**
	 * An adapter sending each message to the address a function picks.
	 * @param target picks the peer of each message
	 * @param template the template, or {@code null} for one of the adapter's own
	 */
	public KcpSendingMessageHandler(Function<Message<?>, InetSocketAddress> target, @Nullable KcpTemplate template) {
		this(new KcpOutboundClient(target, template), null);
	}

	/**
	 * An adapter sending each message back to the session of {@code server} its
	 * {@link KcpIntegrationHeaders#SESSION_ID} header names.
	 * @param server the server the sessions belong to
	 */
	public KcpSendingMessageHandler(KcpServerContainer server) {
		this(null, supplier(Objects.requireNonNull(server, "server")));
	}

	/**
	 * An adapter sending each message back to the session its {@link KcpIntegrationHeaders#SESSION_ID} header names,
	 * on a server known only once another endpoint has built it (an inbound endpoint's own server).
	 * @param server supplies the server when the first message is sent
	 */
	public KcpSendingMessageHandler(Supplier<KcpServerContainer> server) {
		this(null, Objects.requireNonNull(server, "server"));
	}

	private static Supplier<KcpServerContainer> supplier(KcpServerContainer server) {
		return () -> server;
	}

	private KcpSendingMessageHandler(@Nullable KcpOutboundClient client,
			@Nullable Supplier<KcpServerContainer> server) {
		this.client = client;
		this.server = server;
	}

	/**
	 * The settings of the adapter's own template (role "to a peer" without a template given).
	 * @return the settings, to set before the adapter starts
	 * @throws IllegalStateException for the role "back to a session", whose settings are the server's
	 */
	public KcpEndpointSettings getSettings() {
		if (this.client == null) {
			throw new IllegalStateException("An adapter answering the sessions of a server uses that server's "
					+ "settings");
		}
		return this.client.settings();
	}

	/**
	 * Sets the route of each message (messaging envelope).
	 * @param routeFunction the route of a message, {@code null} for none; default the
	 * {@link KcpIntegrationHeaders#ROUTE} header
	 */
	public void setRouteFunction(Function<Message<?>, @Nullable String> routeFunction) {
		this.routeFunction = routeFunction;
	}

	/**
	 * Sets whether a send waits until the peer has acknowledged the message (one round trip per message per
	 * sending thread, and back-pressure when the peer is slow) rather than until it is queued.
	 * @param waitForAcknowledgement default false
	 */
	public void setWaitForAcknowledgement(boolean waitForAcknowledgement) {
		this.waitForAcknowledgement = waitForAcknowledgement;
	}

	/**
	 * Sets how long a send waits for the acknowledgement (with {@link #setWaitForAcknowledgement}).
	 * @param acknowledgementTimeout default 10 s
	 */
	public void setAcknowledgementTimeout(Duration acknowledgementTimeout) {
		this.acknowledgementTimeout = Objects.requireNonNull(acknowledgementTimeout, "acknowledgementTimeout");
	}

	/**
	 * Sets the lifecycle phase.
	 * @param phase default {@link SmartLifecycle#DEFAULT_PHASE}
	 */
	public void setPhase(int phase) {
		this.phase = phase;
	}

	/**
	 * Sets whether the adapter starts with the context.
	 * @param autoStartup default true
	 */
	public void setAutoStartup(boolean autoStartup) {
		this.autoStartup = autoStartup;
	}

	@Override
	public String getComponentType() {
		return "kcp:outbound-channel-adapter";
	}

	@Override
	protected void onInit() {
		super.onInit();
		if (this.client != null) {
			this.client.initialize(getBeanFactory(), getApplicationContext());
		}
	}

	@Override
	public void start() {
		if (this.client != null) {
			this.client.start();
		}
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		if (this.client != null) {
			this.client.stop();
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return this.phase;
	}

	@Override
	public boolean isAutoStartup() {
		return this.autoStartup;
	}

	@Override
	protected void handleMessageInternal(Message<?> message) {
		if (!this.running) {
			throw new MessageHandlingException(message, getComponentName() + " is stopped");
		}
		CompletableFuture<Void> sent = (this.server != null) ? sendToSession(this.server.get(), message)
				: sendToPeer(Objects.requireNonNull(this.client), message);
		if (sent.isCompletedExceptionally() || this.waitForAcknowledgement) {
			await(message, sent);
		}
		else {
			sent.whenComplete((ignored, failure) -> {
				if (failure != null) {
					logger.debug(failure, () -> "A message " + getComponentName() + " sent was not acknowledged");
				}
			});
		}
	}

	private CompletableFuture<Void> sendToPeer(KcpOutboundClient peer, Message<?> message) {
		KcpTemplate template = peer.template();
		InetSocketAddress target = peer.target(message);
		if (template.getMessageFormat() == KcpMessageFormat.RAW) {
			return template.send(target, null, message.getPayload());
		}
		return template.send(target, route(message), message);
	}

	private CompletableFuture<Void> sendToSession(KcpServerContainer container, Message<?> message) {
		Object sessionId = message.getHeaders().get(KcpIntegrationHeaders.SESSION_ID);
		if (!(sessionId instanceof String id)) {
			throw new MessageHandlingException(message, getComponentName() + " answers the sessions of " + container
					+ " and needs the header " + KcpIntegrationHeaders.SESSION_ID + " naming one");
		}
		KcpSession session = container.getSessionRegistry().getSession(id);
		if (session == null) {
			throw new MessageHandlingException(message, "No open KCP session '" + id + "' on " + container
					+ " (it closed, or the message came from another server)");
		}
		KcpMessageMapper mapper = serverMapper(container);
		byte[] bytes;
		if (mapper.getFormat() == KcpMessageFormat.RAW) {
			bytes = mapper.toRawBytes(message);
		}
		else if (KcpMessageMapper.isRequest(message)) {
			bytes = mapper.toBytes(message, KcpFrameType.REPLY, KcpMessageMapper.correlationIdOf(message),
					KcpMessageMapper.routeOf(message));
		}
		else {
			bytes = mapper.toBytes(message, KcpFrameType.PUSH, 0, route(message));
		}
		return session.send(bytes);
	}

	private KcpMessageMapper serverMapper(KcpServerContainer container) {
		KcpMessageMapper mapper = this.serverMapper;
		if (mapper == null || mapper.getFormat() != container.getMessageFormat()) {
			mapper = new KcpMessageMapper(container.getMessageFormat(),
					KcpOutboundClient.defaults(getBeanFactory()).messageConverter());
			this.serverMapper = mapper;
		}
		return mapper;
	}

	private @Nullable String route(Message<?> message) {
		if (this.routeFunction != null) {
			return this.routeFunction.apply(message);
		}
		Object route = message.getHeaders().get(KcpIntegrationHeaders.ROUTE);
		return (route instanceof String text && !text.isEmpty()) ? text : null;
	}

	private void await(Message<?> message, CompletableFuture<Void> sent) {
		try {
			sent.get(this.acknowledgementTimeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (ExecutionException ex) {
			throw new MessageHandlingException(message,
					getComponentName() + " could not send the message: " + ex.getCause().getMessage(), ex.getCause());
		}
		catch (TimeoutException ex) {
			throw new MessageHandlingException(message, getComponentName() + " sent the message, but the peer did not "
					+ "acknowledge it within " + this.acknowledgementTimeout.toMillis() + " ms", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new MessageHandlingException(message, "Interrupted while waiting for an acknowledgement", ex);
		}
	}

	@Override
	public String toString() {
		return "KcpSendingMessageHandler [" + getComponentName() + ", "
				+ ((this.server != null) ? "sessions of a server" : this.client) + "]";
	}

}
