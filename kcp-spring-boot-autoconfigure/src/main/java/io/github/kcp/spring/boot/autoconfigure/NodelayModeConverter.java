package io.github.kcp.spring.boot.autoconfigure;

import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.core.convert.TypeDescriptor;
import org.springframework.core.convert.converter.GenericConverter;

/**
 * Binds {@code kcp.nodelay} from text, a YAML boolean or a YAML number (see {@link NodelayMode#of(Object)}).
 * Registered for property binding by {@link KcpAutoConfiguration}.
 */
final class NodelayModeConverter implements GenericConverter {

	@Override
	public Set<ConvertiblePair> getConvertibleTypes() {
		return Set.of(new ConvertiblePair(String.class, NodelayMode.class),
				new ConvertiblePair(Boolean.class, NodelayMode.class),
				new ConvertiblePair(Integer.class, NodelayMode.class));
	}

	@Override
	public @Nullable Object convert(@Nullable Object source, TypeDescriptor sourceType, TypeDescriptor targetType) {
		return (source != null) ? NodelayMode.of(source) : null;
	}

}
