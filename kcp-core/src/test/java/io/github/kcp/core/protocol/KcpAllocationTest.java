package io.github.kcp.core.protocol;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The engine allocates nothing per segment once warmed up: segments come from its pool, queues are array rings,
 * and datagrams are built in one reused buffer. Measured with the JVM's per-thread allocation counter over a bulk
 * transfer between two engines joined by preallocated in-memory slots (the set-up of the JMH benchmark), with and
 * without loss. One megabyte is some 760 segments and as many acknowledgements, so even one small object per
 * segment would show as kilobytes per megabyte.
 */
class KcpAllocationTest {

	private static final long MEGABYTE = 1 << 20;

	@ParameterizedTest(name = "message size {0}, stream {1}, every {2}th datagram lost (0: none)")
	@CsvSource({ "1376, false, 0", "16384, true, 0", "1376, false, 10", "16384, true, 3" })
	@Timeout(60)
	void bulkTransferAllocatesNothingPerSegment(int messageSize, boolean stream, int dropEvery) {
		com.sun.management.ThreadMXBean threads = threadBean();
		Wire forward = new Wire(dropEvery);
		Wire backward = new Wire(dropEvery);
		Kcp sender = configure(new Kcp(1, forward), stream);
		Kcp receiver = configure(new Kcp(1, backward), stream);
		Transfer transfer = new Transfer(sender, receiver, forward, backward, messageSize);
		// Warm-up: the pool, the rings and the acknowledgement list reach their working sizes (at a third of the
		// datagrams lost, the tuned mode's early retransmissions take the list to its peak only after some 20 MB).
		transfer.run(48 * MEGABYTE);

		long thread = Thread.currentThread().getId();
		long before = threads.getThreadAllocatedBytes(thread);
		long received = transfer.run(64 * MEGABYTE);
		long allocated = threads.getThreadAllocatedBytes(thread) - before;

		assertThat(received).isGreaterThanOrEqualTo(64 * MEGABYTE);
		if (dropEvery > 0) {
			assertThat(sender.timeoutRetransmissions() + sender.fastRetransmissions()).isPositive();
		}
		assertThat(allocated / 64).as("bytes allocated per megabyte transferred (%d in all)", allocated)
			.isLessThan(256);
	}

	private static com.sun.management.ThreadMXBean threadBean() {
		boolean supported = ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
				&& bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled();
		assumeTrue(supported, "the JVM counts allocated bytes per thread");
		return (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
	}

	private static Kcp configure(Kcp kcp, boolean stream) {
		kcp.setMtu(1400);
		kcp.setWindowSize(1024, 1024);
		kcp.setNoDelay(1, 10, 2, true);
		kcp.setStream(stream);
		return kcp;
	}

	/** A one-way link of preallocated slots that loses every {@code dropEvery}-th datagram (0: none). */
	private static final class Wire implements KcpOutput {

		private final byte[][] slots = new byte[4096][1400];

		private final int[] lengths = new int[4096];

		private final int dropEvery;

		private int count;

		private long sequence;

		Wire(int dropEvery) {
			this.dropEvery = dropEvery;
		}

		@Override
		public void output(byte[] buffer, int length) {
			System.arraycopy(buffer, 0, this.slots[this.count], 0, length);
			this.lengths[this.count++] = length;
		}

		void deliverTo(Kcp receiver, int now) {
			for (int i = 0; i < this.count; i++) {
				if (this.dropEvery > 0 && ++this.sequence % this.dropEvery == 0) {
					continue;
				}
				receiver.input(this.slots[i], 0, this.lengths[i], now);
			}
			this.count = 0;
		}

	}

	/** Pushes bytes from sender to receiver, one virtual millisecond per round, as fast as the windows allow. */
	private static final class Transfer {

		private final Kcp sender;

		private final Kcp receiver;

		private final Wire forward;

		private final Wire backward;

		private final byte[] message;

		private final byte[] buffer = new byte[1 << 20];

		private int now;

		Transfer(Kcp sender, Kcp receiver, Wire forward, Wire backward, int messageSize) {
			this.sender = sender;
			this.receiver = receiver;
			this.forward = forward;
			this.backward = backward;
			this.message = new byte[messageSize];
		}

		long run(long total) {
			long sent = 0;
			long received = 0;
			for (int round = 0; received < total; round++) {
				if (round > 10_000_000) {
					// Not assertThat: the check must not allocate on every round of the measured loop.
					throw new AssertionError("No progress: " + received + " of " + total + " bytes received");
				}
				while (sent < total && this.sender.waitSnd() < 2048) {
					this.sender.send(this.message, 0, this.message.length);
					sent += this.message.length;
				}
				this.sender.flush(this.now);
				this.forward.deliverTo(this.receiver, this.now);
				int size;
				while ((size = this.receiver.receive(this.buffer, 0, this.buffer.length)) >= 0) {
					received += size;
				}
				this.receiver.flushAcks(this.now);
				this.backward.deliverTo(this.sender, this.now);
				this.now++;
			}
			return received;
		}

	}

}
