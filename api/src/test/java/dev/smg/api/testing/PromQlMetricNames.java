package dev.smg.api.testing;

import java.util.Set;
import java.util.TreeSet;

/**
 * The metric names a PromQL expression selects, found by a small tokenizer rather than a parser:
 * what a dashboard or an alert rule needs from {@code /metrics}. String literals, label matchers
 * ({@code {...}}), ranges and subqueries ({@code [...]}), template variables ({@code $job},
 * {@code $__rate_interval}), numbers and durations are dropped; an identifier followed by {@code (}
 * is a function, or a grouping clause ({@code by}, {@code without}, {@code on}, {@code ignoring},
 * {@code group_left}, {@code group_right}) whose label list is skipped; keywords are not names.
 * What is left are the metric names, as selected ({@code x_bucket} stays {@code x_bucket}).
 */
public final class PromQlMetricNames {
    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    /** Operators and aggregations: {@code sum by (le) (...)} puts a clause between an aggregation and its "(". */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan",
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
            "quantile", "limitk", "limit_ratio");

    private PromQlMetricNames() {
    }

    public static Set<String> of(String expr) {
        String text = blankOut(expr);
        Set<String> names = new TreeSet<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isDigit(c) || (c == '.' && i + 1 < text.length() && Character.isDigit(text.charAt(i + 1)))) {
                i = skipNumber(text, i);
            } else if (c == '$') {
                i = skipWord(text, i + 1); // a template variable
            } else if (isNameStart(c)) {
                int end = skipWord(text, i);
                String word = text.substring(i, end);
                int next = skipSpaces(text, end);
                boolean call = next < text.length() && text.charAt(next) == '(';
                String lower = word.toLowerCase(java.util.Locale.ROOT);
                if (GROUPING.contains(lower)) {
                    end = call ? closing(text, next) + 1 : end;
                } else if (!call && !KEYWORDS.contains(lower)) {
                    names.add(word);
                }
                i = end;
            } else {
                i++;
            }
        }
        return names;
    }

    /** The expression with strings, comments, {@code {...}} and {@code [...]} replaced by spaces. */
    private static String blankOut(String expr) {
        StringBuilder out = new StringBuilder(expr.length());
        int depthBrace = 0;
        int depthBracket = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                int j = i + 1;
                while (j < expr.length() && expr.charAt(j) != c) {
                    j += c != '`' && expr.charAt(j) == '\\' ? 2 : 1;
                }
                i = j;
                out.append(' ');
                continue;
            }
            if (c == '#' && depthBrace == 0 && depthBracket == 0) {
                while (i + 1 < expr.length() && expr.charAt(i + 1) != '\n') {
                    i++;
                }
                out.append(' ');
                continue;
            }
            switch (c) {
                case '{' -> depthBrace++;
                case '}' -> depthBrace--;
                case '[' -> depthBracket++;
                case ']' -> depthBracket--;
                default -> {
                    if (depthBrace == 0 && depthBracket == 0) {
                        out.append(c);
                        continue;
                    }
                }
            }
            out.append(' ');
        }
        return out.toString();
    }

    private static boolean isNameStart(char c) {
        return Character.isLetter(c) || c == '_' || c == ':';
    }

    private static int skipWord(String text, int i) {
        while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_'
                || text.charAt(i) == ':')) {
            i++;
        }
        return i;
    }

    /** A number (1, 0.99, 1e-9, 0x1F) or a duration (5m, 1h30m), which offset takes. */
    private static int skipNumber(String text, int i) {
        while (i < text.length()) {
            char c = text.charAt(i);
            boolean exponentSign = (c == '+' || c == '-') && (text.charAt(i - 1) == 'e' || text.charAt(i - 1) == 'E')
                    && Character.isDigit(text.charAt(i - 2));
            if (!(Character.isLetterOrDigit(c) || c == '.' || exponentSign)) {
                break;
            }
            i++;
        }
        return i;
    }

    private static int skipSpaces(String text, int i) {
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /** The index of the parenthesis closing the one at {@code open}. */
    private static int closing(String text, int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            if (text.charAt(i) == '(') {
                depth++;
            } else if (text.charAt(i) == ')' && --depth == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("unbalanced parentheses in: " + text);
    }
}
