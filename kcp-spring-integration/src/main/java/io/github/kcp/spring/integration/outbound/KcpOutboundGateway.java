package io.github.kcp.spring.integration.outbound;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.github.kcp.core.KcpException;
import io.github.kcp.spring.core.KcpPushHandler;
import io.github.kcp.spring.core.KcpReplyTimeoutException;
import io.github.kcp.spring.core.KcpTemplate;
import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.KcpIntegrationHeaders;
import io.github.kcp.spring.integration.KcpMessageMapper;
import io.github.kcp.spring.support.KcpMessageFormat;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.integration.MessageTimeoutException;
import org.springframework.integration.handler.AbstractReplyProducingMessageHandler;
import org.springframework.integration.support.management.ManageableSmartLifecycle;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.messaging.MessageHandlingException;

/**
 * The outbound gateway of KCP: sends each request message to a peer and produces its reply (the counterpart of
 * spring-integration-ip's {@code TcpOutboundGateway}). It works through a {@link KcpTemplate} &mdash; its own, built
 * from its settings when it starts and destroyed when it stops, or one given &mdash; so replies are matched as the
 * template matches them:
 * <ul>
 * <li><b>with the messaging envelope</b> by correlation id: any number of requests outstanding on a session,
 * answered in any order; a request that times out is forgotten (its late reply is dropped); an error frame fails
 * the request at once; a push is never taken for a reply;</li>
 * <li><b>raw</b> in order per session (FIFO): exact for a peer that answers every request with one message, in
 * order. A request that times out closes its session (its reply could otherwise be taken for the next one's), and
 * the requests waiting on that session fail; a message arriving while no request waits is unsolicited.</li>
 * </ul>
 * The reply's payload is the {@code byte[]} received, with the {@link KcpIntegrationHeaders} of the session; request
 * headers are copied where the reply has none. A request without reply within the {@link #setReplyTimeout reply
 * timeout} fails with a {@link MessageTimeoutException}; other failures with a {@link MessageHandlingException} whose
 * cause is the template's ({@link io.github.kcp.spring.core.KcpRemoteException} for an error frame) &mdash; both
 * reach the flow's error channel. With {@link #setAsync(boolean) async} the gateway returns at once and produces the
 * reply when it comes. Messages the peer sends unasked go to the {@link #setUnsolicitedMessageChannel unsolicited
 * message channel} if one is set.
 */
public class KcpOutboundGateway extends AbstractReplyProducingMessageHandler implements ManageableSmartLifecycle {

	private final KcpOutboundClient client;

	private @Nullable Function<Message<?>, @Nullable String> routeFunction;

	private @Nullable MessageChannel unsolicitedMessageChannel;

	private final KcpPushHandler unsolicited = this::unsolicited;

	private int phase = SmartLifecycle.DEFAULT_PHASE;

	private boolean autoStartup = true;

	private volatile boolean running;

	/**
	 * A gateway to {@code host:port} through a template of its own.
	 * @param host the peer's host
	 * @param port the peer's UDP port
	 */
	public KcpOutboundGateway(String host, int port) {
		this.client = new KcpOutboundClient(host, port, null);
	}

	/**
	 * A gateway to {@code host:port} through a template set up elsewhere (its message format, framing and reply
	 * timeout apply).
	 * @param host the peer's host
	 * @param port the peer's UDP port
	 * @param template the template (not destroyed by the gateway)
	 */
	public KcpOutboundGateway(String host, int port, KcpTemplate template) {
		this.client = new KcpOutboundClient(host, port, Objects.requireNonNull(template, "template"));
	}

	/**
	 * A gateway sending each request to the address a function picks.
	 * @param target picks the peer of each request
	 * @param template the template, or {@code null} for one of the gateway's own
	 */
	public KcpOutboundGateway(Function<Message<?>, InetSocketAddress> target, @Nullable KcpTemplate template) {
		this.client = new KcpOutboundClient(target, template);
	}

	/**
	 * The settings of the gateway's own template.
	 * @return the settings, to set before the gateway starts
	 */
	public KcpEndpointSettings getSettings() {
		return this.client.settings();
	}

	/**
	 * Sets how long a request waits for its reply.
	 * @param replyTimeout default: the given template's, else the defaults' (10 s)
	 */
	public void setReplyTimeout(Duration replyTimeout) {
		this.client.setReplyTimeout(replyTimeout);
	}

	/**
	 * Sets the route of each request (messaging envelope).
	 * @param routeFunction the route of a message, {@code null} for none; default the
	 * {@link KcpIntegrationHeaders#ROUTE} header
	 */
	public void setRouteFunction(Function<Message<?>, @Nullable String> routeFunction) {
		this.routeFunction = routeFunction;
	}

	/**
	 * Sets where messages the peer sends unasked go (pushes; with raw messages, anything arriving while no request
	 * waits).
	 * @param unsolicitedMessageChannel the channel; without one they are dropped (logged at debug level)
	 */
	public void setUnsolicitedMessageChannel(MessageChannel unsolicitedMessageChannel) {
		this.unsolicitedMessageChannel = unsolicitedMessageChannel;
	}

	/**
	 * Sets the lifecycle phase.
	 * @param phase default {@link SmartLifecycle#DEFAULT_PHASE}
	 */
	public void setPhase(int phase) {
		this.phase = phase;
	}

	/**
	 * Sets whether the gateway starts with the context.
	 * @param autoStartup default true
	 */
	public void setAutoStartup(boolean autoStartup) {
		this.autoStartup = autoStartup;
	}

	@Override
	public String getComponentType() {
		return "kcp:outbound-gateway";
	}

	@Override
	protected void doInit() {
		super.doInit();
		this.client.initialize(getBeanFactory(), getApplicationContext());
	}

	@Override
	public void start() {
		this.client.start();
		if (this.unsolicitedMessageChannel != null) {
			this.client.template().addPushHandler(this.unsolicited);
		}
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		if (!this.client.ownsTemplate()) {
			this.client.template().removePushHandler(this.unsolicited);
		}
		this.client.stop();
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
	protected @Nullable Object handleRequestMessage(Message<?> requestMessage) {
		if (!this.running) {
			throw new MessageHandlingException(requestMessage, getComponentName() + " is stopped");
		}
		KcpTemplate template = this.client.template();
		InetSocketAddress target = this.client.target(requestMessage);
		Duration timeout = this.client.replyTimeout();
		boolean raw = template.getMessageFormat() == KcpMessageFormat.RAW;
		@SuppressWarnings("unchecked")
		CompletableFuture<Message<byte[]>> reply = (CompletableFuture<Message<byte[]>>) (CompletableFuture<?>) template
			.sendAndReceive(target, raw ? null : route(requestMessage), raw ? requestMessage.getPayload() : requestMessage,
					Message.class, timeout);
		if (isAsync()) {
			return reply.handle((received, failure) -> {
				if (failure != null) {
					throw new CompletionException(translate(requestMessage, target, timeout, unwrap(failure)));
				}
				return KcpMessageMapper.withIntegrationHeaders(received);
			});
		}
		try {
			// The template's timer fails the future at the timeout; the extra second only guards against a hang.
			Message<byte[]> received = reply.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
			return KcpMessageMapper.withIntegrationHeaders(received);
		}
		catch (ExecutionException ex) {
			throw translate(requestMessage, target, timeout, unwrap(ex));
		}
		catch (TimeoutException ex) {
			throw new MessageTimeoutException(requestMessage,
					"No reply from " + target + " within " + timeout.toMillis() + " ms");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new MessageHandlingException(requestMessage, "Interrupted while waiting for a reply from " + target,
					ex);
		}
	}

	private RuntimeException translate(Message<?> request, InetSocketAddress target, Duration timeout,
			Throwable failure) {
		if (failure instanceof KcpReplyTimeoutException) {
			MessageTimeoutException timedOut = new MessageTimeoutException(request,
					"No reply from " + target + " within " + timeout.toMillis() + " ms");
			timedOut.initCause(failure);
			return timedOut;
		}
		String what = (failure instanceof KcpException) ? failure.getMessage() : failure.toString();
		return new MessageHandlingException(request, "Request to " + target + " failed: " + what, failure);
	}

	private static Throwable unwrap(Throwable failure) {
		Throwable current = failure;
		while ((current instanceof ExecutionException || current instanceof CompletionException)
				&& current.getCause() != null) {
			current = current.getCause();
		}
		return current;
	}

	private @Nullable String route(Message<?> message) {
		if (this.routeFunction != null) {
			return this.routeFunction.apply(message);
		}
		Object route = message.getHeaders().get(KcpIntegrationHeaders.ROUTE);
		return (route instanceof String text && !text.isEmpty()) ? text : null;
	}

	private void unsolicited(Message<byte[]> message) {
		MessageChannel channel = this.unsolicitedMessageChannel;
		if (channel != null) {
			channel.send(KcpMessageMapper.withIntegrationHeaders(message));
		}
	}

	@Override
	public String toString() {
		return "KcpOutboundGateway [" + getComponentName() + ", " + this.client + "]";
	}

}
