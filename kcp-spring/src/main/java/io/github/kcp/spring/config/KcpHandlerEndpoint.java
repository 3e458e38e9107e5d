package io.github.kcp.spring.config;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.support.KcpPeerIdentityArgumentResolver;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Headers;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.support.MessageHeaderAccessor;
import org.springframework.util.AntPathMatcher;
import org.springframework.util.PathMatcher;

/**
 * One {@link io.github.kcp.spring.annotation.KcpHandler @KcpHandler} method of one bean: its route patterns (the
 * class's prefixes combined with the method's), the server that serves it or the client side, and the
 * {@link PayloadKind kind of payload} it takes.
 * <p>
 * The payload parameter is the one annotated with {@code @Payload}, otherwise the only parameter that is not a
 * {@link KcpSession}, not {@code @Header}/{@code @Headers}/{@code @DestinationVariable}, not {@code MessageHeaders},
 * not the peer's {@code Principal} or {@code X509Certificate[]} and not a {@link Message};
 * failing that, the generic type of a {@code Message<T>} parameter; a method without any takes bytes.
 */
public final class KcpHandlerEndpoint {

	private final String beanName;

	private final Object bean;

	private final Method method;

	private final PayloadKind payloadKind;

	private final List<String> routes;

	private final String server;

	private final KcpHandler.Side side;

	private final String id;

	private KcpHandlerEndpoint(String beanName, Object bean, Method method, PayloadKind payloadKind,
			List<String> routes, String server, KcpHandler.Side side) {
		this.beanName = beanName;
		this.bean = bean;
		this.method = method;
		this.payloadKind = payloadKind;
		this.routes = List.copyOf(routes);
		this.server = server;
		this.side = side;
		this.id = describe(beanName, method);
	}

	/**
	 * Describes a {@code @KcpHandler} method of a bean, reading the annotations of the method and of its class.
	 * @param beanName the bean's name
	 * @param bean the bean (possibly a proxy)
	 * @param method the annotated method, as declared on the target class
	 * @return the endpoint
	 * @throws KcpHandlerConfigurationException if the method's payload parameter is unclear
	 */
	public static KcpHandlerEndpoint of(String beanName, Object bean, Method method) {
		Objects.requireNonNull(bean, "bean");
		Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
		KcpHandler onMethod = AnnotatedElementUtils.findMergedAnnotation(method, KcpHandler.class);
		KcpHandler onClass = AnnotatedElementUtils.findMergedAnnotation(method.getDeclaringClass(), KcpHandler.class);
		List<String> routes = combine((onClass != null) ? onClass.value() : new String[0],
				(onMethod != null) ? onMethod.value() : new String[0]);
		String server = (onMethod != null && !onMethod.server().isEmpty()) ? onMethod.server()
				: (onClass != null) ? onClass.server() : "";
		KcpHandler.Side side = (onMethod != null && onMethod.side() != KcpHandler.Side.SERVER) ? onMethod.side()
				: (onClass != null) ? onClass.side() : KcpHandler.Side.SERVER;
		return new KcpHandlerEndpoint(beanName, bean, invocable, payloadKindOf(beanName, method), routes, server,
				side);
	}

	/** The class's patterns as prefixes of the method's, with dots as separators. */
	private static List<String> combine(String[] classPatterns, String[] methodPatterns) {
		PathMatcher matcher = new AntPathMatcher(".");
		List<String> routes = new ArrayList<>();
		if (classPatterns.length == 0) {
			routes.addAll(Arrays.asList(methodPatterns));
		}
		else if (methodPatterns.length == 0) {
			routes.addAll(Arrays.asList(classPatterns));
		}
		else {
			for (String prefix : classPatterns) {
				for (String pattern : methodPatterns) {
					routes.add(matcher.combine(prefix, pattern));
				}
			}
		}
		return routes.stream().filter((route) -> !route.isBlank()).distinct().toList();
	}

	/** The name of the bean the method belongs to. */
	public String getBeanName() {
		return this.beanName;
	}

	/** The bean to invoke the method on. */
	public Object getBean() {
		return this.bean;
	}

	/** The method, invocable on {@link #getBean()}. */
	public Method getMethod() {
		return this.method;
	}

	/** The kind of payload the method takes. */
	public PayloadKind getPayloadKind() {
		return this.payloadKind;
	}

	/** The route patterns (class prefixes combined with the method's); empty for a handler without route. */
	public List<String> getRoutes() {
		return this.routes;
	}

	/** Whether the handler has route patterns. */
	public boolean hasRoutes() {
		return !this.routes.isEmpty();
	}

	/** The id of the server container that serves it; empty for the default server. */
	public String getServer() {
		return this.server;
	}

	/** Which messages it takes: those a server receives, or pushes to a template. */
	public KcpHandler.Side getSide() {
		return this.side;
	}

	/** A readable id for logs and errors: {@code beanName: Class.method(ParameterTypes)}. */
	public String getId() {
		return this.id;
	}

	@Override
	public String toString() {
		return "@KcpHandler " + this.id + " (" + (this.routes.isEmpty() ? this.payloadKind : this.routes)
				+ ((this.side == KcpHandler.Side.CLIENT) ? ", client side"
						: this.server.isEmpty() ? "" : ", server '" + this.server + "'")
				+ ")";
	}

	private static String describe(String beanName, Method method) {
		String parameters = Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName)
			.collect(Collectors.joining(", "));
		return beanName + ": " + method.getDeclaringClass().getName() + "." + method.getName() + "(" + parameters
				+ ")";
	}

	static PayloadKind payloadKindOf(String beanName, Method method) {
		List<MethodParameter> explicit = new ArrayList<>();
		List<MethodParameter> implicit = new ArrayList<>();
		@Nullable MethodParameter message = null;
		for (int i = 0; i < method.getParameterCount(); i++) {
			MethodParameter parameter = new MethodParameter(method, i);
			Class<?> type = parameter.getParameterType();
			if (parameter.hasParameterAnnotation(Payload.class)) {
				explicit.add(parameter);
			}
			else if (KcpSession.class.isAssignableFrom(type) || parameter.hasParameterAnnotation(Header.class)
					|| parameter.hasParameterAnnotation(Headers.class)
					|| parameter.hasParameterAnnotation(DestinationVariable.class) || MessageHeaders.class.isAssignableFrom(type)
					|| MessageHeaderAccessor.class.isAssignableFrom(type)
					|| KcpPeerIdentityArgumentResolver.isPeerIdentity(parameter)) {
				continue;
			}
			else if (Message.class.isAssignableFrom(type)) {
				message = parameter;
			}
			else {
				implicit.add(parameter);
			}
		}
		if (explicit.size() > 1 || (explicit.isEmpty() && implicit.size() > 1)) {
			List<MethodParameter> candidates = explicit.isEmpty() ? implicit : explicit;
			throw new KcpHandlerConfigurationException("@KcpHandler " + describe(beanName, method)
					+ " has more than one payload parameter (" + candidates.stream()
						.map((p) -> p.getParameterType().getSimpleName() + " #" + p.getParameterIndex())
						.collect(Collectors.joining(", "))
					+ "): annotate the payload with @Payload and the others with @Header, or take a KcpSession");
		}
		if (!explicit.isEmpty()) {
			return kindOf(explicit.get(0).getParameterType());
		}
		if (!implicit.isEmpty()) {
			return kindOf(implicit.get(0).getParameterType());
		}
		if (message != null) {
			Class<?> payloadType = ResolvableType.forMethodParameter(message).as(Message.class).getGeneric(0)
				.resolve(Object.class);
			return kindOf(payloadType);
		}
		return PayloadKind.BYTES;
	}

	static PayloadKind kindOf(Class<?> payloadType) {
		if (payloadType == byte[].class || ByteBuffer.class.isAssignableFrom(payloadType)
				|| payloadType == Object.class) {
			return PayloadKind.BYTES;
		}
		if (payloadType == String.class) {
			return PayloadKind.TEXT;
		}
		return PayloadKind.JSON;
	}

}
