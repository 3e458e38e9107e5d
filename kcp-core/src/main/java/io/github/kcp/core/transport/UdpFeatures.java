package io.github.kcp.core.transport;

import io.netty.channel.epoll.EpollDatagramChannel;

/** What the running kernel and Netty's native library offer for UDP, probed once. */
final class UdpFeatures {

	private static final boolean SEGMENTATION_OFFLOAD = probeSegmentationOffload();

	private UdpFeatures() {
	}

	/** Whether UDP GSO ({@code UDP_SEGMENT} with {@code sendmmsg}) is available to native epoll channels. */
	static boolean isSegmentationOffloadSupported() {
		return SEGMENTATION_OFFLOAD;
	}

	private static boolean probeSegmentationOffload() {
		try {
			return KcpEventLoopGroup.isNativeTransportAvailable()
					&& EpollDatagramChannel.isSegmentedDatagramPacketSupported();
		}
		catch (Throwable ex) {
			return false;
		}
	}

}
