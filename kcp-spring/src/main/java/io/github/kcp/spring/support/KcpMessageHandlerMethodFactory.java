package io.github.kcp.spring.support;

import java.lang.reflect.Method;

import org.springframework.messaging.converter.MessageConverter;
import org.springframework.messaging.handler.annotation.support.DefaultMessageHandlerMethodFactory;
import org.springframework.messaging.handler.invocation.InvocableHandlerMethod;

/**
 * The {@link DefaultMessageHandlerMethodFactory} of {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler}
 * methods: payload and {@code Message<T>} parameters are converted with the given converter (normally
 * {@link KcpMessageConverters#create(tools.jackson.databind.json.JsonMapper)}); {@code @Header}, {@code @Headers}
 * and {@code Message} parameters resolve as usual. The sender's
 * {@link io.github.kcp.core.transport.KcpSession KcpSession} is passed by the dispatcher as a provided argument, so
 * any {@code MessageHandlerMethodFactory} works with it.
 * <p>
 * Ready to use after construction; as a bean it is initialised again after its properties are set, so
 * {@link #setCustomArgumentResolvers}, {@link #setValidator} and the like may be used on a bean definition.
 */
public class KcpMessageHandlerMethodFactory extends DefaultMessageHandlerMethodFactory {

	private volatile boolean initialized;

	/**
	 * A factory converting payloads with {@code converter}.
	 * @param converter the payload converter
	 */
	public KcpMessageHandlerMethodFactory(MessageConverter converter) {
		setMessageConverter(converter);
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
