package dev.smg.router.tree.bench;

import dev.smg.router.tree.PromptBlocks;
import dev.smg.router.tree.RadixTree;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Heap bytes per stored prompt character: builds trees of realistic prompts (shared system
 * prompts, unique tails) and compares the used heap after full GCs. Prints a Markdown table.
 */
public final class TreeFootprint {
    private TreeFootprint() {
    }

    public static void main(String[] args) {
        System.out.println("| prompt chars | prompts | tenants | stored chars | heap bytes | bytes per stored char |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        for (int chars : new int[] {100, 4096}) {
            for (int tenants : new int[] {10, 64}) {
                measure(chars, chars == 100 ? 200_000 : 10_000, tenants);
            }
        }
    }

    private static void measure(int chars, int prompts, int tenants) {
        SplittableRandom random = new SplittableRandom(11);
        String[] systems = new String[50];
        for (int s = 0; s < systems.length; s++) {
            systems[s] = text(random, chars / 2);
        }
        long before = usedHeap();
        RadixTree tree = RadixTree.empty();
        for (int i = 0; i < prompts; i++) {
            String p = (systems[random.nextInt(systems.length)] + text(random, chars)).substring(0, chars);
            tree = tree.insert(PromptBlocks.of(p, 16).hashes(), "http://10.0.0." + (i % tenants) + ":8000", i);
        }
        long after = usedHeap();
        long storedChars = tree.blocks() * 16;
        System.out.printf(Locale.ROOT, "| %d | %d | %d | %d | %d | %.2f |%n", chars, prompts, tenants, storedChars,
                after - before, (double) (after - before) / storedChars);
        if (tree.blocks() < 0) {
            System.out.println(); // keeps the tree reachable until after the measurement
        }
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static String text(SplittableRandom random, int n) {
        StringBuilder b = new StringBuilder(n + 8);
        while (b.length() < n) {
            b.append((char) ('a' + random.nextInt(26)));
        }
        return b.toString();
    }
}
