package dev.smg.router.proxy;

/** One HTTP header line, independent of any server or client library. */
public record HeaderField(String name, String value) {
}
