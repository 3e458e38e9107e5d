package io.github.kcp.spring.listener.adapter;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.github.kcp.spring.config.KcpHandlerConfigurationException;
import io.github.kcp.spring.config.PayloadKind;
import org.jspecify.annotations.Nullable;

import org.springframework.messaging.Message;

/**
 * Routes by what a message looks like, for messages without a route (every message in raw mode): JSON-looking
 * messages to the JSON handler, valid UTF-8 to the text handler, anything to the bytes handler, each falling
 * through to the next when absent. See the routing rule on
 * {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler}.
 */
public final class PayloadKindRouter implements KcpHandlerRouter {

	private final Map<PayloadKind, HandlerAdapter> handlers = new EnumMap<>(PayloadKind.class);

	/**
	 * @param handlers at most one per {@link PayloadKind}
	 * @throws KcpHandlerConfigurationException if two take the same kind, naming both
	 */
	public PayloadKindRouter(List<HandlerAdapter> handlers) {
		for (HandlerAdapter handler : handlers) {
			HandlerAdapter previous = this.handlers.put(handler.getEndpoint().getPayloadKind(), handler);
			if (previous != null) {
				throw new KcpHandlerConfigurationException(
						PayloadKind.describeConflict(previous.getEndpoint(), handler.getEndpoint()));
			}
		}
	}

	/** Whether no handler is registered. */
	public boolean isEmpty() {
		return this.handlers.isEmpty();
	}

	/** The payload kinds that have a handler. */
	public Set<PayloadKind> kinds() {
		return this.handlers.keySet();
	}

	@Override
	public @Nullable Match route(Message<byte[]> message) {
		HandlerAdapter handler = handlerFor(message.getPayload());
		return (handler != null) ? new Match(handler, message) : null;
	}

	private @Nullable HandlerAdapter handlerFor(byte[] message) {
		HandlerAdapter json = this.handlers.get(PayloadKind.JSON);
		if (json != null && looksLikeJson(message)) {
			return json;
		}
		HandlerAdapter text = this.handlers.get(PayloadKind.TEXT);
		if (text != null && isUtf8(message)) {
			return text;
		}
		return this.handlers.get(PayloadKind.BYTES);
	}

	/** Whether the first and last non-blank bytes are <code>{ }</code> or {@code [ ]}. */
	static boolean looksLikeJson(byte[] message) {
		int first = 0;
		while (first < message.length && isBlank(message[first])) {
			first++;
		}
		int last = message.length - 1;
		while (last > first && isBlank(message[last])) {
			last--;
		}
		if (last <= first) {
			return false;
		}
		return (message[first] == '{' && message[last] == '}') || (message[first] == '[' && message[last] == ']');
	}

	private static boolean isBlank(byte b) {
		return b == ' ' || b == '\t' || b == '\r' || b == '\n';
	}

	static boolean isUtf8(byte[] message) {
		try {
			StandardCharsets.UTF_8.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(message));
			return true;
		}
		catch (CharacterCodingException ex) {
			return false;
		}
	}

	@Override
	public String toString() {
		return "PayloadKindRouter" + this.handlers.values();
	}

}
