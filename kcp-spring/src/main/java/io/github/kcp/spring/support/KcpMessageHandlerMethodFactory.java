package io.github.kcp.spring.support;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

import org.springframework.core.convert.ConversionService;
import org.springframework.format.support.DefaultFormattingConversionService;
import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.DefaultMessageHandlerMethodFactory;
import org.springframework.messaging.handler.annotation.support.DestinationVariableMethodArgumentResolver;
import org.springframework.messaging.handler.invocation.HandlerMethodArgumentResolver;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;

/**
 * The {@link DefaultMessageHandlerMethodFactory} of {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler}
 * methods: payload and {@code Message<T>} parameters are converted with the given converter (normally
 * {@link KcpMessageConverters#create(tools.jackson.databind.json.JsonMapper)}); {@code @Header}, {@code @Headers}
 * and {@code Message} parameters resolve as usual, {@code @DestinationVariable} parameters get the values of the
 * route's placeholders, and {@code Principal} and {@code X509Certificate[]} parameters get the identity a DTLS peer
 * proved ({@link KcpPeerIdentityArgumentResolver}). The sender's
 * {@link io.github.kcp.core.transport.KcpSession KcpSession} is passed by the dispatcher as a provided argument, so
 * any {@code MessageHandlerMethodFactory} works with it.
 * <p>
 * Ready to use after construction; as a bean it is initialised again after its properties are set, so
 * {@link #setCustomArgumentResolvers}, {@link #setValidator} and the like may be used on a bean definition.
 */
public class KcpMessageHandlerMethodFactory extends DefaultMessageHandlerMethodFactory {

	private volatile boolean initialized;

	private ConversionService conversionService = new DefaultFormattingConversionService();

	/**
	 * A factory converting payloads with {@code converter}.
	 * @param converter the payload converter
	 */
	public KcpMessageHandlerMethodFactory(MessageConverter converter) {
		setMessageConverter(converter);
		setConversionService(this.conversionService);
		setCustomArgumentResolvers(List.of());
	}

	/**
	 * Sets resolvers for further parameter types; the resolvers of {@code @DestinationVariable} parameters and of the
	 * peer's identity are always among them.
	 */
	@Override
	public void setCustomArgumentResolvers(List<HandlerMethodArgumentResolver> customArgumentResolvers) {
		List<HandlerMethodArgumentResolver> resolvers = new ArrayList<>();
		resolvers.add(new DestinationVariableMethodArgumentResolver(this.conversionService));
		resolvers.add(new KcpPeerIdentityArgumentResolver());
		resolvers.addAll(customArgumentResolvers);
		super.setCustomArgumentResolvers(resolvers);
	}

	@Override
	public void setConversionService(ConversionService conversionService) {
		this.conversionService = conversionService;
		super.setConversionService(conversionService);
	}

	@Override
	public void afterPropertiesSet() {
		super.afterPropertiesSet();
		this.initialized = true;
	}

	@Override
	public InvocableHandlerMethod createInvocableHandlerMethod(Object bean, Method method) {
		if (!this.initialized) {
			// Used outside a bean factory: initialise with the settings given so far.
			afterPropertiesSet();
		}
		return super.createInvocableHandlerMethod(bean, method);
	}

}
