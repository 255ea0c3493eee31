package dev.smg.api;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.smg.api.mock.MockBehaviour;
import dev.smg.api.mock.MockWorker;
import dev.smg.api.testing.Closer;
import dev.smg.api.testing.MeshRouter;
import dev.smg.api.testing.HeadlessChromium;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.QuietLogs;
import dev.smg.api.testing.SmgProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code /ha/ui} in a real headless browser (Debian's chromium through chromedriver) against three
 * {@code smg --enable-mesh --api-key} JVMs under light load: the page asks for the key, lists the
 * three routers ALIVE with every worker in a column per router, shows a SIGKILLed router DOWN, and
 * removes a worker, used by keyboard with its confirmation, from every router's {@code /ha/workers}.
 * Skipped, with the reason, where chromium or chromedriver is missing. With
 * {@code -Dsmg.ui.screenshot=FILE} it also saves the page, under load, as a PNG
 * (scripts/ha-ui-screenshot.sh; docs/img/ha-ui.png).
 */
class HaUiBrowserTest {
    @RegisterExtension
    static final QuietLogs QUIET = new QuietLogs(Level.SEVERE, "org.openqa.selenium", "io.helidon");

    private static final String KEY = "browser-test-key";
    private static final String[] AUTH = {"Authorization", "Bearer " + KEY};
    private static final Duration FORM = Duration.ofSeconds(60);
    private static final Duration SEE = Duration.ofSeconds(20);
    /** Long enough per request that a light load keeps a few in flight for the page to show. */
    private static final long GEN_MILLIS = 1_500;

    private final Closer cleanup = new Closer();
    private final AtomicBoolean loading = new AtomicBoolean();


    @AfterEach
    void tearDown() throws Exception {
        loading.set(false);
        cleanup.close();
    }

    private SmgProcess start(MeshRouter node, List<MeshRouter> all, List<String> workerUrls) {
        List<String> args = new ArrayList<>(List.of("--api-key", KEY, "--policy", "power_of_two",
                "--request-timeout-secs", "30", "--worker-urls"));
        args.addAll(workerUrls);
        return cleanup.add(SmgProcess.start(node.args(all, 1, args.toArray(String[]::new))));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> statuses(MeshRouter observer) {
        Map<String, String> out = new HashMap<>();
        for (Object n : (List<Object>) Http.json(Http.get(observer.url("/ha/status"), AUTH)).get("nodes")) {
            Map<String, Object> node = (Map<String, Object>) n;
            out.put((String) node.get("name"), (String) node.get("status"));
        }
        return out;
    }

    /** The worker URLs in a router's /ha/workers. */
    private static List<String> haWorkers(MeshRouter node) throws IOException {
        HttpResponse<String> response = Http.get(node.url("/ha/workers"), AUTH);
        assertEquals(200, response.statusCode(), response.body());
        List<String> urls = new ArrayList<>();
        for (Object w : JSON.std.listFrom(response.body())) {
            urls.add((String) ((Map<?, ?>) w).get("url"));
        }
        return urls;
    }

    /** What the page says of a member's status: the word in its status cell. */
    private static String memberStatus(WebDriver page, String name) {
        return page.findElement(By.cssSelector("#members tr[data-member='" + name + "'] td.status .state"))
                .getDomAttribute("data-state");
    }

    /** A few clients per router, each sending one request after another, until the test stops them. */
    private void lightLoad(List<MeshRouter> nodes) {
        loading.set(true);
        for (MeshRouter node : nodes) {
            for (int i = 0; i < 2; i++) {
                String prompt = node.name() + " client " + i + " says hello";
                Thread.ofVirtual().name("ui-load-" + node.name() + "-" + i).start(() -> {
                    while (loading.get()) {
                        try {
                            Http.post(node.url("/v1/chat/completions"), "{\"model\":\"mock-model\",\"messages\":"
                                    + "[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],\"max_tokens\":4}",
                                    AUTH);
                        } catch (RuntimeException e) {
                            return; // its router was killed, or the test is over
                        }
                    }
                });
            }
        }
    }

    @Test
    void showsTheClusterFollowsAKilledRouterAndRemovesAWorker() throws Exception {
        assumeTrue(HeadlessChromium.missing().isEmpty(), () -> "browser test skipped: "
                + HeadlessChromium.missing().orElse(""));
        List<String> workerUrls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            MockWorker w = MockWorker.start("127.0.0.1", 0, new MockBehaviour("mock-model", GEN_MILLIS, 1));
            cleanup.add(w::stop);
            workerUrls.add("http://127.0.0.1:" + w.port());
        }
        List<MeshRouter> nodes = MeshRouter.named("node1", "node2", "node3");
        List<SmgProcess> processes = new ArrayList<>();
        for (MeshRouter node : nodes) {
            processes.add(start(node, nodes, workerUrls));
        }
        MeshRouter n1 = nodes.get(0);
        Map<String, String> allAlive = Map.of("node1", "1", "node2", "1", "node3", "1");
        await().atMost(FORM).ignoreExceptions().untilAsserted(() -> assertEquals(allAlive, statuses(n1)));

        HeadlessChromium browser = HeadlessChromium.start(1440, 1700);
        cleanup.add(browser);
        WebDriver page = browser.driver();
        page.get(n1.url("/ha/ui"));

        // --api-key is set: the page asks for the key before it shows anything.
        WebElement keyInput = await().atMost(SEE).ignoreExceptions().until(() -> page.findElement(By.id("api-key")),
                WebElement::isDisplayed);
        keyInput.sendKeys(KEY, Keys.ENTER);

        for (String name : List.of("node1", "node2", "node3")) {
            await().atMost(SEE).ignoreExceptions().untilAsserted(() -> assertEquals("ALIVE", memberStatus(page, name),
                    name + " on the page"));
        }
        // The matrix: every worker a row, every router a column.
        await().atMost(SEE).ignoreExceptions().untilAsserted(() -> {
            assertEquals(3, page.findElements(By.cssSelector("#workers tbody tr[data-worker]")).size());
            for (String url : workerUrls) {
                WebElement row = page.findElement(By.cssSelector("#workers tr[data-worker='" + url + "']"));
                assertEquals(3, row.findElements(By.cssSelector("td[data-router]")).size());
                assertTrue(row.getText().contains("here: ready"), row.getText());
                // Healthy since registration, so no router published a verdict: the health column
                // shows this router's own status and says so (not "no verdict yet").
                String health = row.findElements(By.tagName("td")).get(1).getText();
                assertTrue(health.startsWith("ready") && health.contains("no router has reported a change"), health);
            }
        });

        // Light load under a cluster rate limit: the page shows requests in flight, from the overview's
        // per-router counts, and each router's share of the limit.
        assertEquals(200, Http.post(n1.url("/ha/rate-limit"), "{\"limit_per_second\": 100}", AUTH).statusCode());
        lightLoad(nodes);
        await().atMost(SEE).ignoreExceptions().untilAsserted(() -> assertTrue(
                page.findElements(By.cssSelector("#workers td[data-router]")).stream()
                        .anyMatch(td -> td.getText().matches("(?s)[1-9][0-9]* in flight.*")),
                "no request in flight on the page"));
        String screenshot = System.getProperty("smg.ui.screenshot", "");
        if (!screenshot.isBlank()) {
            // Every router's column with requests in flight, so the picture shows the cluster at work.
            await().atMost(SEE).ignoreExceptions().untilAsserted(() -> {
                for (MeshRouter node : nodes) {
                    assertTrue(page.findElements(By.cssSelector("#workers td[data-router='" + node.name() + "']"))
                            .stream().anyMatch(td -> td.getText().matches("(?s)[1-9][0-9]* in flight.*")), node.name());
                }
                assertFalse(page.findElement(By.id("replication-facts")).getText().contains("measuring"));
                assertFalse(page.findElement(By.id("cluster-facts")).getText().contains(" 0 admitted"));
            });
            Path target = Path.of(screenshot);
            Files.createDirectories(target.toAbsolutePath().getParent());
            Files.copy(((TakesScreenshot) page).getScreenshotAs(OutputType.FILE).toPath(), target,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        loading.set(false);

        // node3 SIGKILLed: the page shows it DOWN (the word, not only a colour).
        processes.get(2).kill();
        await().atMost(SEE).ignoreExceptions().untilAsserted(() -> assertEquals("DOWN", memberStatus(page, "node3")));
        assertEquals("ALIVE", memberStatus(page, "node1"));
        assertTrue(page.findElement(By.id("events")).getText().contains("node3"), "the event list names node3");

        // Remove a worker from the page, by keyboard: pause updates, Enter on its Remove button,
        // then Tab from Cancel (focused first) to Confirm, and Enter.
        String removed = workerUrls.get(1);
        page.findElement(By.id("pause")).sendKeys(Keys.ENTER);
        await().atMost(SEE).until(() -> "true".equals(page.findElement(By.id("pause")).getDomAttribute("aria-pressed")));
        page.findElement(By.cssSelector("#workers tr[data-worker='" + removed + "'] button.remove")).sendKeys(Keys.ENTER);
        WebElement dialog = page.findElement(By.id("confirm"));
        await().atMost(SEE).until(dialog::isDisplayed);
        assertTrue(dialog.getText().contains(removed), dialog.getText());
        assertEquals("confirm-cancel", page.switchTo().activeElement().getDomAttribute("id"), "Cancel has the focus first");
        page.switchTo().activeElement().sendKeys(Keys.TAB);
        assertEquals("confirm-ok", page.switchTo().activeElement().getDomAttribute("id"));
        page.switchTo().activeElement().sendKeys(Keys.ENTER);
        await().atMost(SEE).until(() -> page.findElement(By.id("action-result")).getText().startsWith("Done (202)"));

        for (MeshRouter node : nodes.subList(0, 2)) {
            await().atMost(SEE).ignoreExceptions().untilAsserted(() -> assertFalse(haWorkers(node).contains(removed),
                    node.name() + " still lists " + removed));
            assertEquals(2, haWorkers(node).size());
        }
        page.findElement(By.id("pause")).click(); // updates again: the row goes
        await().atMost(SEE).ignoreExceptions().untilAsserted(() -> assertTrue(page.findElements(
                By.cssSelector("#workers tr[data-worker='" + removed + "']")).isEmpty()));
    }
}
