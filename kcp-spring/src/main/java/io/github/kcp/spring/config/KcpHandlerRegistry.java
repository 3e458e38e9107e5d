package io.github.kcp.spring.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods of the application context. Filled by
 * the {@link io.github.kcp.spring.annotation.KcpHandlerAnnotationBeanPostProcessor} while the beans are created, so
 * complete once all singletons exist — in particular when {@code SmartLifecycle} beans start. A server container
 * reads the handlers it serves when it starts.
 * <p>
 * Checks each handler as it is registered against those registered before, so that a conflict fails the creation
 * of the bean that brings it: at most one handler per {@link PayloadKind kind of payload} among those without a
 * route.
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
			if (existing.getPayloadKind() == endpoint.getPayloadKind()) {
				throw new KcpHandlerConfigurationException(PayloadKind.describeConflict(existing, endpoint));
			}
		}
		this.endpoints.add(endpoint);
	}

	/** Whether any {@code @KcpHandler} method was found. */
	public synchronized boolean hasHandlers() {
		return !this.endpoints.isEmpty();
	}

	/** All handlers, in registration order. */
	public synchronized List<KcpHandlerEndpoint> getEndpoints() {
		return new ArrayList<>(this.endpoints);
	}

	@Override
	public synchronized String toString() {
		return "KcpHandlerRegistry" + this.endpoints;
	}

}
