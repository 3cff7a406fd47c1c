package dev.ternpack.convert.gguf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * llama.cpp's SentencePiece tokenizer ({@code llm_tokenizer_spm} in llama-vocab.cpp) over a GGUF token list and
 * scores, written for the tests from its description: the text gets a leading space when {@code add_space_prefix}
 * is set, spaces become U+2581, the symbols start as single characters, and the adjacent pair whose concatenation
 * is a token with the highest score is merged first (ties: the leftmost); a final symbol that is not a token is
 * written as its UTF-8 bytes {@code <0xXX>}.
 */
final class SpmSimulation {
    private final Map<String, Integer> ids = new HashMap<>();
    private final float[] scores;
    private final boolean addSpacePrefix;

    SpmSimulation(List<String> tokens, float[] scores, boolean addSpacePrefix) {
        for (int i = 0; i < tokens.size(); i++) {
            ids.putIfAbsent(tokens.get(i), i);
        }
        this.scores = scores;
        this.addSpacePrefix = addSpacePrefix;
    }

    private record Bigram(int left, int right, float score, int size) {
    }

    List<Integer> encode(String text) {
        String escaped = ((addSpacePrefix ? " " : "") + text).replace(" ", "\u2581");
        List<String> symbols = new ArrayList<>();
        escaped.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
        int n = symbols.size();
        String[] texts = symbols.toArray(String[]::new);
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) ->
                a.score() != b.score() ? Float.compare(b.score(), a.score()) : Integer.compare(a.left(), b.left()));
        for (int i = 1; i < n; i++) {
            offer(queue, texts, i - 1, i);
        }
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            String l = texts[b.left()];
            String r = texts[b.right()];
            if (l.isEmpty() || r.isEmpty() || l.length() + r.length() != b.size()) {
                continue;
            }
            texts[b.left()] = l + r;
            texts[b.right()] = "";
            next[b.left()] = next[b.right()];
            if (next[b.right()] >= 0) {
                prev[next[b.right()]] = b.left();
            }
            offer(queue, texts, prev[b.left()], b.left());
            offer(queue, texts, b.left(), next[b.left()]);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            Integer id = ids.get(texts[i]);
            if (id != null) {
                out.add(id);
            } else {
                for (byte b : texts[i].getBytes(StandardCharsets.UTF_8)) {
                    out.add(ids.get(String.format("<0x%02X>", b & 0xFF)));
                }
            }
        }
        return out;
    }

    private void offer(PriorityQueue<Bigram> queue, String[] texts, int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        String joined = texts[left] + texts[right];
        Integer id = ids.get(joined);
        if (id != null) {
            queue.add(new Bigram(left, right, scores[id], joined.length()));
        }
    }
}
