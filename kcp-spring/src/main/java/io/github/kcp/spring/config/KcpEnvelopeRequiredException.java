package io.github.kcp.spring.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods declare routes, but their server (or
 * template) exchanges raw KCP messages, which carry none. Thrown at start-up; enable the messaging envelope on both
 * ends, or remove the routes.
 */
public class KcpEnvelopeRequiredException extends KcpHandlerConfigurationException {

	private static final long serialVersionUID = 1L;

	private final transient List<KcpHandlerEndpoint> endpoints;

	/**
	 * @param owner what serves the handlers, for the message (for example "the KCP server 'raw'")
	 * @param endpoints the handlers with routes
	 */
	public KcpEnvelopeRequiredException(String owner, List<KcpHandlerEndpoint> endpoints) {
		super("@KcpHandler methods with routes need the messaging envelope, but " + owner
				+ " uses raw KCP messages, which carry no route: "
				+ endpoints.stream().map((endpoint) -> endpoint.getId() + " " + endpoint.getRoutes())
					.collect(Collectors.joining(", "))
				+ ". Set the message format to ENVELOPE on both ends, or remove the routes");
		this.endpoints = List.copyOf(endpoints);
	}

	/** The handlers with routes. */
	public List<KcpHandlerEndpoint> getEndpoints() {
		return this.endpoints;
	}

}
