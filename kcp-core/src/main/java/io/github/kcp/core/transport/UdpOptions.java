package io.github.kcp.core.transport;

/**
 * How an endpoint (a {@link KcpServer}, a client session) moves datagrams through its socket: the batching and
 * offloads of native epoll, used only where the running kernel has them (probed at run time), each with a switch. With NIO (other systems, or {@link KcpEventLoopGroup} without native epoll)
 * none of them applies. None of them changes what goes on the wire: a peer receives the same datagrams either way.
 * <ul>
 * <li>{@link #batchedReads()}: many datagrams per read system call ({@code recvmmsg}).</li>
 * <li>{@link #batchedWrites()}: the datagrams of one round of work (a burst of input, a timer, a send) leave with
 * one flush, which native epoll turns into one {@code sendmmsg}; off, each datagram is flushed on its own.</li>
 * <li>{@link #segmentationOffload()}: UDP GSO. Consecutive datagrams of one flush to one peer that are all of one
 * size (the last may be shorter) are handed to the kernel as one buffer, which it cuts into those datagrams (up to
 * 64 per call). The peer still receives ordinary datagrams. If the kernel refuses a segmented write (a route whose
 * MTU is smaller than the datagrams, a device without checksum offload), the endpoint stops using GSO, logs it once,
 * and KCP retransmits what was lost.</li>
 * <li>{@link #receiveOffload()}: UDP GRO, <b>off by default</b>. The kernel may hand over several datagrams of one
 * sender as one buffer (notably those a peer sent with GSO), which the endpoint splits again. Netty (4.2) reports
 * the segment size of such a buffer only to single reads, so with GRO the endpoint reads one buffer per system call
 * instead of using {@code recvmmsg}: a gain with a peer that sends with GSO (this library), a loss with one that does
 * not (kcp-go and other standard peers, whose datagrams are then read one per call).</li>
 * </ul>
 *
 * @param batchedReads whether to read many datagrams per system call
 * @param batchedWrites whether to flush the datagrams of a round of work together
 * @param segmentationOffload whether to use UDP GSO for runs of equal-sized datagrams to one peer
 * @param receiveOffload whether to let the kernel coalesce received datagrams (UDP GRO)
 */
public record UdpOptions(boolean batchedReads, boolean batchedWrites, boolean segmentationOffload,
		boolean receiveOffload) {

	private static final UdpOptions DEFAULTS = new UdpOptions(true, true, true, false);

	private static final UdpOptions PLAIN = new UdpOptions(false, false, false, false);

	/** The default: batched reads and writes and GSO where the kernel has them; no GRO (see above). */
	public static UdpOptions defaults() {
		return DEFAULTS;
	}

	/** Everything off: one datagram per system call, as NIO does. */
	public static UdpOptions plain() {
		return PLAIN;
	}

	/** A copy with {@link #batchedReads()} set. */
	public UdpOptions withBatchedReads(boolean enabled) {
		return new UdpOptions(enabled, this.batchedWrites, this.segmentationOffload, this.receiveOffload);
	}

	/** A copy with {@link #batchedWrites()} set. */
	public UdpOptions withBatchedWrites(boolean enabled) {
		return new UdpOptions(this.batchedReads, enabled, this.segmentationOffload, this.receiveOffload);
	}

	/** A copy with {@link #segmentationOffload()} (UDP GSO) set. */
	public UdpOptions withSegmentationOffload(boolean enabled) {
		return new UdpOptions(this.batchedReads, this.batchedWrites, enabled, this.receiveOffload);
	}

	/** A copy with {@link #receiveOffload()} (UDP GRO) set. */
	public UdpOptions withReceiveOffload(boolean enabled) {
		return new UdpOptions(this.batchedReads, this.batchedWrites, this.segmentationOffload, enabled);
	}

}
