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
                    Flag.value("--port", 1, "port"),
                    Flag.list("--urls", "urls"),
                    Flag.toggle("--on", "switch"));

    @Test
    void valuesSwitchesAndListsParse() {
        ParsedArgs a = flags.parse(new String[] {"--port", "8000", "--on", "--urls", "a", "b c", "--urls=d"});
        assertEquals(8000, a.intValue("--port", 1, 65535));
        assertTrue(a.enabled("--on"));
        assertEquals(List.of("a", "b", "c", "d"), a.list("--urls"));
    }

    @Test
    void inlineValuesAndExplicitSwitchValues() {
        ParsedArgs a = flags.parse(new String[] {"--port=9", "--on=false"});
        assertEquals(9, a.intValue("--port", 1, 65535));
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
                () -> flags.parse(new String[] {"--port", "x"}).intValue("--port", 1, 2)).getMessage()
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

    @Test
    void anAbsentFlagReadsItsDefaultFromTheTable() {
        ParsedArgs a = flags.parse(new String[0]);
        assertEquals(1, a.intValue("--port", 1, 65535));
        assertFalse(a.has("--port"), "a default is not a given flag");
        assertFalse(a.enabled("--on"));
        assertEquals(List.of(), a.list("--urls"));
    }

    @Test
    void flagsWithoutADefaultValueReadAsAbsent() {
        FlagSet set = new FlagSet("usage").group("g",
                Flag.value("--key", "a key"),
                Flag.described("--name", "a random name", "a name"),
                Flag.value("--rate", "a rate"));
        ParsedArgs a = set.parse(new String[0]);
        assertTrue(a.string("--key").isEmpty());
        assertTrue(a.string("--name").isEmpty());
        assertTrue(a.optionalDouble("--rate", 0, 10).isEmpty());
        assertEquals(2.5, set.parse(new String[] {"--rate", "2.5"}).optionalDouble("--rate", 0, 10).getAsDouble());
        assertEquals("--rate: 11 is out of range [0.0, 10.0]", assertThrows(CliException.class,
                () -> set.parse(new String[] {"--rate", "11"}).optionalDouble("--rate", 0, 10)).getMessage());
        // Asking for a default the table does not hold, or for an undeclared flag, is a bug in the caller.
        assertThrows(IllegalStateException.class, () -> a.value("--key"));
        assertThrows(IllegalStateException.class, () -> a.has("--undeclared"));
        String help = set.help();
        assertTrue(help.contains("[default: a random name]") && help.contains("[default: none]"), help);
    }

    @Test
    void aDefaultIsShownAsTheValueParsingUses() {
        assertEquals("1.5", Flag.value("--x", 1.5, "x").defaultText());
        assertEquals("8000", Flag.value("--x", 8000.0, "x").defaultText());
        assertEquals("0.35", Flag.value("--x", 0.35, "x").defaultText());
        assertEquals("-1", Flag.value("--x", -1, "x").defaultText());
        assertThrows(IllegalArgumentException.class, () -> Flag.value("--x", "", "x"));
        assertThrows(IllegalArgumentException.class, () -> new Flag("--x", Flag.Arity.VALUE,
                java.util.Optional.of("1"), "2", "x"));
    }
}
