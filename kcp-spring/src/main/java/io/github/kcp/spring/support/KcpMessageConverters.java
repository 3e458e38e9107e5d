package io.github.kcp.spring.support;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.converter.ByteArrayMessageConverter;
import org.springframework.messaging.converter.CompositeMessageConverter;
import org.springframework.messaging.converter.JacksonJsonMessageConverter;
import org.springframework.messaging.converter.MessageConversionException;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.converter.StringMessageConverter;
import org.springframework.util.ClassUtils;

/**
 * The message converter of KCP payloads and helpers to turn any payload into the bytes of one KCP message and
 * back.
 * <p>
 * The converter {@link #create(JsonMapper)} builds is a {@link CompositeMessageConverter} of, in this order:
 * {@code byte[]} as is, {@link ByteBuffer}, {@link String} in UTF-8, and any other type as JSON (Jackson 3). Raw KCP
 * messages carry no content type (and the envelope's is informative), so each converter is chosen by the Java type
 * alone: the first that supports the type wins.
 */
public final class KcpMessageConverters {

	private static final String OCTET_STREAM = "application/octet-stream";

	private static final boolean jacksonPresent = ClassUtils.isPresent("tools.jackson.databind.json.JsonMapper",
			KcpMessageConverters.class.getClassLoader());

	private KcpMessageConverters() {
	}

	/**
	 * The KCP converter with JSON through the given mapper (for example the application's {@code JsonMapper} bean).
	 * @param jsonMapper the Jackson 3 mapper for JSON payloads
	 * @return bytes, {@code ByteBuffer}, UTF-8 text, then JSON
	 */
	public static CompositeMessageConverter create(JsonMapper jsonMapper) {
		List<MessageConverter> converters = baseConverters();
		converters.add(new JacksonJsonMessageConverter(jsonMapper));
		return new CompositeMessageConverter(converters);
	}

	/**
	 * The KCP converter with JSON through a default {@code JsonMapper} when Jackson 3 is on the class path, and
	 * without JSON otherwise.
	 * @return bytes, {@code ByteBuffer}, UTF-8 text, then JSON if available
	 */
	public static CompositeMessageConverter create() {
		if (jacksonPresent) {
			return JsonSupport.create();
		}
		return createWithoutJson();
	}

	/**
	 * The KCP converter without JSON: bytes, {@code ByteBuffer} and UTF-8 text only.
	 * @return the converter
	 */
	public static CompositeMessageConverter createWithoutJson() {
		return new CompositeMessageConverter(baseConverters());
	}

	private static List<MessageConverter> baseConverters() {
		List<MessageConverter> converters = new ArrayList<>();
		converters.add(new ByteArrayMessageConverter());
		converters.add(new ByteBufferMessageConverter());
		converters.add(new StringMessageConverter(StandardCharsets.UTF_8));
		return converters;
	}

	/**
	 * Turns a payload into the bytes of one KCP message: a {@code byte[]} as is, a {@link ByteBuffer}'s remaining
	 * bytes, a {@link Message}'s payload (with its headers), anything else through the converter.
	 * @param converter the converter for payloads that are not bytes already
	 * @param payload the payload
	 * @return the bytes to send
	 * @throws MessageConversionException if the converter cannot turn the payload into bytes
	 */
	public static byte[] toBytes(MessageConverter converter, Object payload) {
		return serialize(converter, payload).bytes();
	}

	/**
	 * Turns a payload into the parts of one KCP message with the messaging envelope: the bytes (as
	 * {@link #toBytes}), their content type, and, for a {@link Message} payload, its text headers (those whose value
	 * is a {@code String}, except {@code id}, {@code timestamp}, {@code contentType} and the {@link KcpHeaders}).
	 * @param converter the converter for payloads that are not bytes already
	 * @param payload the payload
	 * @return the parts
	 * @throws MessageConversionException if the converter cannot turn the payload into bytes
	 */
	public static Serialized serialize(MessageConverter converter, Object payload) {
		@Nullable MessageHeaders headers = null;
		Object body = payload;
		if (payload instanceof Message<?> message) {
			headers = message.getHeaders();
			body = message.getPayload();
		}
		Map<String, String> wireHeaders = (headers != null) ? wireHeaders(headers) : Map.of();
		if (body instanceof byte[] bytes) {
			return new Serialized(bytes, contentType(headers, OCTET_STREAM), wireHeaders);
		}
		@Nullable Message<?> converted = converter.toMessage(body, headers);
		@Nullable Object serialized = (converted != null) ? converted.getPayload() : null;
		String contentType = contentType((converted != null) ? converted.getHeaders() : null, null);
		if (serialized instanceof byte[] bytes) {
			return new Serialized(bytes, contentType, wireHeaders);
		}
		if (serialized instanceof ByteBuffer buffer) {
			byte[] bytes = new byte[buffer.remaining()];
			buffer.duplicate().get(bytes);
			return new Serialized(bytes, contentType, wireHeaders);
		}
		if (serialized instanceof String text) {
			return new Serialized(text.getBytes(StandardCharsets.UTF_8), contentType, wireHeaders);
		}
		throw new MessageConversionException("Cannot turn a payload of type " + body.getClass().getName()
				+ " into the bytes of a KCP message: no converter supports it (configured: " + converter
				+ "); send byte[], String, or a type the JSON converter can write");
	}

	private static @Nullable String contentType(@Nullable MessageHeaders headers, @Nullable String fallback) {
		Object value = (headers != null) ? headers.get(MessageHeaders.CONTENT_TYPE) : null;
		return (value != null) ? value.toString() : fallback;
	}

	private static Map<String, String> wireHeaders(MessageHeaders headers) {
		Map<String, String> wire = new LinkedHashMap<>();
		headers.forEach((name, value) -> {
			if (value instanceof String text && !name.startsWith(KcpHeaders.PREFIX) && !MessageHeaders.ID.equals(name)
					&& !MessageHeaders.TIMESTAMP.equals(name) && !MessageHeaders.CONTENT_TYPE.equals(name)) {
				wire.put(name, text);
			}
		});
		return wire;
	}

	/**
	 * Whether a converter can read JSON: any converter but the bytes-and-text-only composite {@link #create()}
	 * builds without Jackson.
	 * @param converter the converter
	 * @return {@code false} if it holds nothing but the bytes, {@code ByteBuffer} and text converters
	 */
	public static boolean supportsJson(MessageConverter converter) {
		if (!(converter instanceof CompositeMessageConverter composite)) {
			return true;
		}
		return composite.getConverters().stream()
			.anyMatch((candidate) -> !(candidate instanceof ByteArrayMessageConverter
					|| candidate instanceof ByteBufferMessageConverter || candidate instanceof StringMessageConverter));
	}

	/**
	 * A payload ready to be sent.
	 *
	 * @param bytes the bytes of the payload
	 * @param contentType their MIME type, if the converter said
	 * @param headers text headers to carry along (with the messaging envelope)
	 */
	public record Serialized(byte[] bytes, @Nullable String contentType, Map<String, String> headers) {
	}

	/**
	 * Converts the bytes of a received message to the requested type: {@code byte[]} as is, {@code Message} the
	 * message itself, anything else through the converter.
	 * @param <T> the type
	 * @param converter the converter
	 * @param message the received message (payload {@code byte[]})
	 * @param type the requested type
	 * @return the converted payload
	 * @throws MessageConversionException if the converter cannot produce the type
	 */
	@SuppressWarnings("unchecked")
	public static <T> T fromBytes(MessageConverter converter, Message<byte[]> message, Class<T> type) {
		if (type == byte[].class || type == Object.class) {
			return (T) message.getPayload();
		}
		if (type == Message.class) {
			return (T) message;
		}
		Object converted;
		try {
			converted = converter.fromMessage(message, type);
		}
		catch (MessageConversionException ex) {
			throw ex;
		}
		catch (RuntimeException ex) {
			// Jackson 3 exceptions are unchecked and not MessageConversionExceptions.
			throw new MessageConversionException(message, "Could not read a " + type.getName() + " from a KCP message of "
					+ message.getPayload().length + " bytes: " + ex.getMessage(), ex);
		}
		if (converted == null) {
			throw new MessageConversionException(message, "Cannot read a " + type.getName() + " from a KCP message of "
					+ message.getPayload().length + " bytes: no converter supports the type (configured: " + converter
					+ ")");
		}
		return type.cast(converted);
	}

	/** Isolates the Jackson types so that this class loads without Jackson. */
	private static final class JsonSupport {

		static CompositeMessageConverter create() {
			return KcpMessageConverters.create(JsonMapper.builder().build());
		}

	}

}
