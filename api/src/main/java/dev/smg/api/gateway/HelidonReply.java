package dev.smg.api.gateway;

import dev.smg.router.proxy.ClientReply;
import dev.smg.router.proxy.GatewayError;
import dev.smg.router.proxy.HeaderField;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerResponse;

import java.io.OutputStream;
import java.util.List;

/** {@link ClientReply} over a Helidon response. */
final class HelidonReply implements ClientReply {
    private final ServerResponse res;

    HelidonReply(ServerResponse res) {
        this.res = res;
    }

    @Override
    public void error(GatewayError error) {
        ErrorReplies.send(res, error);
    }

    @Override
    public void complete(int status, List<HeaderField> headers, byte[] body) {
        head(status, headers);
        res.send(body);
    }

    @Override
    public OutputStream stream(int status, List<HeaderField> headers) {
        head(status, headers);
        return res.outputStream();
    }

    private void head(int status, List<HeaderField> headers) {
        res.status(status);
        for (HeaderField h : headers) {
            res.header(HeaderValues.create(h.name(), h.value()));
        }
    }
}
