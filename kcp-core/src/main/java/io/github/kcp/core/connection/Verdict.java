package io.github.kcp.core.connection;

import java.util.EnumMap;
import java.util.Map;

import io.github.kcp.core.protocol.KcpCodec;
import org.jspecify.annotations.Nullable;

/**
 * What a server does with a datagram of an unknown conversation ({@link ConversationTable#admit}): open the
 * conversation, or drop the datagram, counted under a {@link DropReason} and possibly answered with a close signal
 * so that the peer stops at once.
 *
 * @param dropReason why it is dropped, or {@code null} if the conversation opens
 * @param answer the close signal to send back to the sender ({@link KcpCodec#CMD_CLOSE} or
 * {@link KcpCodec#CMD_CLOSE_ACK}), or 0 for none
 */
public record Verdict(@Nullable DropReason dropReason, int answer) {

	/** Open the conversation. */
	public static final Verdict ADMIT = new Verdict(null, 0);

	private static final Map<DropReason, Verdict> SILENT_DROPS = new EnumMap<>(DropReason.class);

	static {
		for (DropReason reason : DropReason.values()) {
			SILENT_DROPS.put(reason, new Verdict(reason, 0));
		}
	}

	/** Drop and answer with a close signal ("this conversation is closed"). */
	static final Verdict CLOSED_ANSWER_CLOSE = new Verdict(DropReason.CLOSED_SESSION, KcpCodec.CMD_CLOSE);

	/** Drop and confirm the peer's close signal. */
	static final Verdict CLOSED_ANSWER_CLOSE_ACK = new Verdict(DropReason.CLOSED_SESSION, KcpCodec.CMD_CLOSE_ACK);

	/** Drop without an answer. */
	public static Verdict drop(DropReason reason) {
		return SILENT_DROPS.get(reason);
	}

	/** Whether the conversation opens. */
	public boolean admitted() {
		return this.dropReason == null;
	}

}
