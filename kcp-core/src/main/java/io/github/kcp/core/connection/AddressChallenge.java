package io.github.kcp.core.connection;

import io.github.kcp.core.protocol.KcpCodec;

/**
 * A server's proof that a peer which only sends receives the server's datagrams at its address. A peer is proven when
 * it acknowledges data the server sent ({@link PeerValidation}); a peer that uploads to a server that never answers
 * has nothing to acknowledge, and would live under the unproven terms for good: its receive window held to the
 * unproven budget (about 64 KiB per round trip: 30 MB/s on loopback, 1.3 MB/s over a 50 ms path).
 * <p>
 * So, while the peer is unproven and understands the extensions (it offered the close signal, see
 * {@link CloseSignalOffer}; standard peers never see this), the server marks a datagram it sends anyway at most every
 * {@value #INTERVAL} ms with a challenge: a window announcement with frg {@link KcpCodec#CLOSE_OFFER_FRG}, sn
 * {@link KcpCodec#ADDRESS_CHALLENGE_SN "KCPA"} and a secret 32-bit value in {@code ts}. The peer echoes the value in
 * the next datagram it sends (sn {@link KcpCodec#ADDRESS_ECHO_SN "KCPV"}, see {@link Echo}), and the echo proves it.
 * An off-path sender forging the peer's address never sees the value: it guesses it with odds of one in 2<sup>32</sup>
 * per echo, and the server looks at no more than {@value #MAX_WRONG_ECHOES} wrong echoes. The secret comes from the
 * server (a {@code SecureRandom} there), since this class draws no randomness of its own.
 */
final class AddressChallenge {

	/** The least time between two challenges, in milliseconds (a lost challenge or echo is repeated after it). */
	static final int INTERVAL = 50;

	/** Wrong echoes after which echoes are no longer looked at (no guessing the secret). */
	static final int MAX_WRONG_ECHOES = 4;

	private final int secret;

	private boolean challenged;

	private long lastChallengeAt;

	private int wrongEchoes;

	private boolean echoed;

	/** @param secret the value the peer must echo (unpredictable to anyone who does not receive it) */
	AddressChallenge(int secret) {
		this.secret = secret;
	}

	/**
	 * Appends a challenge to a datagram about to leave when one is due and the datagram has room.
	 * @param buffer the datagram from index 0, with room after it
	 * @param length its length
	 * @param mtu the largest datagram allowed
	 * @param now the current time in milliseconds
	 * @return the datagram's new length
	 */
	int challenge(byte[] buffer, int length, int mtu, long now) {
		if (this.echoed || (this.challenged && now - this.lastChallengeAt < INTERVAL)) {
			return length;
		}
		int marked = KcpCodec.appendMark(buffer, length, mtu, KcpCodec.ADDRESS_CHALLENGE_SN, this.secret);
		if (marked != length) {
			this.challenged = true;
			this.lastChallengeAt = now;
		}
		return marked;
	}

	/**
	 * Looks at a received plaintext datagram for the echo of the challenge.
	 * @return whether it carries the right echo (the peer is proven)
	 */
	boolean received(byte[] data, int offset, int length) {
		if (this.echoed || !this.challenged || this.wrongEchoes >= MAX_WRONG_ECHOES) {
			return this.echoed;
		}
		int mark = KcpCodec.findMark(data, offset, length, KcpCodec.ADDRESS_ECHO_SN);
		if (mark < 0) {
			return false;
		}
		if (KcpCodec.readInt(data, mark + 8) == this.secret) {
			this.echoed = true;
		}
		else {
			this.wrongEchoes++;
		}
		return this.echoed;
	}

	/** Whether the peer echoed the challenge. */
	boolean echoed() {
		return this.echoed;
	}

	@Override
	public String toString() {
		return "AddressChallenge{challenged=" + this.challenged + ", echoed=" + this.echoed + ", wrongEchoes="
				+ this.wrongEchoes + "}";
	}

	/**
	 * The peer's side: echoes the latest challenge it received on the next datagram it sends that has room (clients
	 * and pairs; a server's connection echoes nothing).
	 */
	static final class Echo {

		private boolean owed;

		private int value;

		/** Looks at a received plaintext datagram for a challenge. */
		void received(byte[] data, int offset, int length) {
			int mark = KcpCodec.findMark(data, offset, length, KcpCodec.ADDRESS_CHALLENGE_SN);
			if (mark >= 0) {
				this.value = KcpCodec.readInt(data, mark + 8);
				this.owed = true;
			}
		}

		/**
		 * Appends the echo owed, if any, to a datagram about to leave that has room for it.
		 * @return the datagram's new length
		 */
		int echo(byte[] buffer, int length, int mtu) {
			if (!this.owed) {
				return length;
			}
			int marked = KcpCodec.appendMark(buffer, length, mtu, KcpCodec.ADDRESS_ECHO_SN, this.value);
			if (marked != length) {
				this.owed = false;
			}
			return marked;
		}

	}

}
