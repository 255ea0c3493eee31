package dev.smg.api.testing;

import java.util.ArrayList;
import java.util.List;

/** What a test started (processes, servers, workers), closed in reverse order: later things may use earlier ones. */
public final class Closer implements AutoCloseable {
    private final List<AutoCloseable> started = new ArrayList<>();

    public <T extends AutoCloseable> T add(T resource) {
        started.add(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        started.clear();
        if (first != null) {
            throw first;
        }
    }
}
