package io.github.kcp.spring.core;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

/**
 * The client operations of KCP: send messages to a KCP server and receive its replies. Implemented by
 * {@link KcpTemplate}.
 *
 * <h2>Payloads</h2>
 * A payload is turned into the bytes of one KCP message: {@code byte[]} as is, a {@link java.nio.ByteBuffer}'s
 * remaining bytes, a {@code String} in UTF-8, a spring-messaging {@code Message} by its payload (with the messaging
 * envelope its text headers travel too), and any other object as JSON (through the template's message converter). A
 * reply is read the same way into the requested type.
 *
 * <h2>Routes</h2>
 * With the messaging envelope ({@link io.github.kcp.spring.support.KcpMessageFormat#ENVELOPE}) each message may
 * name a route, which chooses the server's {@code @KcpHandler}. With raw messages there are no routes: the methods
 * taking one fail with {@link IllegalStateException} when it is not {@code null}.
 *
 * <h2>Targets</h2>
 * The methods without a target use the template's default target (with the Spring Boot starter: its client
 * properties). Turn {@code host:port} text into an address with
 * {@link io.github.kcp.spring.support.KcpTargets#parse(String)}.
 *
 * <h2>Replies</h2>
 * With the envelope each request carries a correlation id and its reply comes back with it: any number of requests
 * may be outstanding on a session, answered in any order; a server's error frame fails the request's future with a
 * {@link KcpRemoteException} at once; a push is never taken for a reply; one-way messages and requests mix freely.
 * <p>
 * Raw KCP messages carry no correlation id, so replies are matched in order per session: the requests outstanding
 * on one session are answered by the next messages that arrive on it, the oldest request first. This fits any
 * server that answers each request with exactly one message, in order, such as raw {@code @KcpHandler} methods
 * returning a value. A message that arrives while no request is waiting is a push. Consequently:
 * <ul>
 * <li>do not mix on one target {@code send} of messages the server answers with {@code sendAndReceive}: the answer
 * to the former would be taken for the reply to the latter;</li>
 * <li>the server must answer every request and must not push while requests are outstanding;</li>
 * <li>a request that times out closes its session (its reply may still come) and fails the others waiting on it.</li>
 * </ul>
 * Use the envelope between Spring applications; raw messages for other KCP peers.
 *
 * <h2>Futures and blocking</h2>
 * Returned futures complete on the template's callback executor, never on the network thread, so code chained to
 * them may block. The {@code ...Blocking} variants wait for the outcome and throw its exception unwrapped.
 */
public interface KcpOperations {

	/**
	 * Sends a one-way message without route to the default target.
	 * @param payload the message
	 * @return a future completed when the server has acknowledged the whole message
	 * @throws IllegalStateException if no default target is set
	 */
	CompletableFuture<Void> send(Object payload);

	/**
	 * Sends a one-way message to a route of the default target (messaging envelope).
	 * @param route the route
	 * @param payload the message
	 * @return a future completed when the server has acknowledged the whole message
	 * @throws IllegalStateException if no default target is set, or the template sends raw messages
	 */
	CompletableFuture<Void> send(String route, Object payload);

	/**
	 * Sends a one-way message.
	 * @param target the server's address
	 * @param route the route (messaging envelope), or {@code null} for none
	 * @param payload the message
	 * @return a future completed when the server has acknowledged the whole message
	 */
	CompletableFuture<Void> send(InetSocketAddress target, @Nullable String route, Object payload);

	/**
	 * Sends a request without route to the default target and receives the reply, waiting up to the template's
	 * reply timeout.
	 * @param <T> the reply type
	 * @param payload the request
	 * @param replyType the type to read the reply as ({@code byte[]}, {@code String}, a JSON type ...)
	 * @return a future of the reply, failed with {@link KcpReplyTimeoutException} when none arrives in time
	 */
	<T> CompletableFuture<T> sendAndReceive(Object payload, Class<T> replyType);

	/**
	 * Sends a request to a route of the default target and receives the reply (messaging envelope), waiting up to
	 * the template's reply timeout.
	 * @param <T> the reply type
	 * @param route the route
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @return a future of the reply (of {@code null} for an empty reply), failed with {@link KcpRemoteException}
	 * when the server answers with an error and {@link KcpReplyTimeoutException} when no answer arrives in time
	 */
	<T> CompletableFuture<T> sendAndReceive(String route, Object payload, Class<T> replyType);

	/**
	 * Sends a request and receives the reply.
	 * @param <T> the reply type
	 * @param target the server's address
	 * @param route the route (messaging envelope), or {@code null} for none
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @param timeout how long to wait for the reply, from the call
	 * @return a future of the reply, failed with {@link KcpRemoteException} or {@link KcpReplyTimeoutException}
	 */
	<T> CompletableFuture<T> sendAndReceive(InetSocketAddress target, @Nullable String route, Object payload,
			Class<T> replyType, Duration timeout);

	/**
	 * Sends a one-way message without route to the default target and waits, up to the template's reply timeout,
	 * until the server has acknowledged it. When the send buffer is full, waits for room instead of failing.
	 * @param payload the message
	 * @throws io.github.kcp.core.KcpException (or a subclass) if the message could not be delivered in
	 * time
	 */
	void sendBlocking(Object payload);

	/**
	 * Sends a one-way message to a route of the default target and waits until the server has acknowledged it.
	 * @param route the route
	 * @param payload the message
	 * @throws io.github.kcp.core.KcpException (or a subclass) if the message could not be delivered in
	 * time
	 */
	void sendBlocking(String route, Object payload);

	/**
	 * Sends a one-way message and waits, up to the template's reply timeout, until the server has acknowledged it.
	 * @param target the server's address
	 * @param route the route (messaging envelope), or {@code null} for none
	 * @param payload the message
	 * @throws io.github.kcp.core.KcpException (or a subclass) if the message could not be delivered in
	 * time
	 */
	void sendBlocking(InetSocketAddress target, @Nullable String route, Object payload);

	/**
	 * Sends a request without route to the default target and waits, up to the template's reply timeout, for the
	 * reply.
	 * @param <T> the reply type
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @return the reply
	 * @throws KcpReplyTimeoutException if no reply arrived in time
	 */
	<T> T sendAndReceiveBlocking(Object payload, Class<T> replyType);

	/**
	 * Sends a request to a route of the default target and waits, up to the template's reply timeout, for the
	 * reply.
	 * @param <T> the reply type
	 * @param route the route
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @return the reply
	 * @throws KcpRemoteException if the server answered with an error
	 * @throws KcpReplyTimeoutException if no reply arrived in time
	 */
	<T> T sendAndReceiveBlocking(String route, Object payload, Class<T> replyType);

	/**
	 * Sends a request and waits for the reply.
	 * @param <T> the reply type
	 * @param target the server's address
	 * @param route the route (messaging envelope), or {@code null} for none
	 * @param payload the request
	 * @param replyType the type to read the reply as
	 * @param timeout how long to wait for the reply
	 * @return the reply
	 * @throws KcpRemoteException if the server answered with an error
	 * @throws KcpReplyTimeoutException if no reply arrived in time
	 */
	<T> T sendAndReceiveBlocking(InetSocketAddress target, @Nullable String route, Object payload,
			Class<T> replyType, Duration timeout);

}
