package dev.smg.api.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlagSetTest {
    private final FlagSet flags = new FlagSet("usage")
            .group("g",
                    Flag.value("--port", "1", "port"),
                    Flag.list("--urls", "", "urls"),
                    Flag.toggle("--on", "switch"));

    @Test
    void valuesSwitchesAndListsParse() {
        ParsedArgs a = flags.parse(new String[] {"--port", "8000", "--on", "--urls", "a", "b c", "--urls=d"});
        assertEquals(8000, a.intValue("--port", 0, 1, 65535));
        assertTrue(a.enabled("--on"));
        assertEquals(List.of("a", "b", "c", "d"), a.list("--urls"));
    }

    @Test
    void inlineValuesAndExplicitSwitchValues() {
        ParsedArgs a = flags.parse(new String[] {"--port=9", "--on=false"});
        assertEquals(9, a.intValue("--port", 0, 1, 65535));
        assertFalse(a.enabled("--on"));
    }

    @Test
    void errorsNameTheFlag() {
        assertEquals("unknown flag --nope (see --help)",
                assertThrows(CliException.class, () -> flags.parse(new String[] {"--nope"})).getMessage());
        assertEquals("--port: missing value",
                assertThrows(CliException.class, () -> flags.parse(new String[] {"--port"})).getMessage());
        assertEquals("--port: missing value",
                assertThrows(CliException.class, () -> flags.parse(new String[] {"--port", "--on"})).getMessage());
        assertEquals("--urls: missing value",
                assertThrows(CliException.class, () -> flags.parse(new String[] {"--urls", "--on"})).getMessage());
        assertTrue(assertThrows(CliException.class,
                () -> flags.parse(new String[] {"--port", "x"}).intValue("--port", 0, 1, 2)).getMessage()
                .startsWith("--port:"));
        assertTrue(assertThrows(CliException.class, () -> flags.parse(new String[] {"stray"})).getMessage()
                .contains("stray"));
        assertTrue(assertThrows(CliException.class, () -> flags.parse(new String[] {"--on=maybe"})).getMessage()
                .startsWith("--on:"));
    }

    @Test
    void helpListsEveryFlagWithItsDefault() {
        String help = flags.help();
        assertTrue(help.contains("--port V") && help.contains("[default: 1]"));
        assertTrue(help.contains("--urls V...") && help.contains("[default: none]"));
        assertTrue(help.contains("--on") && help.contains("[default: false]"));
    }

    @Test
    void hostValidation() {
        assertTrue(ParsedArgs.looksLikeHost("0.0.0.0"));
        assertTrue(ParsedArgs.looksLikeHost("::"));
        assertTrue(ParsedArgs.looksLikeHost("[::1]"));
        assertTrue(ParsedArgs.looksLikeHost("smg-0.smg-mesh"));
        assertFalse(ParsedArgs.looksLikeHost("bad host"));
        assertFalse(ParsedArgs.looksLikeHost("a:b:zz:::::::1"));
        assertFalse(ParsedArgs.looksLikeHost(""));
    }
}
