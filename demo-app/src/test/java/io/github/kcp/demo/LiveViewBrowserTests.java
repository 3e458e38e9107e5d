package io.github.kcp.demo;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.github.kcp.core.transport.KcpSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The live view in a real browser: headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, which
 * {@code .ci/run} installs) loads the page from the demo's HTTP port, and after echo traffic and a few junk
 * datagrams each chart has drawn points and the ones that must move have: sessions, RTT percentiles, throughput,
 * wire bytes and drops above zero, retransmissions drawn (zero on a clean loopback), the session table filled.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "kcp.server.port=0", "demo.raw.port=0", "demo.client.enabled=false" })
@Timeout(120)
class LiveViewBrowserTests {

	private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

	private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

	private static final Duration WAIT = Duration.ofSeconds(30);

	@LocalServerPort
	private int httpPort;

	@Value("${local.kcp.server.raw.port}")
	private int rawPort;

	@BeforeAll
	static void requireChromium() {
		assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
				"Skipped: the live view test needs Chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
						+ " (Debian: apt-get install chromium chromium-driver; .ci/run installs them)");
	}

	@Test
	void chartsGetDataAfterTraffic(@TempDir Path profile) throws Exception {
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM.toFile());
		options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
				"--window-size=1400,1100", "--user-data-dir=" + profile.toAbsolutePath());
		ChromeDriverService service = new ChromeDriverService.Builder()
			.usingDriverExecutable(CHROMEDRIVER.toFile())
			.usingAnyFreePort()
			.build();
		WebDriver driver = new ChromeDriver(service, options);
		KcpSession client = null;
		try {
			driver.get("http://127.0.0.1:" + this.httpPort + "/");
			WebDriverWait wait = new WebDriverWait(driver, WAIT);
			// The page polls once a second: let it draw twice before the traffic, so that rates have a before.
			wait.until((d) -> points(d, "throughput") >= 2);
			assertThat(max(driver, "sessions")).isZero();

			client = EchoTraffic.echo(this.rawPort, 300, 512, Duration.ofSeconds(10));
			EchoTraffic.junk(this.rawPort, 3);

			wait.until((d) -> max(d, "sessions") >= 1 && max(d, "throughput") > 0 && max(d, "bytes") > 0
					&& max(d, "rtt") > 0 && max(d, "drops") >= 3);
			for (String chart : new String[] { "sessions", "rtt", "throughput", "bytes", "retransmissions", "drops" }) {
				assertThat(points(driver, chart)).as("points of %s", chart).isGreaterThanOrEqualTo(2);
				assertThat(driver.findElements(By.cssSelector("[data-chart='" + chart + "'] polyline")))
					.as("lines of %s", chart)
					.isNotEmpty();
			}
			assertThat(driver.findElement(By.id("sessions")).getAttribute("data-rows")).isEqualTo("1");
			assertThat(driver.findElement(By.id("status")).getText()).startsWith("live");
			File screenshot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
			Files.copy(screenshot.toPath(), Path.of("target", "live-view.png"),
					java.nio.file.StandardCopyOption.REPLACE_EXISTING);
		}
		finally {
			if (client != null) {
				client.abort();
			}
			driver.quit();
		}
	}

	private static int points(WebDriver driver, String chart) {
		String value = chartSection(driver, chart).get("data-points");
		return (value != null) ? Integer.parseInt(value) : 0;
	}

	private static double max(WebDriver driver, String chart) {
		String value = chartSection(driver, chart).get("data-max");
		return (value != null) ? Double.parseDouble(value) : 0;
	}

	private static Map<String, String> chartSection(WebDriver driver, String chart) {
		var section = driver.findElement(By.cssSelector("[data-chart='" + chart + "']"));
		String points = section.getAttribute("data-points");
		String max = section.getAttribute("data-max");
		java.util.Map<String, String> attributes = new java.util.HashMap<>();
		if (points != null) {
			attributes.put("data-points", points);
		}
		if (max != null) {
			attributes.put("data-max", max);
		}
		return attributes;
	}

}
