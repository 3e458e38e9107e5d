package io.github.kcp.core.protocol;

import java.util.ArrayList;
import java.util.List;

import io.github.kcp.core.protocol.SimulatedLink.Receiver;
import io.github.kcp.core.protocol.SimulatedLink.Sender;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The RTT listener hears the engine's own samples, the ones its smoothed RTT is estimated from: on a link with a
 * fixed one-way delay each sample is that round trip plus at most the receiver's acknowledgement delay (one
 * update interval), and there is one per acknowledgement received (the tuned engine leaves out acknowledgements
 * that una already covers, so there are fewer than data segments).
 */
class KcpRttSamplesTest {

	private static final int ONE_WAY_DELAY = 25;

	private static final int INTERVAL = 10;

	@Test
	void listenerHearsEverySampleTheEstimateIsMadeOf() {
		SimulatedLink link = new SimulatedLink(5, 1_000);
		link.impairBoth((settings) -> settings.delay(ONE_WAY_DELAY, 0));
		Kcp sending = link.left().kcp();
		Kcp receiving = link.right().kcp();
		for (Kcp kcp : new Kcp[] { sending, receiving }) {
			kcp.setNoDelay(1, INTERVAL, 2, true);
			kcp.setWindowSize(64, 128);
		}
		List<Integer> samples = new ArrayList<>();
		sending.setRttListener(samples::add);
		long[] acknowledgements = new long[1];
		link.tap((from, now, data, length) -> {
			if (from == link.right()) {
				acknowledgements[0] += SimulatedLink.count(data, length, KcpCodec.CMD_ACK);
			}
		});
		long total = 64 * 1024;
		Sender sender = new Sender(sending, 3, total, 1000, 64);
		Receiver receiver = new Receiver(receiving, 3, total, 1000, true);
		link.runUntil("64 KB delivered and acknowledged", 60_000, 1_000_000,
				() -> receiver.complete() && sending.waitSnd() == 0, (now) -> {
					sender.pump();
					receiver.drain();
				});

		// Nothing is lost, so every acknowledgement the receiver sent arrived: one sample each.
		assertThat(samples).as("one sample per acknowledgement received").hasSize((int) acknowledgements[0]);
		assertThat(samples).isNotEmpty();
		assertThat(samples).allSatisfy((rtt) -> assertThat(rtt).isBetween(2 * ONE_WAY_DELAY,
				2 * ONE_WAY_DELAY + INTERVAL));
		assertThat(sending.srtt()).isBetween(2 * ONE_WAY_DELAY, 2 * ONE_WAY_DELAY + INTERVAL);

		sending.setRttListener(null);
		int before = samples.size();
		sending.send(new byte[100]);
		link.runUntil("one more message acknowledged", 10_000, 100_000, () -> sending.waitSnd() == 0,
				(now) -> {
					while (receiving.receive() != null) {
						// the extra message is not part of the verified transfer
					}
				});
		assertThat(samples).as("no listener, no calls").hasSize(before);
	}

}
