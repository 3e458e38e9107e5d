package io.github.kcp.spring.listener.adapter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.kcp.spring.support.KcpHeaders;
import org.jspecify.annotations.Nullable;

import org.springframework.messaging.Message;
import org.springframework.messaging.handler.DestinationPatternsMessageCondition;
import org.springframework.messaging.handler.annotation.support.DestinationVariableMethodArgumentResolver;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.util.AntPathMatcher;
import org.springframework.util.RouteMatcher;
import org.springframework.util.SimpleRouteMatcher;

/**
 * Routes by the route a message carries (header {@link KcpHeaders#ROUTE}, set from the messaging envelope), with
 * spring-messaging's matching: {@link DestinationPatternsMessageCondition} over a {@link SimpleRouteMatcher} with
 * dots as separators, the most specific matching pattern winning, and the values of its placeholders handed to
 * {@code @DestinationVariable} parameters. Messages without a route go to the handlers without one, by the
 * {@link PayloadKindRouter payload-kind rule}.
 */
public final class RouteMatchingRouter implements KcpHandlerRouter {

	private final RouteMatcher routeMatcher = new SimpleRouteMatcher(new AntPathMatcher("."));

	private final List<Mapping> mappings = new ArrayList<>();

	private final PayloadKindRouter routeless;

	/**
	 * @param handlers handlers with routes, and at most one without a route per payload kind
	 * @throws io.github.kcp.spring.config.KcpHandlerConfigurationException if two routeless handlers take the same
	 * kind of payload
	 */
	public RouteMatchingRouter(List<HandlerAdapter> handlers) {
		List<HandlerAdapter> withoutRoute = new ArrayList<>();
		for (HandlerAdapter handler : handlers) {
			List<String> routes = handler.getEndpoint().getRoutes();
			if (routes.isEmpty()) {
				withoutRoute.add(handler);
			}
			else {
				this.mappings.add(new Mapping(
						new DestinationPatternsMessageCondition(routes.toArray(String[]::new), this.routeMatcher),
						handler));
			}
		}
		this.routeless = new PayloadKindRouter(withoutRoute);
	}

	@Override
	public @Nullable Match route(Message<byte[]> message) {
		Object header = message.getHeaders().get(KcpHeaders.ROUTE);
		String route = (header != null) ? header.toString() : "";
		if (route.isEmpty()) {
			return this.routeless.route(message);
		}
		RouteMatcher.Route parsed = this.routeMatcher.parseRoute(route);
		Message<byte[]> lookup = MessageBuilder.fromMessage(message)
			.setHeader(DestinationPatternsMessageCondition.LOOKUP_DESTINATION_HEADER, parsed)
			.build();
		DestinationPatternsMessageCondition best = null;
		HandlerAdapter bestHandler = null;
		for (Mapping mapping : this.mappings) {
			DestinationPatternsMessageCondition matching = mapping.condition().getMatchingCondition(lookup);
			if (matching != null && (best == null || matching.compareTo(best, lookup) < 0)) {
				best = matching;
				bestHandler = mapping.handler();
			}
		}
		if (best == null || bestHandler == null) {
			return null;
		}
		String pattern = best.getPatterns().iterator().next();
		Map<String, String> variables = this.routeMatcher.matchAndExtract(pattern, parsed);
		if (variables == null || variables.isEmpty()) {
			return new Match(bestHandler, lookup);
		}
		return new Match(bestHandler, MessageBuilder.fromMessage(lookup)
			.setHeader(DestinationVariableMethodArgumentResolver.DESTINATION_TEMPLATE_VARIABLES_HEADER, variables)
			.build());
	}

	@Override
	public String toString() {
		return "RouteMatchingRouter" + this.mappings.stream().map(Mapping::handler).toList() + " + " + this.routeless;
	}

	private record Mapping(DestinationPatternsMessageCondition condition, HandlerAdapter handler) {
	}

}
