package io.github.kcp.spring.integration.inbound;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.envelope.KcpEnvelopeFormatException;
import io.github.kcp.spring.integration.KcpEndpointSettings;
import io.github.kcp.spring.integration.KcpMessageMapper;
import io.github.kcp.spring.listener.KcpServerContainer;
import io.github.kcp.spring.support.KcpHeaders;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.integration.endpoint.MessageProducerSupport;
import org.springframework.messaging.Message;

/**
 * The inbound channel adapter of KCP: every message a KCP server receives goes to the output channel, as a message
 * with a {@code byte[]} payload and the {@link io.github.kcp.spring.integration.KcpIntegrationHeaders} (the
 * counterpart of spring-integration-ip's {@code TcpReceivingChannelAdapter}). With the messaging envelope it takes
 * requests and one-way frames; a request can be answered later by a
 * {@link io.github.kcp.spring.integration.outbound.KcpSendingMessageHandler} on the same server, which finds the
 * session and the correlation id in the headers.
 * <p>
 * Messages of one session reach the channel in order, sessions in parallel, on the server's handler threads. A
 * failure of the flow goes to the error channel when one is set, else it is logged and counted; the session goes
 * on. Bytes that are not a valid envelope frame, and frames a server does not take (replies, pushes), are dropped
 * and counted.
 * <p>
 * Lifecycle: starting the adapter binds the server; stopping it stops the server gracefully: from the start of the
 * stop no new data is acknowledged, every message the server had acknowledged still goes to the channel, then the
 * sessions close.
 */
public class KcpReceivingChannelAdapter extends MessageProducerSupport {

	private final KcpInboundServer server;

	private final LongAdder malformedMessages = new LongAdder();

	private final LongAdder ignoredFrames = new LongAdder();

	private final LongAdder failures = new LongAdder();

	/**
	 * An adapter with a KCP server of its own on {@code port}, set up from its {@link #getSettings() settings} and
	 * the {@link io.github.kcp.spring.integration.KcpIntegrationDefaults}.
	 * @param port the UDP port; 0 picks a free one (see {@link #getPort()})
	 */
	public KcpReceivingChannelAdapter(int port) {
		this.server = new KcpInboundServer(port);
	}

	/**
	 * An adapter for a server set up elsewhere (its settings are the container's).
	 * @param container the server; the adapter becomes its message listener
	 */
	public KcpReceivingChannelAdapter(KcpServerContainer container) {
		this.server = new KcpInboundServer(container);
	}

	/**
	 * The settings of the adapter's own server; leave them for a container given to the constructor.
	 * @return the settings, to set before the adapter initializes
	 */
	public KcpEndpointSettings getSettings() {
		return this.server.settings();
	}

	/**
	 * Sets the local address the adapter's own server binds.
	 * @param localAddress a host name or address; default all interfaces
	 */
	public void setLocalAddress(String localAddress) {
		this.server.setLocalAddress(localAddress);
	}

	/**
	 * Sets how long the graceful stop of the adapter's own server may take.
	 * @param shutdownTimeout default from the defaults (10 s)
	 */
	public void setShutdownTimeout(Duration shutdownTimeout) {
		this.server.setShutdownTimeout(shutdownTimeout);
	}

	/**
	 * The server: the one given, or the adapter's own once initialized (to share with an outbound adapter that
	 * answers its sessions).
	 * @return the container
	 */
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

	/** Messages the flow failed on, with no error channel to take the failure. */
	public long getFailures() {
		return this.failures.sum();
	}

	@Override
	public String getComponentType() {
		return "kcp:inbound-channel-adapter";
	}

	@Override
	protected void onInit() {
		super.onInit();
		ApplicationEventPublisher publisher = getApplicationContext();
		this.server.initialize(getBeanFactory(), publisher, this::received, getComponentName());
	}

	@Override
	protected void doStart() {
		this.server.start();
	}

	@Override
	protected void doStop(Runnable callback) {
		super.doStop();
		this.server.stop(callback);
	}

	@Override
	protected void doStop() {
		super.doStop();
		this.server.stopAndWait();
	}

	@Override
	public void destroy() {
		super.destroy();
		this.server.destroy();
	}

	private @Nullable CompletionStage<?> received(KcpSession session, byte[] bytes) {
		Message<byte[]> message;
		try {
			message = this.server.mapper().toMessage(session, bytes, KcpMessageMapper.SERVER_SIDE_FRAMES);
		}
		catch (KcpEnvelopeFormatException ex) {
			this.malformedMessages.increment();
			logger.debug(() -> "Dropped " + bytes.length + " bytes from KCP session " + KcpHeaders.sessionId(session)
					+ ": " + ex.getMessage());
			return null;
		}
		if (message == null) {
			this.ignoredFrames.increment();
			logger.debug(() -> "Dropped a frame from KCP session " + KcpHeaders.sessionId(session)
					+ " of a type a server does not take");
			return null;
		}
		try {
			sendMessage(message);
		}
		catch (RuntimeException ex) {
			this.failures.increment();
			logger.warn(ex, () -> "The flow of " + getComponentName() + " failed on a message from KCP session "
					+ KcpHeaders.sessionId(session) + " (no error channel)");
		}
		return null;
	}

	@Override
	public String toString() {
		return "KcpReceivingChannelAdapter [" + getComponentName() + ", " + this.server + "]";
	}

}
