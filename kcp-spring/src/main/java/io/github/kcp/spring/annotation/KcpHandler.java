package io.github.kcp.spring.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.core.annotation.AliasFor;

/**
 * Marks a bean method that handles KCP messages: by default those a KCP server receives; with
 * {@link #side() side = CLIENT} those servers push to a {@link io.github.kcp.spring.core.KcpTemplate KcpTemplate}.
 *
 * <h2>Routes (with the messaging envelope)</h2>
 * With the envelope ({@link io.github.kcp.spring.support.KcpMessageFormat#ENVELOPE}) every message names a route,
 * and {@link #value()} holds the route patterns of the handler, matched by spring-messaging with dots as separators
 * ({@code quote.get}, {@code quote.*}, {@code price.{symbol}}); a placeholder's value is a
 * {@code @DestinationVariable} parameter. A {@code @KcpHandler} on the class adds a prefix:
 * {@code @KcpHandler("quote")} on the class and {@code @KcpHandler("get")} on a method make {@code quote.get}. When
 * several patterns match, the most specific wins, as with {@code @MessageMapping}. A request whose route no handler
 * takes is answered with an error frame ({@code NO_ROUTE}); a one-way message is dropped and counted. Any number of
 * handlers, each with its own payload type; two handlers with the same pattern fail the start-up.
 *
 * <h2>Without routes (raw messages)</h2>
 * Raw KCP messages ({@link io.github.kcp.spring.support.KcpMessageFormat#RAW}, the default, which C, Go, C#,
 * Python and aiokcp peers speak) carry no route, and a handler with a route then fails the start-up. Routeless
 * handlers (also allowed with the envelope, for messages without a route) are chosen by what a message looks like.
 * Each takes one kind of payload, decided by its payload parameter's type: <em>JSON</em> (a POJO, record,
 * {@code Map}, {@code JsonNode}...), <em>text</em> ({@code String}) or <em>bytes</em> ({@code byte[]},
 * {@code ByteBuffer}, {@code Object}, or no payload parameter). A message goes to the JSON handler if it looks like
 * a JSON object or array (its first and last non-blank bytes are <code>{ }</code> or {@code [ ]}), otherwise to the
 * text handler if it is valid UTF-8, otherwise to the bytes handler; a kind without a handler falls through to the
 * next (JSON, then text, then bytes). A message no handler fits is dropped, logged at debug level and counted. At
 * most one routeless handler per kind: a second one fails the start-up with a
 * {@link io.github.kcp.spring.config.KcpHandlerConfigurationException} naming both methods.
 * <p>
 * In stream mode a "message" is whatever bytes of the stream arrived together, with no boundaries: take bytes and
 * frame them yourself (for example with a length prefix).
 *
 * <h2>Delivery</h2>
 * Messages of one session are handled one at a time, in the order they arrived; different sessions are handled in
 * parallel on the container's handler executor. A handler may block: it holds up its own session only (while many
 * messages wait for it, the session stops reading and the peer's window closes).
 *
 * <h2>Parameters</h2>
 * Resolved through spring-messaging's {@code MessageHandlerMethodFactory}, in any order:
 * <ul>
 * <li>the payload — {@code byte[]}, {@code ByteBuffer}, {@code String} (UTF-8), or any other type read as JSON
 * (Jackson 3); optionally marked {@code @Payload};</li>
 * <li>the sender's {@link io.github.kcp.core.transport.KcpSession KcpSession};</li>
 * <li>{@code @DestinationVariable} values of the route pattern;</li>
 * <li>{@code Message<T>} (payload converted to {@code T}), {@code MessageHeaders}, {@code @Headers Map};</li>
 * <li>{@code @Header} values: those named in {@link io.github.kcp.spring.support.KcpHeaders KcpHeaders} (conv,
 * remote and local address, session id, and with the envelope route, correlation id, frame type, content type) and
 * the envelope's own headers.</li>
 * </ul>
 *
 * <h2>Reply</h2>
 * A non-null return value is the reply, sent on the same session: {@code byte[]} as is, {@code String} in UTF-8,
 * anything else as JSON. A {@code CompletableFuture}/{@code CompletionStage} replies when it completes. With raw
 * messages replies leave in the order of the requests, even when futures complete out of order, and {@code void} or
 * {@code null} sends nothing. With the envelope a request always gets one answer, sent as soon as it is ready: a
 * reply frame (empty for {@code void} or {@code null}), or an error frame; a one-way message gets none.
 * <p>
 * A handler that throws (or whose future fails, or whose payload cannot be converted) is logged once with its
 * session and counted
 * ({@link io.github.kcp.spring.listener.adapter.KcpHandlerMessageListenerAdapter#getHandlerFailures()});
 * a {@link io.github.kcp.spring.listener.KcpHandlerErrorHandler} may return a reply instead. Otherwise a raw
 * request gets nothing and an envelope request an error frame with the exception's type and message (the caller's
 * future fails with a {@link io.github.kcp.spring.core.KcpRemoteException}). The session and the server go on.
 *
 * <pre class="code">
 * &#64;KcpHandler("quote")
 * class QuoteHandlers {
 *
 *     &#64;KcpHandler("get")
 *     Quote quote(QuoteRequest request, KcpSession session) { ... }
 *
 *     &#64;KcpHandler("price.{symbol}")
 *     BigDecimal price(&#64;DestinationVariable String symbol) { ... }
 * }
 * </pre>
 *
 * @see EnableKcp
 * @see io.github.kcp.spring.listener.KcpServerContainer
 */
@Target({ ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface KcpHandler {

	/**
	 * Route patterns (with the messaging envelope); on a class, the prefix of its methods' routes. Empty: no route.
	 * @return the patterns
	 */
	@AliasFor("route")
	String[] value() default {};

	/**
	 * Alias for {@link #value()}.
	 * @return the patterns
	 */
	@AliasFor("value")
	String[] route() default {};

	/**
	 * The id of the server container that serves this handler
	 * ({@link io.github.kcp.spring.listener.KcpServerContainer#setId KcpServerContainer.setId}); empty for the default
	 * server. On a class, the default of its methods. Ignored for
	 * {@link Side#CLIENT} handlers.
	 * @return the server id
	 */
	String server() default "";

	/**
	 * Which messages the handler takes: those a server receives (the default), or those servers push to a
	 * {@link io.github.kcp.spring.core.KcpTemplate KcpTemplate}. On a class, the default of its methods.
	 * @return the side
	 */
	Side side() default Side.SERVER;

	/** Which messages a handler takes. */
	enum Side {

		/** Messages a KCP server receives from its clients. */
		SERVER,

		/**
		 * Messages servers push to a {@link io.github.kcp.spring.core.KcpTemplate KcpTemplate} unasked: with the
		 * envelope its push frames, chosen by route; with raw messages those that arrive while no request waits.
		 * Their return values are ignored.
		 */
		CLIENT

	}

}
