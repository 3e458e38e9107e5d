package io.github.kcp.core.connection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.github.kcp.core.connection.VirtualNetwork.Endpoint;
import io.github.kcp.core.connection.VirtualNetwork.Sent;
import io.github.kcp.core.connection.VirtualNetwork.Server;
import io.github.kcp.core.connection.VirtualNetwork.Session;
import io.github.kcp.core.protocol.KcpCodec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static io.github.kcp.core.connection.KcpConnectionCloseTest.FAST;
import static io.github.kcp.core.connection.KcpConnectionCloseTest.message;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server's graceful stop loses no acknowledged message, in virtual time: from the start of the stop it acknowledges
 * no new data (the peer keeps it for a retry elsewhere) while acknowledgements of its own data still count, so its
 * replies drain; what it acknowledged before is delivered to the handler. The KcpServer does exactly this: its
 * {@code stopReceiving} and {@code shutdown} call the same table methods as this simulated shell.
 */
class ServerShutdownTest {

	private static final int CLIENTS = 4;

	@ParameterizedTest(name = "seed {0}")
	@ValueSource(longs = { 1, 2, 3, 4, 5 })
	void everyMessageAcknowledgedBeforeTheStopIsHandledAndEveryOtherFailsAtItsSender(long seed) {
		VirtualNetwork net = new VirtualNetwork(seed);
		Server server = net.server("server", FAST.toBuilder().closeTimeout(Duration.ofSeconds(5)).build(),
				new SessionLimits<>(100, 0), 60_000);
		// The handler replies to every request.
		server.onOpen = (session) -> session.onMessage = (request) -> session.send(reply(request));
		server.link.delay(10).loss(0.1);
		List<Endpoint> clients = new ArrayList<>();
		for (int i = 0; i < CLIENTS; i++) {
			Endpoint client = net.endpoint("client-" + i, "server", 100 + i, FAST);
			client.link.delay(10).loss(0.1);
			clients.add(client);
		}

		// The clients stream requests; the stop begins in the middle of it.
		int index = 0;
		while (net.elapsed() < 2_000) {
			if (net.elapsed() == 600) {
				server.stopReceiving();
			}
			if (net.elapsed() == 1_000) {
				server.shutdown(5_000);
			}
			for (Endpoint client : clients) {
				if (client.session.connection.canSend()) {
					client.session.send(message(index++, 100));
				}
			}
			net.advance(2);
		}
		net.runUntil("everyone closed", 30_000,
				() -> server.table.isEmpty() && clients.stream().allMatch((c) -> c.session.closed != null));

		long acknowledged = 0;
		long handled = 0;
		for (Endpoint client : clients) {
			Session served = served(server, client);
			assertThat(client.session.closed).isEqualTo(CloseReason.CLOSED_BY_PEER);
			assertThat(served.closed).isEqualTo(CloseReason.SERVER_SHUTDOWN);
			// Exactly the acknowledged requests were handled, in order; the others failed at their sender.
			assertThat(served.messages).hasSize(client.session.acknowledged);
			assertThat(client.session.failedSends).isEqualTo(client.session.sends - client.session.acknowledged);
			// Every reply to a handled request reached its client and was acknowledged.
			assertThat(served.acknowledged).isEqualTo(served.sends).isEqualTo(served.messages.size());
			assertThat(client.session.messages).hasSize(served.messages.size());
			for (int i = 0; i < served.messages.size(); i++) {
				assertThat(client.session.messages.get(i)).isEqualTo(reply(served.messages.get(i)));
			}
			acknowledged += client.session.acknowledged;
			handled += served.messages.size();
		}
		assertThat(handled).isEqualTo(acknowledged);
		// The stop did cut the stream short: some requests were refused for a retry elsewhere.
		assertThat(clients.stream().mapToInt((c) -> c.session.failedSends).sum()).isPositive();
		assertThat(acknowledged).isPositive();
	}

	@Test
	void afterStopReceivingNewDataIsNeitherAcknowledgedNorDeliveredWhileRepliesComplete() {
		VirtualNetwork net = new VirtualNetwork(9);
		Server server = net.server("server", FAST, new SessionLimits<>(10, 0), 60_000);
		List<Session> sessions = new ArrayList<>();
		server.onOpen = sessions::add;
		Endpoint client = net.endpoint("client", "server", 77, FAST);
		server.link.delay(10);
		client.link.delay(10);
		client.session.send(message(1, 50));
		net.runUntil("delivered and acknowledged", 1000,
				() -> !sessions.isEmpty() && sessions.get(0).messages.size() == 1 && client.session.acknowledged == 1);
		Session served = sessions.get(0);

		server.stopReceiving();
		client.session.send(message(2, 50));
		// A reply to the first request, sent after the stop began, is still acknowledged by the client.
		served.send(reply(message(1, 50)));
		net.advance(2_000);

		assertThat(served.messages).as("nothing new delivered").hasSize(1);
		assertThat(client.session.acknowledged).as("nothing new acknowledged").isEqualTo(1);
		assertThat(net.sent("client", KcpCodec.CMD_PUSH).size()).as("the client keeps retrying").isGreaterThan(3);
		assertThat(served.acknowledged).as("the reply completed").isEqualTo(1);
		assertThat(client.session.messages).containsExactly(reply(message(1, 50)));
		// No acknowledgement of the new segment (sn 1) ever left the server.
		assertThat(net.sent().stream().filter((d) -> d.from().equals("server")).mapToLong((d) -> acknowledges(d, 1)).sum())
			.isZero();
		// A new conversation is refused too.
		Endpoint late = net.endpoint("late", "server", 78, FAST);
		late.session.send(message(3, 10));
		net.advance(100);
		assertThat(server.drops(DropReason.SHUTTING_DOWN)).isPositive();
		assertThat(server.table.size()).isEqualTo(1);
	}

	@Test
	void aRetransmissionOfDataReceivedBeforeTheStopIsAcknowledgedAgain() {
		VirtualNetwork net = new VirtualNetwork(10);
		Server server = net.server("server", FAST, new SessionLimits<>(10, 0), 60_000);
		List<Session> sessions = new ArrayList<>();
		server.onOpen = sessions::add;
		Endpoint client = net.endpoint("client", "server", 79, FAST);
		server.link.delay(10);
		client.link.delay(10);
		// The server's acknowledgements of the request are lost until the stop: the client retransmits it after.
		server.link.drop((sent) -> sent.cmd() == KcpCodec.CMD_ACK && server.table.isReceiving());
		client.session.send(message(1, 50));
		net.runUntil("delivered", 1000, () -> !sessions.isEmpty() && sessions.get(0).messages.size() == 1);
		server.stopReceiving();
		assertThat(client.session.acknowledged).isZero();

		net.runUntil("acknowledged after all", 5_000, () -> client.session.acknowledged == 1);
		assertThat(sessions.get(0).messages).as("delivered once").hasSize(1);
	}

	@Test
	void dataRefusalKeepsAcknowledgementsUnaAndDuplicatesButNotNewData() {
		byte[] ack = ConversationTableTest.segment(5, KcpCodec.CMD_ACK, 3, new byte[0]);
		byte[] oldPush = ConversationTableTest.segment(5, KcpCodec.CMD_PUSH, 1, new byte[] { 9, 9 });
		byte[] newPush = ConversationTableTest.segment(5, KcpCodec.CMD_PUSH, 2, new byte[] { 1, 2, 3 });
		KcpCodec.writeInt(newPush, 16, 42);
		byte[] datagram = ConversationTableTest.concat(ConversationTableTest.concat(ack, oldPush), newPush);

		byte[] refused = DataRefusal.withoutNewData(datagram, 0, datagram.length, 2);

		assertThat(refused).hasSize(ack.length + oldPush.length + KcpCodec.OVERHEAD);
		assertThat(Arrays.copyOfRange(refused, 0, ack.length + oldPush.length))
			.isEqualTo(Arrays.copyOfRange(datagram, 0, ack.length + oldPush.length));
		int at = ack.length + oldPush.length;
		assertThat(refused[at + 4] & 0xff).isEqualTo(KcpCodec.CMD_WINS);
		assertThat(KcpCodec.readInt(refused, at + 16)).as("una kept").isEqualTo(42);
		assertThat(KcpCodec.readShort(refused, at + 6)).as("window kept").isEqualTo(128);
		assertThat(KcpCodec.readInt(refused, at + 20)).as("no payload").isZero();
		assertThat(KcpCodec.validate(refused, 0, refused.length)).isEqualTo(io.github.kcp.core.protocol.InputResult.OK);
	}

	private static Session served(Server server, Endpoint client) {
		int conv = client.session.connection.conv();
		return server.opened.stream().filter((s) -> s.connection.conv() == conv).findFirst().orElseThrow();
	}

	private static byte[] reply(byte[] request) {
		byte[] reply = request.clone();
		reply[reply.length - 1] ^= 0x55;
		return reply;
	}

	/** How many acknowledgement segments of {@code sn} the datagram holds. */
	private static long acknowledges(Sent datagram, int sn) {
		byte[] data = datagram.data();
		long count = 0;
		for (int position = 0; data.length - position >= KcpCodec.OVERHEAD;
				position += KcpCodec.OVERHEAD + KcpCodec.readInt(data, position + 20)) {
			if ((data[position + 4] & 0xff) == KcpCodec.CMD_ACK && KcpCodec.readInt(data, position + 12) == sn) {
				count++;
			}
		}
		return count;
	}

}
