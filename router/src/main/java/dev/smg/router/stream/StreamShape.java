package dev.smg.router.stream;

/** The streamed answer formats the relay understands. */
public enum StreamShape {
    /** OpenAI {@code /v1/chat/completions}: {@code choices[].delta.content}. */
    CHAT,
    /** OpenAI {@code /v1/completions}: {@code choices[].text}. */
    COMPLETION,
    /** SGLang {@code /generate}: cumulative {@code text}, {@code meta_info}. */
    GENERATE
}
