package dev.smg.router.proxy;

import java.io.InputStream;
import java.util.List;

/**
 * A worker's answer whose status line and headers have arrived; the body is read from
 * {@link #body()} as it comes. Closing it releases (or, mid-body, aborts) the connection.
 */
public interface UpstreamResponse extends AutoCloseable {
    int status();

    List<HeaderField> headers();

    InputStream body();

    @Override
    void close();
}
