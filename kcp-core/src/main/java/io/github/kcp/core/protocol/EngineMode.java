package io.github.kcp.core.protocol;

/**
 * How a {@link Kcp} engine recovers from loss and schedules itself. Both modes speak the same wire format and
 * interoperate with any KCP peer; they differ only in when they send what.
 */
public enum EngineMode {

	/**
	 * Exactly skywind3000's ikcp.c (with {@code IKCP_FASTACK_CONSERVE}): fed the same datagrams at the same times,
	 * the engine emits the same bytes. Retransmission timeouts are served on the next interval tick; the timeout
	 * backoff is ikcp's (doubling with nodelay 0, growing by half with nodelay 1); every acknowledgement is sent.
	 */
	IKCP,

	/**
	 * The default: ikcp's algorithm with the loss recovery of kcp-go and TCP.
	 * <ul>
	 * <li>Early retransmit (kcp-go): a segment with one duplicate acknowledgement is resent at the next flush when
	 * no new data leaves in it.</li>
	 * <li>Timeout retransmissions at the exact deadline: {@link Kcp#check} names it and {@link Kcp#update} serves
	 * it, instead of waiting for the next interval tick.</li>
	 * <li>The retransmission timer restarts when an acknowledgement makes progress (RFC 6298 5.3), so that the tail
	 * of a burst acknowledged slowly is not resent needlessly.</li>
	 * <li>Backoff as kcp-go: each timeout adds the estimated RTO (nodelay 0) or half of it (nodelay 1 and 2).</li>
	 * <li>Acknowledgements of segments below rcv_nxt are dropped from a flush, except the latest (kcp-go): they only
	 * repeat what una says.</li>
	 * <li>{@link Kcp#check} costs O(1): the earliest retransmission deadline is kept by each flush.</li>
	 * </ul>
	 */
	TUNED

}
