package dev.ternpack.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with aligned columns: numbers right-aligned, text left-aligned, two spaces between columns.
 * Kept in cli because only commands print.
 */
final class TextTable {
    private final String[] headers;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();

    /** Column headers; a header starting with {@code >} is right-aligned (the {@code >} is not printed). */
    TextTable(String... headers) {
        this.headers = new String[headers.length];
        this.rightAligned = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            rightAligned[i] = headers[i].startsWith(">");
            this.headers[i] = rightAligned[i] ? headers[i].substring(1) : headers[i];
        }
    }

    TextTable row(Object... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns");
        }
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = String.valueOf(cells[i]);
        }
        rows.add(r);
        return this;
    }

    void print(PrintWriter out, String indent) {
        int[] width = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            width[i] = headers[i].length();
            for (String[] r : rows) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        printRow(out, indent, headers, width);
        for (String[] r : rows) {
            printRow(out, indent, r, width);
        }
    }

    /** The same table as GitHub-flavoured Markdown: readable in a terminal and pasteable into an issue or PR. */
    void printMarkdown(PrintWriter out) {
        int[] width = widths();
        printMarkdownRow(out, headers, width);
        StringBuilder rule = new StringBuilder("|");
        for (int i = 0; i < headers.length; i++) {
            String dashes = "-".repeat(Math.max(3, width[i]));
            rule.append(' ').append(rightAligned[i] ? dashes.substring(1) + ":" : dashes).append(" |");
        }
        out.println(rule);
        for (String[] r : rows) {
            printMarkdownRow(out, r, width);
        }
    }

    private void printMarkdownRow(PrintWriter out, String[] cells, int[] width) {
        StringBuilder line = new StringBuilder("|");
        for (int i = 0; i < cells.length; i++) {
            String cell = cells[i].replace("|", "\\|");
            String pad = " ".repeat(Math.max(0, Math.max(3, width[i]) - cell.length()));
            line.append(' ').append(rightAligned[i] ? pad + cell : cell + pad).append(" |");
        }
        out.println(line);
    }

    private int[] widths() {
        int[] width = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            width[i] = headers[i].length();
            for (String[] r : rows) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        return width;
    }

    private void printRow(PrintWriter out, String indent, String[] cells, int[] width) {
        StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                line.append("  ");
            }
            String pad = " ".repeat(width[i] - cells[i].length());
            line.append(rightAligned[i] ? pad + cells[i] : cells[i] + (i == cells.length - 1 ? "" : pad));
        }
        out.println(line.toString().stripTrailing());
    }
}
