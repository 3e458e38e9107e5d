package io.github.kcp.spring.support;

import java.nio.ByteBuffer;

import org.jspecify.annotations.Nullable;

import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.converter.AbstractMessageConverter;
import org.springframework.util.MimeType;

/**
 * Converts between {@link ByteBuffer} payloads and the {@code byte[]} of a KCP message
 * ({@code application/octet-stream}). Reading wraps the received array without copying; writing copies the
 * buffer's remaining bytes without moving its position.
 */
public class ByteBufferMessageConverter extends AbstractMessageConverter {

	/** A converter for {@code application/octet-stream}. */
	public ByteBufferMessageConverter() {
		super(new MimeType("application", "octet-stream"));
	}

	@Override
	protected boolean supports(Class<?> clazz) {
		return ByteBuffer.class.isAssignableFrom(clazz);
	}

	@Override
	protected @Nullable Object convertFromInternal(Message<?> message, Class<?> targetClass,
			@Nullable Object conversionHint) {
		Object payload = message.getPayload();
		if (payload instanceof ByteBuffer buffer) {
			return buffer;
		}
		if (payload instanceof byte[] bytes) {
			return ByteBuffer.wrap(bytes);
		}
		return null;
	}

	@Override
	protected @Nullable Object convertToInternal(Object payload, @Nullable MessageHeaders headers,
			@Nullable Object conversionHint) {
		if (payload instanceof ByteBuffer buffer) {
			ByteBuffer view = buffer.duplicate();
			byte[] bytes = new byte[view.remaining()];
			view.get(bytes);
			return bytes;
		}
		return null;
	}

}
