package io.github.kcp.spring.boot.autoconfigure;

import io.github.kcp.core.transport.KcpServer;

/**
 * Callback that adjusts the core {@link KcpServer.Builder} of the auto-configured
 * {@link io.github.kcp.spring.listener.KcpServerContainer} after the {@code kcp.*} properties have been applied —
 * for example to run the server on an event-loop group of the application's own. Every bean of this type is
 * applied, in {@link org.springframework.core.Ordered order}, each time the server is bound.
 *
 * <pre class="code">
 * &#64;Bean
 * KcpServerCustomizer kcpServerOnMyLoops(KcpEventLoopGroup eventLoops) {
 *     return (builder) -&gt; builder.eventLoops(eventLoops);
 * }
 * </pre>
 */
@FunctionalInterface
public interface KcpServerCustomizer {

	/**
	 * Customize the builder of the server.
	 * @param builder the builder, with the properties applied
	 */
	void customize(KcpServer.Builder builder);

}
