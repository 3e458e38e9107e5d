package io.github.kcp.spring.core;

import org.springframework.messaging.Message;

/**
 * Receives the messages a server sends to a {@link KcpTemplate} unasked: those that arrive on one of the
 * template's sessions while no {@code sendAndReceive} request on that session is waiting for its reply.
 * <p>
 * In Spring Boot, declare it as a bean: every {@code KcpPushHandler} bean is registered with the auto-configured
 * template, in {@link org.springframework.core.annotation.Order @Order}. Without Boot, pass it to
 * {@link KcpTemplate#addPushHandler(KcpPushHandler)}. A message no handler is registered for is logged at debug
 * level and dropped.
 * <p>
 * Delivery: the messages of one session reach the handlers one at a time, in the order they arrived, on the
 * template's callback executor (never on the network thread), so a handler may block, at the cost of holding up
 * the later pushes of its session only. A handler that throws is logged; delivery goes on.
 * <p>
 * The payload is the message's bytes; its headers are those named in
 * {@link io.github.kcp.spring.support.KcpHeaders KcpHeaders} (conv, remote and local address, session id, the
 * session). Turn the payload into another type with {@link KcpTemplate#convert(Message, Class)}:
 *
 * <pre class="code">
 * &#64;Bean
 * KcpPushHandler priceAlerts(KcpTemplate template) {
 *     return (message) -&gt; alerts.add(template.convert(message, PriceAlert.class));
 * }
 * </pre>
 */
@FunctionalInterface
public interface KcpPushHandler {

	/**
	 * Handles one message the server pushed.
	 * @param message the received bytes with the KCP session headers
	 */
	void onPush(Message<byte[]> message);

}
