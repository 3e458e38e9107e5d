package io.github.kcp.spring.support.micrometer;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import io.micrometer.observation.transport.SenderContext;
import org.jspecify.annotations.Nullable;

/**
 * The context of the observation of one {@link io.github.kcp.spring.core.KcpTemplate} call: a request (until its
 * reply or failure) or a one-way send (until the server acknowledged it). The carrier is the map of the envelope
 * headers the message will carry: a tracing handler writes the trace context into it when the observation starts,
 * so that the server's handler observation continues the trace. Raw KCP messages carry no headers.
 */
public class KcpTemplateObservationContext extends SenderContext<Map<String, String>> {

	/** How a template call ended. */
	public enum Outcome {

		/** Replied (a request) or acknowledged (a one-way send). */
		SUCCESS,

		/** The server answered with an error frame ({@link io.github.kcp.spring.core.KcpRemoteException}). */
		REMOTE_ERROR,

		/** No reply or acknowledgement in time. */
		TIMEOUT,

		/** Any other failure (the session closed, the payload could not be converted, ...). */
		FAILURE

	}

	private final String templateName;

	private final InetSocketAddress target;

	private final @Nullable String route;

	private final boolean request;

	private volatile @Nullable Integer conv;

	private volatile @Nullable Outcome outcome;

	/**
	 * @param templateName the template's name (its bean name)
	 * @param target the server's address
	 * @param route the route, or {@code null} for none
	 * @param request whether a reply is expected ({@code sendAndReceive}) or not ({@code send})
	 */
	public KcpTemplateObservationContext(String templateName, InetSocketAddress target, @Nullable String route,
			boolean request) {
		super((carrier, key, value) -> {
			if (carrier != null) {
				carrier.put(key, value);
			}
		});
		setCarrier(new LinkedHashMap<>());
		this.templateName = Objects.requireNonNull(templateName, "templateName");
		this.target = Objects.requireNonNull(target, "target");
		this.route = route;
		this.request = request;
		setRemoteServiceAddress(target.getHostString() + ":" + target.getPort());
	}

	/** The template's name. */
	public String getTemplateName() {
		return this.templateName;
	}

	/** The server's address. */
	public InetSocketAddress getTarget() {
		return this.target;
	}

	/** The route, or {@code null} for none. */
	public @Nullable String getRoute() {
		return this.route;
	}

	/** Whether this is a request (a reply is expected) rather than a one-way send. */
	public boolean isRequest() {
		return this.request;
	}

	/** The headers a tracing handler put into the carrier: they travel in the envelope. */
	public Map<String, String> getHeaders() {
		Map<String, String> carrier = getCarrier();
		return (carrier != null) ? carrier : Map.of();
	}

	/** The conversation id of the session the message went out on, once known. */
	public @Nullable Integer getConv() {
		return this.conv;
	}

	/**
	 * Sets the conversation id of the session the message went out on.
	 * @param conv the conv
	 */
	public void setConv(int conv) {
		this.conv = conv;
	}

	/** How the call ended, or {@code null} while it runs. */
	public @Nullable Outcome getOutcome() {
		return this.outcome;
	}

	/**
	 * Sets how the call ended.
	 * @param outcome the outcome
	 */
	public void setOutcome(Outcome outcome) {
		this.outcome = outcome;
	}

}
