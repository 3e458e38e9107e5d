package io.github.kcp.spring.config;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} methods of the application context, at most
 * one per {@link PayloadKind}. Filled by the
 * {@link io.github.kcp.spring.annotation.KcpHandlerAnnotationBeanPostProcessor} while the beans are created, so
 * complete once all singletons exist — in particular when {@code SmartLifecycle} beans start. The server
 * container starts only if {@link #hasHandlers()} (or when told to start without handlers).
 * <p>
 * Thread-safe.
 */
public class KcpHandlerRegistry {

	private final Map<PayloadKind, KcpHandlerEndpoint> endpoints = new EnumMap<>(PayloadKind.class);

	/**
	 * Adds a handler.
	 * @param endpoint the handler
	 * @throws KcpHandlerConfigurationException if a handler of the same payload kind is registered already; the
	 * message names both methods
	 */
	public synchronized void register(KcpHandlerEndpoint endpoint) {
		KcpHandlerEndpoint existing = this.endpoints.get(endpoint.getPayloadKind());
		if (existing != null) {
			throw new KcpHandlerConfigurationException("Two @KcpHandler methods take " + describe(endpoint.getPayloadKind())
					+ ", so a message could go to either: " + existing.getId() + " and " + endpoint.getId()
					+ ". At most one @KcpHandler per kind of payload (bytes, text, JSON) is allowed: merge them, or "
					+ "take one JSON base type (for example a sealed interface with @JsonTypeInfo) and switch on it");
		}
		this.endpoints.put(endpoint.getPayloadKind(), endpoint);
	}

	/** Whether any {@code @KcpHandler} method was found. */
	public synchronized boolean hasHandlers() {
		return !this.endpoints.isEmpty();
	}

	/** The handler of a payload kind, or {@code null}. */
	public synchronized @Nullable KcpHandlerEndpoint getEndpoint(PayloadKind kind) {
		return this.endpoints.get(kind);
	}

	/** All handlers, in {@link PayloadKind} order (JSON, text, bytes). */
	public synchronized List<KcpHandlerEndpoint> getEndpoints() {
		return new ArrayList<>(this.endpoints.values());
	}

	private static String describe(PayloadKind kind) {
		return switch (kind) {
			case JSON -> "a JSON payload (a parameter type other than byte[], ByteBuffer, Object and String)";
			case TEXT -> "a String payload";
			case BYTES -> "a bytes payload (byte[], ByteBuffer, Object, or no payload parameter)";
		};
	}

	@Override
	public synchronized String toString() {
		return "KcpHandlerRegistry" + this.endpoints.values();
	}

}
