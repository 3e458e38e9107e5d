package io.github.kcp.testsupport.relay;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * Tests for {@link LinkImpairment}.
 */
class LinkImpairmentTest {

	@Test
	void noneIsNeutral() {
		LinkImpairment none = LinkImpairment.none();
		assertThat(none.lossToTarget()).isZero();
		assertThat(none.lossToClient()).isZero();
		assertThat(none.delay()).isZero();
		assertThat(none.jitter()).isZero();
		assertThat(none.reorderProbability()).isZero();
		assertThat(none.duplicateProbability()).isZero();
		assertThat(none.hasBandwidthCap()).isFalse();
		assertThat(none.queueLimit()).isEqualTo(LinkImpairment.DEFAULT_QUEUE_LIMIT);
		assertThat(none.seed()).isEqualTo(LinkImpairment.DEFAULT_SEED);
	}

	@Test
	void cutLosesEverythingBothWays() {
		assertThat(LinkImpairment.cut().lossToTarget()).isEqualTo(1.0);
		assertThat(LinkImpairment.cut().lossToClient()).isEqualTo(1.0);
	}

	@Test
	void lossSetsBothDirectionsAndDirectionalLossOverrides() {
		LinkImpairment impairment = LinkImpairment.builder().loss(0.2).lossToClient(0.5).build();
		assertThat(impairment.lossToTarget()).isEqualTo(0.2);
		assertThat(impairment.lossToClient()).isEqualTo(0.5);
	}

	@Test
	void toBuilderRoundTrips() {
		LinkImpairment impairment = LinkImpairment.builder()
			.lossToTarget(0.1)
			.lossToClient(0.2)
			.delay(Duration.ofMillis(5))
			.jitter(Duration.ofMillis(2))
			.reorder(0.3, Duration.ofMillis(7))
			.duplicate(0.4)
			.bandwidth(1_000_000)
			.queueLimit(17)
			.seed(99)
			.build();
		assertThat(impairment.toBuilder().build()).isEqualTo(impairment);
		assertThat(impairment.toBuilder().seed(100).build().seed()).isEqualTo(100);
		assertThat(impairment.hasBandwidthCap()).isTrue();
	}

	@Test
	void rejectsOutOfRangeSettings() {
		assertThatIllegalArgumentException().isThrownBy(() -> LinkImpairment.builder().loss(1.5).build())
			.withMessageContaining("lossToTarget");
		assertThatIllegalArgumentException().isThrownBy(() -> LinkImpairment.builder().lossToClient(-0.1).build())
			.withMessageContaining("lossToClient");
		assertThatIllegalArgumentException().isThrownBy(() -> LinkImpairment.builder().duplicate(Double.NaN).build())
			.withMessageContaining("duplicateProbability");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LinkImpairment.builder().delay(Duration.ofMillis(-1)).build())
			.withMessageContaining("delay");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LinkImpairment.builder().reorder(0.5, Duration.ZERO).build())
			.withMessageContaining("reorderDelay");
		assertThatIllegalArgumentException().isThrownBy(() -> LinkImpairment.builder().bandwidth(-1).build())
			.withMessageContaining("bandwidth");
		assertThatIllegalArgumentException().isThrownBy(() -> LinkImpairment.builder().queueLimit(0).build())
			.withMessageContaining("queueLimit");
		assertThatNullPointerException().isThrownBy(() -> LinkImpairment.builder().jitter(null).build())
			.withMessageContaining("jitter");
	}

}
