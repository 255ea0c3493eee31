package dev.smg.api.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code smg} run as a separate JVM on the test classpath, with its output captured to a file, so
 * tests exercise the real process: argument handling, exit codes, signals.
 */
public final class SmgProcess implements AutoCloseable {
    /** Started and not yet closed: what {@link ChildLogsOnFailure} prints when a test fails. */
    private static final Set<SmgProcess> OPEN = ConcurrentHashMap.newKeySet();

    private final Process process;
    private final Path output;
    private final long startedNanos = System.nanoTime();

    private SmgProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    public static SmgProcess start(String... args) {
        return start(java.util.Map.of(), args);
    }

    /** As {@link #start(String...)}, with extra environment variables (e.g. KUBECONFIG). */
    public static SmgProcess start(java.util.Map<String, String> environment, String... args) {
        try {
            Path output = Files.createTempFile("smg-test-", ".log");
            String java = ProcessHandle.current().info().command().orElse("java");
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                    "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classpath, "dev.smg.api.Main"));
            command.addAll(List.of(args));
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(environment);
            Process process = builder
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            SmgProcess started = new SmgProcess(process, output);
            OPEN.add(started);
            return started;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start smg", e);
        }
    }

    long startedNanos() {
        return startedNanos;
    }

    static List<SmgProcess> open() {
        return List.copyOf(OPEN);
    }

    /** Runs to completion (bounded by {@code timeout}) and returns the exit status. */
    public int waitForExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("smg did not exit within " + timeout + "; output:\n" + output());
        }
        return process.exitValue();
    }

    public String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<unreadable: " + e + ">";
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL. */
    public void kill() {
        process.destroyForcibly();
    }

    @Override
    public void close() throws InterruptedException, IOException {
        OPEN.remove(this);
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        String keep = System.getProperty("smg.test.keepLogs");
        if (keep != null) {
            Files.createDirectories(Path.of(keep));
            Files.copy(output, Path.of(keep, "smg-" + process.pid() + ".log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            Files.deleteIfExists(output);
        } catch (IOException ignored) {
            // a temp file; the OS cleans it eventually
        }
    }
}
