package io.github.kcp.spring.config;

import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;

import javax.security.auth.x500.X500Principal;

import io.github.kcp.core.transport.KcpSession;
import io.github.kcp.spring.annotation.KcpHandler;
import io.github.kcp.spring.support.KcpHeaders;
import org.junit.jupiter.api.Test;

import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link KcpHandlerEndpoint} (which payload a method takes) and {@link KcpHandlerRegistry} (at most one
 * handler per kind).
 */
class KcpHandlerEndpointTests {

	@Test
	void payloadKindFollowsThePayloadParameterType() {
		assertThat(kind("pojo")).isEqualTo(PayloadKind.JSON);
		assertThat(kind("map")).isEqualTo(PayloadKind.JSON);
		assertThat(kind("text")).isEqualTo(PayloadKind.TEXT);
		assertThat(kind("bytes")).isEqualTo(PayloadKind.BYTES);
		assertThat(kind("buffer")).isEqualTo(PayloadKind.BYTES);
		assertThat(kind("object")).isEqualTo(PayloadKind.BYTES);
		assertThat(kind("nothing")).as("no payload parameter").isEqualTo(PayloadKind.BYTES);
	}

	@Test
	void sessionHeadersAndMessageTypesAreNotThePayload() {
		assertThat(kind("textWithSessionAndHeaders")).isEqualTo(PayloadKind.TEXT);
		assertThat(kind("messageOfPojo")).isEqualTo(PayloadKind.JSON);
		assertThat(kind("messageOfText")).isEqualTo(PayloadKind.TEXT);
		assertThat(kind("explicitPayload")).isEqualTo(PayloadKind.JSON);
		assertThat(kind("pojoFromAPeer")).as("the DTLS peer's identity is not the payload").isEqualTo(PayloadKind.JSON);
		assertThat(kind("onlyThePeer")).isEqualTo(PayloadKind.BYTES);
	}

	@Test
	void twoCandidatePayloadsFailNamingTheMethod() {
		assertThatExceptionOfType(KcpHandlerConfigurationException.class)
			.isThrownBy(() -> KcpHandlerEndpoint.of("handlers", new Handlers(), method("twoPayloads")))
			.withMessageContaining("Handlers.twoPayloads(String, Pojo)")
			.withMessageContaining("@Payload");
	}

	@Test
	void registryRefusesASecondHandlerOfTheSameKindNamingBoth() {
		KcpHandlerRegistry registry = new KcpHandlerRegistry();
		registry.register(KcpHandlerEndpoint.of("handlers", new Handlers(), method("text")));
		registry.register(KcpHandlerEndpoint.of("handlers", new Handlers(), method("pojo")));
		assertThat(registry.hasHandlers()).isTrue();
		assertThatExceptionOfType(KcpHandlerConfigurationException.class)
			.isThrownBy(() -> registry.register(
					KcpHandlerEndpoint.of("other", new Handlers(), method("textWithSessionAndHeaders"))))
			.withMessageContaining("handlers: " + Handlers.class.getName() + ".text(String)")
			.withMessageContaining("other: " + Handlers.class.getName()
					+ ".textWithSessionAndHeaders(String, KcpSession, int, InetSocketAddress)");
		assertThat(registry.getEndpoints()).extracting(KcpHandlerEndpoint::getPayloadKind)
			.containsExactly(PayloadKind.TEXT, PayloadKind.JSON);
	}

	private static PayloadKind kind(String methodName) {
		return KcpHandlerEndpoint.of("handlers", new Handlers(), method(methodName)).getPayloadKind();
	}

	private static Method method(String name) {
		for (Method method : Handlers.class.getDeclaredMethods()) {
			if (method.getName().equals(name)) {
				return method;
			}
		}
		throw new IllegalArgumentException(name);
	}

	record Pojo(String name) {
	}

	@SuppressWarnings("unused")
	static class Handlers {

		@KcpHandler
		void pojo(Pojo pojo) {
		}

		@KcpHandler
		void map(Map<String, Object> map) {
		}

		@KcpHandler
		void text(String text) {
		}

		@KcpHandler
		void bytes(byte[] bytes) {
		}

		@KcpHandler
		void buffer(ByteBuffer buffer) {
		}

		@KcpHandler
		void object(Object payload) {
		}

		@KcpHandler
		void nothing(KcpSession session, MessageHeaders headers) {
		}

		@KcpHandler
		void textWithSessionAndHeaders(String text, KcpSession session, @Header(KcpHeaders.CONV) int conv,
				@Header(KcpHeaders.REMOTE_ADDRESS) InetSocketAddress remote) {
		}

		@KcpHandler
		void messageOfPojo(Message<Pojo> message) {
		}

		@KcpHandler
		void messageOfText(Message<String> message, KcpSession session) {
		}

		@KcpHandler
		void explicitPayload(@Payload Pojo pojo, @Header(KcpHeaders.SESSION_ID) String sessionId) {
		}

		@KcpHandler
		void twoPayloads(String text, Pojo pojo) {
		}

		@KcpHandler
		void pojoFromAPeer(Principal peer, Pojo pojo, X509Certificate[] chain, Optional<X500Principal> subject) {
		}

		@KcpHandler
		void onlyThePeer(Principal peer) {
		}

	}

}
