package io.github.kcp.spring.config;

import java.util.ArrayList;
import java.util.List;

import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.support.KcpMessageConverters;
import io.github.kcp.spring.support.KcpMessageFormat;

import org.springframework.messaging.converter.MessageConverter;

/**
 * The {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods of the application context. Filled by
 * the {@link io.github.kcp.spring.annotation.KcpHandlerAnnotationBeanPostProcessor} while the beans are created, so
 * complete once all singletons exist — in particular when {@code SmartLifecycle} beans start. A server container
 * reads the handlers it serves when it starts.
 * <p>
 * Checks each handler as it is registered against those registered before for the same server (or the client
 * side), so that a conflict fails the creation of the bean that brings it: no route pattern twice, and at most one
 * handler per {@link PayloadKind kind of payload} among those without a route.
 * <p>
 * Thread-safe.
 */
public class KcpHandlerRegistry {

	private final List<KcpHandlerEndpoint> endpoints = new ArrayList<>();

	/**
	 * Adds a handler.
	 * @param endpoint the handler
	 * @throws KcpHandlerConfigurationException if it conflicts with a handler registered before; the message
	 * names both methods
	 */
	public synchronized void register(KcpHandlerEndpoint endpoint) {
		for (KcpHandlerEndpoint existing : this.endpoints) {
			if (existing.getSide() != endpoint.getSide() || (endpoint.getSide() == KcpHandler.Side.SERVER
					&& !existing.getServer().equals(endpoint.getServer()))) {
				continue;
			}
			if (!existing.hasRoutes() && !endpoint.hasRoutes()
					&& existing.getPayloadKind() == endpoint.getPayloadKind()) {
				throw new KcpHandlerConfigurationException(PayloadKind.describeConflict(existing, endpoint));
			}
			for (String route : endpoint.getRoutes()) {
				if (existing.getRoutes().contains(route)) {
					throw new KcpHandlerConfigurationException("Two @KcpHandler methods take the route '" + route
							+ "', so a message could go to either: " + existing.getId() + " and " + endpoint.getId()
							+ ". Give each route to one method");
				}
			}
		}
		this.endpoints.add(endpoint);
	}

	/**
	 * The handlers one server container serves.
	 * @param server the container's id, empty for the default server
	 * @return its server-side handlers, in registration order
	 */
	public synchronized List<KcpHandlerEndpoint> getServerEndpoints(String server) {
		return this.endpoints.stream()
			.filter((endpoint) -> endpoint.getSide() == KcpHandler.Side.SERVER && endpoint.getServer().equals(server))
			.toList();
	}

	/** The handlers of pushes to templates, in registration order. */
	public synchronized List<KcpHandlerEndpoint> getClientEndpoints() {
		return this.endpoints.stream().filter((endpoint) -> endpoint.getSide() == KcpHandler.Side.CLIENT).toList();
	}

	/** Whether any {@code @KcpHandler} method was found. */
	public synchronized boolean hasHandlers() {
		return !this.endpoints.isEmpty();
	}

	/** All handlers, in registration order. */
	public synchronized List<KcpHandlerEndpoint> getEndpoints() {
		return new ArrayList<>(this.endpoints);
	}

	/**
	 * Checks that handlers fit the message format and converter: routes need the envelope, JSON payloads a JSON
	 * converter.
	 * @param endpoints the handlers
	 * @param format the message format
	 * @param converter the payload converter
	 * @param owner what serves them, for messages
	 * @throws KcpHandlerConfigurationException naming the handlers that do not fit
	 */
	public static void check(List<KcpHandlerEndpoint> endpoints, KcpMessageFormat format,
			MessageConverter converter, String owner) {
		if (format == KcpMessageFormat.RAW) {
			List<KcpHandlerEndpoint> routed = endpoints.stream().filter(KcpHandlerEndpoint::hasRoutes).toList();
			if (!routed.isEmpty()) {
				throw new KcpEnvelopeRequiredException(owner, routed);
			}
		}
		if (!KcpMessageConverters.supportsJson(converter)) {
			List<String> json = endpoints.stream()
				.filter((endpoint) -> endpoint.getPayloadKind() == PayloadKind.JSON)
				.map(KcpHandlerEndpoint::getId)
				.toList();
			if (!json.isEmpty()) {
				throw new KcpJsonConverterMissingException(json);
			}
		}
	}

	@Override
	public synchronized String toString() {
		return "KcpHandlerRegistry" + this.endpoints;
	}

}
