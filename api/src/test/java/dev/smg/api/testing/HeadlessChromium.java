package dev.smg.api.testing;

import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Debian's {@code chromium} driven through its {@code chromedriver} (packages chromium and
 * chromium-driver), headless, for the browser tests. Both paths are given to Selenium, so it never
 * looks for or downloads a driver or a browser of its own (this machine's network would refuse).
 * Override with {@code -Dsmg.chromium=...} and {@code -Dsmg.chromedriver=...}.
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final String BROWSER = System.getProperty("smg.chromium", "/usr/bin/chromium");
    private static final String DRIVER = System.getProperty("smg.chromedriver", "/usr/bin/chromedriver");

    private final WebDriver driver;
    private final Path profile;

    private HeadlessChromium(WebDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    public WebDriver driver() {
        return driver;
    }

    /** Quits the browser and deletes its profile. */
    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (var paths = Files.walk(profile)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Why a browser test cannot run here, in one line; empty when it can. */
    public static Optional<String> missing() {
        if (!Files.isExecutable(Path.of(BROWSER)) || !Files.isExecutable(Path.of(DRIVER))) {
            return Optional.of("no " + (Files.isExecutable(Path.of(BROWSER)) ? DRIVER : BROWSER)
                    + " (apt-get install chromium chromium-driver; scripts/install-browser.sh)");
        }
        return Optional.empty();
    }

    /** A headless browser with a fresh profile and a window of {@code width} x {@code height}. */
    public static HeadlessChromium start(int width, int height) {
        Path profile;
        try {
            profile = Files.createTempDirectory("smg-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER);
        // As the machine notes say: no sandbox (root), and no background connections, which this
        // machine's closed network would refuse at every start.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height, "--force-device-scale-factor=1", "--lang=en-GB");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER))
                .usingAnyFreePort()
                .withLogOutput(OutputStream.nullOutputStream())
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
        return new HeadlessChromium(driver, profile);
    }
}
