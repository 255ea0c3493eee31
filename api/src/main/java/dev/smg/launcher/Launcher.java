package dev.smg.launcher;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Entry point of {@code smg.jar}. Compiled for Java 17 (everything else needs 21) so that
 * {@code java -jar smg.jar} on a machine whose default {@code java} is older does not die with an
 * UnsupportedClassVersionError: it finds a JDK 21+ ({@code JAVA_HOME}, then {@code /usr/lib/jvm})
 * and runs the jar there, or says in one line what is missing.
 */
public final class Launcher {
    static final int REQUIRED_FEATURE = 21;
    private static final String MAIN_CLASS = "dev.smg.api.Main";
    /** Set in the child's environment so that a misdetected JDK cannot make us re-exec forever. */
    private static final String RELAUNCH_MARKER = "SMG_RELAUNCHED";

    private Launcher() {
    }

    public static void main(String[] args) throws Throwable {
        if (Runtime.version().feature() >= REQUIRED_FEATURE) {
            runMain(args);
            return;
        }
        String current = Runtime.version().toString();
        if (System.getenv(RELAUNCH_MARKER) != null) {
            fail("smg needs Java " + REQUIRED_FEATURE + " or newer, but was started on Java " + current);
        }
        Optional<Path> java = findJava();
        if (java.isEmpty()) {
            fail("smg needs Java " + REQUIRED_FEATURE + " or newer (this is Java " + current
                    + "); set JAVA_HOME to a JDK " + REQUIRED_FEATURE + "+ or install one under /usr/lib/jvm");
        }
        System.exit(relaunch(java.get(), args));
    }

    private static void runMain(String[] args) throws Throwable {
        try {
            Class.forName(MAIN_CLASS).getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static int relaunch(Path java, String[] args) throws IOException, InterruptedException {
        Path jar;
        try {
            jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            fail("smg: cannot locate its own jar to re-run it on " + java + ": " + e.getMessage());
            return 1;
        }
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put(RELAUNCH_MARKER, "1");
        Process child = builder.start();
        // SIGTERM to us becomes SIGTERM to the child, so graceful shutdown still works.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (child.isAlive()) {
                child.destroy();
                try {
                    child.waitFor();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        return child.waitFor();
    }

    static Optional<Path> findJava() {
        String javaHome = System.getenv("JAVA_HOME");
        if (javaHome != null && !javaHome.isBlank()) {
            Path home = Path.of(javaHome);
            if (featureOf(home) >= REQUIRED_FEATURE && Files.isExecutable(home.resolve("bin/java"))) {
                return Optional.of(home.resolve("bin/java"));
            }
        }
        Path jvmDir = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvmDir)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvmDir)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")))
                    .filter(h -> featureOf(h) >= REQUIRED_FEATURE)
                    .max(Comparator.comparingInt(Launcher::featureOf))
                    .map(h -> h.resolve("bin/java"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The major Java version of a JDK home, read from its {@code release} file; 0 when unknown. */
    static int featureOf(Path home) {
        Path release = home.resolve("release");
        try {
            for (String line : Files.readAllLines(release)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String version = line.substring("JAVA_VERSION=".length()).replace("\"", "").trim();
                    String major = version.startsWith("1.") ? version.substring(2) : version;
                    int end = 0;
                    while (end < major.length() && Character.isDigit(major.charAt(end))) {
                        end++;
                    }
                    return end == 0 ? 0 : Integer.parseInt(major.substring(0, end));
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(1);
    }
}
