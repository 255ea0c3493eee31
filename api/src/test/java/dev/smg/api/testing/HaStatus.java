package dev.smg.api.testing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a router's {@code /ha/status} the way an operator's script would. */
public final class HaStatus {
    private HaStatus() {
    }

    /** Member name to status ("0".."4") as the router at {@code baseUrl} sees them. */
    @SuppressWarnings("unchecked")
    public static Map<String, String> statuses(String baseUrl) {
        Map<String, String> out = new HashMap<>();
        for (Object n : (List<Object>) Http.json(Http.get(baseUrl + "/ha/status")).get("nodes")) {
            Map<String, Object> node = (Map<String, Object>) n;
            out.put((String) node.get("name"), (String) node.get("status"));
        }
        return out;
    }
}
