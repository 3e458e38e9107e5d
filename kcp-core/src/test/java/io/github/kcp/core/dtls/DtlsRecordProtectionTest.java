package io.github.kcp.core.dtls;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.github.kcp.testsupport.pki.TestPki;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an established connection does with records it must not deliver: replayed, altered, truncated or
 * garbage datagrams are dropped and counted by reason, never thrown, and the connection goes on.
 */
class DtlsRecordProtectionTest {

	private static final TestPki.Identity CA = TestPki.authority("Test CA");

	@Test
	void replayedAlteredAndMalformedDatagramsAreDroppedAndCountedAndTheConnectionGoesOn() {
		List<ByteBuffer> clientToServer = new ArrayList<>();
		DtlsSimulation sim = DtlsHandshakeTest.simulation(DtlsClientAuth.NONE, TestPki.context(TestPki.server(CA, "server"), CA));
		sim.tap((now, source, toServer, datagram) -> {
			if (toServer) {
				clientToServer.add(datagram);
			}
		});
		DtlsSimulation.Client client = sim.connect("10.0.0.1:5000",
				DtlsHandshakeTest.clientSettings(TestPki.context(null, CA)), "localhost");
		sim.runUntil(() -> client.done() && DtlsHandshakeTest.serverDone(sim, client), 60_000);
		sim.clientSend(client, ByteBuffer.wrap(new byte[] { 42 }));
		sim.runUntil(() -> client.received.size() == 1, 60_000);
		ByteBuffer record = clientToServer.get(clientToServer.size() - 1);
		DtlsConnection server = sim.server.connection(client.source);

		server.handleDatagram(sim.now(), record.duplicate());
		// A later sequence number passes the replay window but not authentication (it is in the AEAD's data)
		ByteBuffer altered = copy(record);
		altered.put(10, (byte) (altered.get(10) + 7));
		server.handleDatagram(sim.now(), altered);
		server.handleDatagram(sim.now(), copy(record).limit(record.remaining() - 1));
		server.handleDatagram(sim.now(), ByteBuffer.wrap(new byte[] { 23, (byte) 0xfe, (byte) 0xfd, 0, 1 }));

		assertThat(server.dropped(DtlsConnection.Drop.REPLAYED)).isEqualTo(1);
		assertThat(server.dropped(DtlsConnection.Drop.NOT_AUTHENTIC)).isEqualTo(1);
		assertThat(server.dropped(DtlsConnection.Drop.MALFORMED)).isEqualTo(2);
		assertThat(server.pollReceived()).as("nothing delivered").isNull();
		assertThat(server.state()).isEqualTo(DtlsConnection.State.ESTABLISHED);
		sim.clientSend(client, ByteBuffer.wrap(new byte[] { 43 }));
		sim.runUntil(() -> client.received.size() == 2, 60_000);
		assertThat(DtlsHandshakeTest.bytes(client.received.get(1))).containsExactly(43);
	}

	@Test
	void recordsOutOfOrderWithinTheWindowAreDeliveredOnce() {
		ReplayWindow window = new ReplayWindow();
		window.accept(1, 100);
		assertThat(window.isFresh(1, 99)).isTrue();
		window.accept(1, 99);
		assertThat(window.isFresh(1, 99)).isFalse();
		assertThat(window.isFresh(1, 100)).isFalse();
		assertThat(window.isFresh(1, 100 - 64)).as("older than the window").isFalse();
		assertThat(window.isFresh(1, 100 - 63)).isTrue();
		window.accept(1, 1_000);
		assertThat(window.isFresh(1, 999)).isTrue();
		assertThat(window.isFresh(1, 100)).isFalse();
		assertThat(window.isFresh(0, 5_000)).as("an older epoch").isFalse();
		assertThat(window.isFresh(2, 0)).as("a newer epoch").isTrue();
	}

	private static ByteBuffer copy(ByteBuffer source) {
		return ByteBuffer.allocate(source.remaining()).put(source.duplicate()).flip();
	}

}
