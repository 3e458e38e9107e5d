package io.github.kcp.spring.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a bean method that handles the messages the KCP server receives.
 *
 * <h2>Delivery</h2>
 * Messages of one session are handled one at a time, in the order they arrived; different sessions are handled in
 * parallel on the container's handler executor (the Spring Boot starter documents how it picks one). A handler may
 * block: it holds up its own session only (while many
 * messages wait for it, the session stops reading and the peer's window closes).
 *
 * <h2>Parameters</h2>
 * Resolved through spring-messaging's {@code MessageHandlerMethodFactory}, in any order:
 * <ul>
 * <li>the payload — {@code byte[]}, {@code ByteBuffer}, {@code String} (UTF-8), or any other type read as JSON
 * (Jackson 3); optionally marked {@code @Payload};</li>
 * <li>the sender's {@link io.github.kcp.core.transport.KcpSession KcpSession};</li>
 * <li>{@code Message<T>} (payload converted to {@code T}), {@code MessageHeaders}, {@code @Headers Map};</li>
 * <li>{@code @Header} values named in {@link io.github.kcp.spring.support.KcpHeaders KcpHeaders}: conv, remote and
 * local address, session id.</li>
 * </ul>
 *
 * <h2>Reply</h2>
 * A non-null return value is the reply, sent on the same session: {@code byte[]} as is, {@code String} in UTF-8,
 * anything else as JSON. A {@code CompletableFuture}/{@code CompletionStage} replies when it completes. Replies
 * leave in the order of the requests, even when futures complete out of order. {@code void} or {@code null}:
 * no reply. A handler that throws (or whose future fails, or whose payload cannot be converted) is logged once with
 * its session and counted ({@link io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter#getHandlerFailures()}), and
 * sends no reply unless a {@link io.github.kcp.spring.listener.KcpHandlerErrorHandler} returns one; the session and
 * the server go on.
 *
 * <h2>Routing: several handlers on one server</h2>
 * Each handler takes one kind of payload, decided by its payload parameter's type: <em>JSON</em> (a POJO, record,
 * {@code Map}, {@code JsonNode}...), <em>text</em> ({@code String}) or <em>bytes</em> ({@code byte[]},
 * {@code ByteBuffer}, {@code Object}, or no payload parameter). A message goes to the JSON handler if it looks
 * like a JSON object or array (its first and last non-blank bytes are <code>{ }</code> or {@code [ ]}), otherwise
 * to the text handler if it is valid UTF-8, otherwise to the bytes handler; a kind without a handler falls
 * through to the next (JSON, then text, then bytes). A message no handler fits (binary with no bytes handler) is
 * dropped, logged at debug level and counted
 * ({@link io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter#getUnroutedMessages()}). A message routed to
 * the JSON handler that is not valid JSON for its type is a handler failure (see above), not a fall-through. At
 * most one handler per kind: a second one fails the start-up with a
 * {@link io.github.kcp.spring.config.KcpHandlerConfigurationException} naming both methods. To handle several
 * JSON message types, take one base type (for example a sealed interface with Jackson's {@code @JsonTypeInfo})
 * and switch on it.
 * <p>
 * In stream mode a "message" is whatever bytes of the stream arrived together, with no
 * boundaries: take bytes and frame them yourself (for example with a length prefix).
 *
 * <pre class="code">
 * &#64;KcpHandler
 * Quote quote(QuoteRequest request, KcpSession session) {
 *     return this.quotes.price(request.symbol());
 * }
 * </pre>
 *
 * @see EnableKcp
 * @see io.github.kcp.spring.listener.KcpServerContainer
 * @see io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter
 */
@Target({ ElementType.METHOD, ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface KcpHandler {

}
