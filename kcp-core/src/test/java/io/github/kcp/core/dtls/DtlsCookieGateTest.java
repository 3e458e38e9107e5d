package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import javax.net.ssl.SSLContext;

import io.github.kcp.testsupport.pki.TestPki;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The stateless admission: spoofed sources get one HelloVerifyRequest each and no state, cookies are bound
 * to the source and expire, and no source draws more bytes than it sent before it has proven its address.
 */
class DtlsCookieGateTest {

	private static final TestPki.Identity CA = TestPki.authority("Test CA");

	private static final SSLContext SERVER = TestPki.context(TestPki.server(CA, "server"), CA);

	private static final SSLContext CLIENT = TestPki.context(null, CA);

	private static final long LIFETIME = DtlsCookieGate.DEFAULT_SECRET_LIFETIME_MILLIS;

	private final DtlsCookieGate gate = DtlsCookieGate.create(new SecureRandom());

	@Test
	void spoofedHellosFromTenThousandSourcesCreateNoConnectionAndDrawNoMoreThanTheySent() {
		DtlsTestServer server = new DtlsTestServer(DtlsSettings.builder(SERVER).build(), gate);
		ByteBuffer hello = clientHello();
		for (int i = 0; i < 10_000; i++) {
			String source = "198.51.100." + (i % 250) + ":" + (1024 + i);
			List<DtlsTestServer.Outgoing> out = server.handle(1_000_000 + i, source, hello.duplicate());

			assertThat(out).hasSize(1);
			assertThat(out.get(0).datagram().remaining()).isLessThanOrEqualTo(hello.remaining());
			assertThat(server.unverifiedTraffic(source)[1]).isLessThanOrEqualTo(server.unverifiedTraffic(source)[0]);
		}
		assertThat(server.connections()).isEmpty();
		assertThat(server.verdicts(DtlsCookieGate.Outcome.REPLY)).isEqualTo(10_000);
	}

	@Test
	void aCookieIsWorthlessFromAnotherSourceAndRepliesStayWithinThreeTimesWhatWasReceived() {
		DtlsTestServer server = new DtlsTestServer(DtlsSettings.builder(SERVER).build(), gate);
		long now = 1_000_000;
		ByteBuffer hello = clientHello();
		// The attacker gets a genuine cookie at its own address...
		ByteBuffer reply = server.handle(now, "203.0.113.7:4000", hello.duplicate()).get(0).datagram();
		ByteBuffer withCookie = withCookie(hello, cookieOf(reply));
		// ...and replays the completed hello from forged addresses: each draws one small reply, no state
		for (int i = 0; i < 1_000; i++) {
			String victim = "192.0.2." + (i % 250) + ":" + (2000 + i);
			List<DtlsTestServer.Outgoing> out = server.handle(now + i, victim, withCookie.duplicate());
			assertThat(out).hasSize(1);
			long[] traffic = server.unverifiedTraffic(victim);
			assertThat(traffic[1]).isLessThanOrEqualTo(3 * traffic[0]).isLessThanOrEqualTo(traffic[0]);
		}
		assertThat(server.connections()).isEmpty();
		// From the address it was made for, the same datagram opens a connection
		server.handle(now + 1_000, "203.0.113.7:4000", withCookie.duplicate());
		assertThat(server.connections()).containsOnlyKeys("203.0.113.7:4000");
	}

	@Test
	void aCookieLivesOneToTwoSecretLifetimesAndSiblingsShareTheSecret() {
		byte[] source = "203.0.113.7:4000".getBytes(StandardCharsets.UTF_8);
		long issued = 7 * LIFETIME + LIFETIME / 2;
		ByteBuffer hello = clientHello();
		ByteBuffer withCookie = withCookie(hello, cookieOf(gate.verify(issued, source, hello).reply()));

		assertThat(gate.verify(issued, source, withCookie).outcome()).isEqualTo(DtlsCookieGate.Outcome.ACCEPT);
		assertThat(gate.sibling().verify(issued + 1, source, withCookie).outcome()).isEqualTo(DtlsCookieGate.Outcome.ACCEPT);
		assertThat(gate.verify(issued + LIFETIME, source, withCookie).outcome()).isEqualTo(DtlsCookieGate.Outcome.ACCEPT);
		assertThat(gate.verify(issued + 2 * LIFETIME, source, withCookie).outcome()).isEqualTo(DtlsCookieGate.Outcome.REPLY);
		assertThat(DtlsCookieGate.create(new SecureRandom()).verify(issued, source, withCookie).outcome())
			.as("another secret").isEqualTo(DtlsCookieGate.Outcome.REPLY);
	}

	@Test
	void aCookieIsBoundToTheRestOfTheHello() {
		byte[] source = "203.0.113.7:4000".getBytes(StandardCharsets.UTF_8);
		ByteBuffer hello = clientHello();
		ByteBuffer withCookie = withCookie(hello, cookieOf(gate.verify(0, source, hello).reply()));
		// One bit of the client random changed: the hello is not the one the cookie was made for
		withCookie.put(13 + 12 + 2, (byte) (withCookie.get(13 + 12 + 2) ^ 1));

		assertThat(gate.verify(0, source, withCookie).outcome()).isEqualTo(DtlsCookieGate.Outcome.REPLY);
	}

	@Test
	void whatIsNotAClientHelloIsDroppedWithAReasonAndNeverThrows() {
		byte[] source = { 1, 2, 3, 4, 0, 80 };
		ByteBuffer hello = clientHello();
		ByteBuffer appData = hello.duplicate();
		ByteBuffer appCopy = ByteBuffer.allocate(appData.remaining()).put(appData).flip();
		appCopy.put(0, (byte) 23);
		ByteBuffer fragmented = ByteBuffer.allocate(hello.remaining()).put(hello.duplicate()).flip();
		fragmented.put(13 + 11, (byte) (fragmented.get(13 + 11) - 1)); // fragment_length one short

		assertThat(gate.verify(0, source, appCopy).rejection()).isEqualTo(DtlsCookieGate.Rejection.NOT_CLIENT_HELLO);
		assertThat(gate.verify(0, source, fragmented).rejection()).isEqualTo(DtlsCookieGate.Rejection.FRAGMENTED);
		assertThat(gate.verify(0, source, ByteBuffer.wrap(new byte[] { 22, (byte) 0xfe })).rejection())
			.isEqualTo(DtlsCookieGate.Rejection.MALFORMED);
		Random random = new Random(7);
		byte[] original = DtlsHandshakeTest.bytes(hello);
		for (int i = 0; i < 20_000; i++) {
			byte[] mutated = original.clone();
			int cut = random.nextInt(mutated.length + 1);
			for (int flips = random.nextInt(4); flips >= 0; flips--) {
				mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
			}
			DtlsCookieGate.Verdict verdict = gate.verify(0, source, ByteBuffer.wrap(mutated, 0, cut));
			if (verdict.outcome() == DtlsCookieGate.Outcome.REPLY) {
				assertThat(verdict.reply().remaining()).isLessThanOrEqualTo(cut);
			}
		}
	}

	@Test
	void aRealClientTakesTwoCookieRoundsTheGatesAndTheEnginesThenCompletes() {
		List<String> flow = new ArrayList<>();
		DtlsSimulation sim = new DtlsSimulation(new DtlsTestServer(DtlsSettings.builder(SERVER).build(), gate), 3);
		sim.tap((now, source, toServer, datagram) -> {
			int type = datagram.get(0) & 0xff;
			flow.add((toServer ? ">" : "<") + ((type == 22 && DtlsRecords.epoch(datagram, 0) == 0) ? handshakeName(datagram.get(13)) : "t" + type));
		});
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000", DtlsSettings.builder(CLIENT).build(), "localhost");

		long took = sim.runUntil(client::done, 10_000);

		assertThat(flow).startsWith(">ClientHello", "<HelloVerifyRequest", ">ClientHello", "<HelloVerifyRequest", ">ClientHello",
				"<ServerHello");
		assertThat(client.connection.state()).isEqualTo(DtlsConnection.State.ESTABLISHED);
		assertThat(took).as("four round trips of 10 ms").isEqualTo(4 * 10);
		assertThat(sim.server.verdicts(DtlsCookieGate.Outcome.ACCEPT)).isEqualTo(1);
	}

	@Test
	void onlyAnAcceptedVerdictOpensAConnection() {
		DtlsCookieGate.Verdict reply = gate.verify(0, new byte[] { 1 }, clientHello());

		assertThatIllegalArgumentException().isThrownBy(() -> DtlsConnection.accept(DtlsSettings.builder(SERVER).build(), reply, 0))
			.withMessageContaining("REPLY");
	}

	private static String handshakeName(byte type) {
		return switch (type) {
			case 1 -> "ClientHello";
			case 2 -> "ServerHello";
			case 3 -> "HelloVerifyRequest";
			default -> "handshake" + type;
		};
	}

	/** A genuine first ClientHello of our client (JDK engine). */
	static ByteBuffer clientHello() {
		DtlsConnection client = DtlsConnection.client(DtlsSettings.builder(CLIENT).build(), "localhost", 4433, 0);
		return client.pollTransmit();
	}

	static byte[] cookieOf(ByteBuffer helloVerifyRequest) {
		int at = 13 + 12 + 2;
		byte[] cookie = new byte[helloVerifyRequest.get(at) & 0xff];
		helloVerifyRequest.get(at + 1, cookie);
		return cookie;
	}

	/** The hello with {@code cookie} put in, as a client retries it (lengths adjusted). */
	static ByteBuffer withCookie(ByteBuffer hello, byte[] cookie) {
		byte[] in = DtlsHandshakeTest.bytes(hello);
		int cookieAt = 13 + 12 + 2 + 32;
		cookieAt += 1 + (in[cookieAt] & 0xff); // session id
		int oldLength = in[cookieAt] & 0xff;
		ByteBuffer out = ByteBuffer.allocate(in.length - oldLength + cookie.length);
		out.put(in, 0, cookieAt).put((byte) cookie.length).put(cookie).put(in, cookieAt + 1 + oldLength, in.length - cookieAt - 1 - oldLength);
		int delta = cookie.length - oldLength;
		out.putShort(11, (short) (((in[11] & 0xff) << 8 | (in[12] & 0xff)) + delta));
		int messageLength = ((in[14] & 0xff) << 16 | (in[15] & 0xff) << 8 | (in[16] & 0xff)) + delta;
		for (int at : new int[] { 14, 22 }) {
			out.put(at, (byte) (messageLength >>> 16)).put(at + 1, (byte) (messageLength >>> 8)).put(at + 2, (byte) messageLength);
		}
		return out.flip();
	}

}
