package io.github.kcp.spring.event;

import org.springframework.context.ApplicationEvent;

/**
 * Base class of the {@link ApplicationEvent}s of KCP. The source is the component that published the event: a
 * {@link io.github.kcp.spring.listener.KcpServerContainer} for server events and server sessions, a
 * {@link io.github.kcp.spring.core.KcpTemplate} for the client sessions it opens.
 */
public abstract class KcpEvent extends ApplicationEvent {

	private static final long serialVersionUID = 1L;

	/**
	 * An event published by {@code source}.
	 * @param source the publishing component
	 */
	protected KcpEvent(Object source) {
		super(source);
	}

}
