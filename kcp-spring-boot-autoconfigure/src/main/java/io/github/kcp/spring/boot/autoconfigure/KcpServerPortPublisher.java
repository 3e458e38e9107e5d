package io.github.kcp.spring.boot.autoconfigure;

import java.util.HashMap;
import java.util.Map;

import io.github.kcp.spring.event.KcpServerListeningEvent;
import io.github.kcp.spring.listener.KcpServerContainer;

import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;

/**
 * Publishes the ports KCP servers bound as properties, as Boot's web servers publish {@code local.server.port}:
 * {@value #LOCAL_PORT_PROPERTY} for the default server, {@code local.kcp.server.<id>.port} for a server with an id.
 * Tests inject it with {@link LocalKcpServerPort @LocalKcpServerPort}; the auto-configured template targets it when
 * {@code kcp.client.port} is not set.
 */
final class KcpServerPortPublisher implements ApplicationListener<KcpServerListeningEvent> {

	/** The property holding the port of the default KCP server. */
	static final String LOCAL_PORT_PROPERTY = "local.kcp.server.port";

	private static final String PROPERTY_SOURCE_NAME = "kcp.server.ports";

	private final ConfigurableApplicationContext context;

	KcpServerPortPublisher(ConfigurableApplicationContext context) {
		this.context = context;
	}

	@Override
	public void onApplicationEvent(KcpServerListeningEvent event) {
		String id = (event.getSource() instanceof KcpServerContainer container) ? container.getId() : "";
		String name = id.isEmpty() ? LOCAL_PORT_PROPERTY : "local.kcp.server." + id + ".port";
		publish(this.context.getEnvironment(), name, event.getPort());
		if (this.context.getParent() instanceof ConfigurableApplicationContext parent) {
			publish(parent.getEnvironment(), name, event.getPort());
		}
	}

	@SuppressWarnings("unchecked")
	private static void publish(ConfigurableEnvironment environment, String name, int port) {
		MutablePropertySources sources = environment.getPropertySources();
		PropertySource<?> source = sources.get(PROPERTY_SOURCE_NAME);
		if (source == null) {
			source = new MapPropertySource(PROPERTY_SOURCE_NAME, new HashMap<>());
			sources.addFirst(source);
		}
		((Map<String, Object>) source.getSource()).put(name, port);
	}

}
