package io.github.kcp.spring.core;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The client operations of KCP: send messages to a KCP server and receive its replies. Implemented by
 * {@link KcpTemplate}.
 *
 * <h2>Payloads</h2>
 * A payload is turned into the bytes of one KCP message: {@code byte[]} as is, a {@link java.nio.ByteBuffer}'s
 * remaining bytes, a {@code String} in UTF-8, a spring-messaging {@code Message} by its payload, and any other object
 * as JSON (through the template's message converter). A reply is read the same way into the requested type.
 *
 * <h2>Targets</h2>
 * The methods without a target use the template's default target (with the Spring Boot starter: its client
 * properties). Turn {@code host:port} text into an address with
 * {@link io.github.kcp.spring.support.KcpTargets#parse(String)}.
 *
 * <h2>Replies</h2>
 * KCP messages carry no correlation id, so replies are matched in order per session: the requests outstanding on
 * one session are answered by the next messages that arrive on it, the oldest request first. This fits any server
 * that answers each request with exactly one message, in order, such as {@code @KcpHandler} methods returning a
 * value. A message that arrives while no request is waiting is a push and goes to the {@link KcpPushHandler}s.
 * Consequently:
 * <ul>
 * <li>do not mix on one target {@code send} of messages the server answers with {@code sendAndReceive}: the answer
 * to the former would be taken for the reply to the latter;</li>
 * <li>the server must answer every request. A {@code @KcpHandler} that returns {@code null} or throws sends
 * nothing, and while other requests are outstanding on the session the next reply would be taken for the missing
 * one. Give such servers a {@link io.github.kcp.spring.listener.KcpHandlerErrorHandler} that returns an error
 * reply, or keep one request outstanding per target at a time (the blocking variants from one thread): a missing
 * reply is then reported as a {@link KcpReplyTimeoutException} and nothing is mismatched.</li>
 * </ul>
 *
 * <h2>Futures and blocking</h2>
 * Returned futures complete on the template's callback executor, never on the network thread, so code chained to
 * them may block. The {@code ...Blocking} variants wait for the outcome and throw its exception unwrapped.
 */
public interface KcpOperations {

	/**
	 * Sends a message to the default target.
	 * @param payload the message
	 * @return a future completed when the server has acknowledged the whole message
	 * @throws IllegalStateException if no default target is set
	 */
	CompletableFuture<Void> send(Object payload);

	/**
	 * Sends a message to a target.
	 * @param target the server's address
	 * @param payload the message
	 * @return a future completed when the server has acknowledged the whole message
	 */
	CompletableFuture<Void> send(InetSocketAddress target, Object payload);


	/**
	 * Sends a request to the default target and receives the reply, waiting up to the template's default reply
	 * timeout.
	 * @param <T> the reply type
	 * @param payload the request
	 * @param replyType the type to read the reply as ({@code byte[]}, {@code String}, a JSON type ...)
	 * @return a future of the reply, failed with {@link KcpReplyTimeoutException} when none arrives in time
	 */
	<T> CompletableFuture<T> sendAndReceive(Object payload, Class<T> replyType);

	/**
	 * Sends a request to the default target and receives the reply.
	 * @param <T> the reply type
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @param timeout how long to wait for the reply, from the call
	 * @return a future of the reply, failed with {@link KcpReplyTimeoutException} when none arrives in time
	 */
	<T> CompletableFuture<T> sendAndReceive(Object payload, Class<T> replyType, Duration timeout);

	/**
	 * Sends a request to a target and receives the reply.
	 * @param <T> the reply type
	 * @param target the server's address
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @param timeout how long to wait for the reply, from the call
	 * @return a future of the reply, failed with {@link KcpReplyTimeoutException} when none arrives in time
	 */
	<T> CompletableFuture<T> sendAndReceive(InetSocketAddress target, Object payload, Class<T> replyType,
			Duration timeout);


	/**
	 * Sends a message to the default target and waits, up to the template's default timeout, until the server has
	 * acknowledged it. When the send buffer is full, waits for room instead of failing.
	 * @param payload the message
	 * @throws io.github.kcp.core.transport.KcpException (or a subclass) if the message could not be delivered in
	 * time
	 */
	void sendBlocking(Object payload);

	/**
	 * Sends a message to a target and waits, up to the template's default timeout, until the server has
	 * acknowledged it. When the send buffer is full, waits for room instead of failing.
	 * @param target the server's address
	 * @param payload the message
	 * @throws io.github.kcp.core.transport.KcpException (or a subclass) if the message could not be delivered in
	 * time
	 */
	void sendBlocking(InetSocketAddress target, Object payload);

	/**
	 * Sends a request to the default target and waits for the reply.
	 * @param <T> the reply type
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @param timeout how long to wait for the reply
	 * @return the reply
	 * @throws KcpReplyTimeoutException if no reply arrived in time
	 */
	<T> T sendAndReceiveBlocking(Object payload, Class<T> replyType, Duration timeout);

	/**
	 * Sends a request to a target and waits for the reply.
	 * @param <T> the reply type
	 * @param target the server's address
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @param timeout how long to wait for the reply
	 * @return the reply
	 * @throws KcpReplyTimeoutException if no reply arrived in time
	 */
	<T> T sendAndReceiveBlocking(InetSocketAddress target, Object payload, Class<T> replyType, Duration timeout);

}
