package dev.smg.api.discovery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The syntax Kubernetes requires of label selectors, annotation names and namespaces, checked on
 * the command line: a typo is refused at start instead of being rejected by the API server on
 * every list, which the watch would retry forever.
 */
public final class KubernetesNames {
    /** A label or annotation name without its prefix: 1-63 characters, alphanumeric at both ends. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    /** A DNS subdomain (the optional prefix of a qualified name): dot-separated lower-case labels. */
    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    /** A namespace is a DNS label: 1-63 lower-case alphanumerics or '-', alphanumeric at both ends. */
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private KubernetesNames() {
    }

    /** A label key or annotation name: {@code [prefix/]name}, e.g. {@code app} or {@code sglang.ai/mesh-port}. */
    public static boolean isQualifiedName(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            return NAME.matcher(s).matches();
        }
        String prefix = s.substring(0, slash);
        return prefix.length() <= 253 && SUBDOMAIN.matcher(prefix).matches()
                && NAME.matcher(s.substring(slash + 1)).matches();
    }

    /** A label value: empty, or 1-63 characters alphanumeric at both ends. */
    public static boolean isLabelValue(String s) {
        return s.isEmpty() || NAME.matcher(s).matches();
    }

    public static boolean isNamespace(String s) {
        return NAMESPACE.matcher(s).matches();
    }

    /**
     * Parses {@code key=value} pairs into an equality selector (every pair must match). The message
     * of the exception names the bad pair; a key given twice with different values is refused, as
     * no pod could match both.
     */
    public static Map<String, String> parseSelector(List<String> pairs) {
        Map<String, String> selector = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            if (eq < 0 || !isQualifiedName(key) || !isLabelValue(value)) {
                throw new IllegalArgumentException("'" + pair + "' is not a key=value label pair");
            }
            String before = selector.putIfAbsent(key, value);
            if (before != null && !before.equals(value)) {
                throw new IllegalArgumentException("'" + key + "' is given twice ('" + before + "' and '" + value
                        + "'): no pod can match both");
            }
        }
        return selector;
    }
}
