package dev.smg.api.testing;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * When a test fails, attaches to the failure the end of the output of every smg child process the
 * test started and has not closed yet, before the test's clean-up deletes it: a failure on a CI machine is otherwise only "condition not
 * fulfilled", with the routers' own account of what happened gone. Registered for every test through
 * JUnit's extension auto-detection (META-INF/services).
 */
public final class ChildLogsOnFailure implements BeforeEachCallback, TestExecutionExceptionHandler {
    private static final int TAIL_LINES = 60;
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(ChildLogsOnFailure.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(STORE).put("started", System.nanoTime());
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        Long testStarted = context.getStore(STORE).get("started", Long.class);
        for (SmgProcess process : SmgProcess.open()) {
            if (testStarted != null && process.startedNanos() < testStarted) {
                continue; // left open by an earlier test: not this failure's story
            }
            String[] lines = process.output().split("\n", -1);
            int from = Math.max(0, lines.length - TAIL_LINES);
            StringBuilder text = new StringBuilder();
            text.append("---- ").append(context.getDisplayName()).append(" failed; smg pid ").append(process.pid())
                    .append(process.isAlive() ? " (running)" : " (exited)").append(", last ")
                    .append(lines.length - from).append(" lines ----\n");
            for (int i = from; i < lines.length; i++) {
                text.append(lines[i]).append('\n');
            }
            // Attached to the failure rather than printed: test output goes to a file, the failure
            // (with its suppressed causes) to the console and the report.
            failure.addSuppressed(new ChildOutput(text.toString()));
        }
        throw failure;
    }

    /** A child's last lines, carried by the failure they explain; no stack trace of its own. */
    static final class ChildOutput extends Exception {
        ChildOutput(String lines) {
            super("\n" + lines, null, false, false);
        }
    }
}
