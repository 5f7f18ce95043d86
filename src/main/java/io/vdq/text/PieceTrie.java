package io.vdq.text;

import java.util.Arrays;

/**
 * A byte trie over UTF-8 keys (vocabulary pieces), built once and then walked byte by byte. Each node keeps
 * its children as a contiguous run of nodes sorted by label, found by binary search: about 9 bytes per node,
 * so a 256 k-piece vocabulary (UMT5) stays in a few tens of MB.
 */
final class PieceTrie {
    static final int ROOT = 0, NONE = -1;

    private byte[] label = new byte[16];
    private int[] firstChild = new int[16];
    private int[] childCount = new int[16];
    private int[] value = new int[16];
    private int size;

    /** Keys must be distinct; {@code values[i]} is returned for {@code keys[i]}. */
    PieceTrie(byte[][] keys, int[] values) {
        Integer[] order = new Integer[keys.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(keys[a], keys[b]));
        byte[][] sorted = new byte[keys.length][];
        int[] vals = new int[keys.length];
        for (int i = 0; i < order.length; i++) {
            sorted[i] = keys[order[i]];
            vals[i] = values[order[i]];
        }
        int root = newNode((byte) 0);
        fill(root, sorted, vals, 0, sorted.length, 0);
        label = Arrays.copyOf(label, size);
        firstChild = Arrays.copyOf(firstChild, size);
        childCount = Arrays.copyOf(childCount, size);
        value = Arrays.copyOf(value, size);
    }

    /** The child of {@code node} along byte {@code b}, or {@link #NONE}. */
    int child(int node, byte b) {
        int lo = firstChild[node], hi = lo + childCount[node] - 1;
        int key = b & 0xFF;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int l = label[mid] & 0xFF;
            if (l < key) lo = mid + 1;
            else if (l > key) hi = mid - 1;
            else return mid;
        }
        return NONE;
    }

    /** The value stored at {@code node}, or {@link #NONE} when no key ends there. */
    int value(int node) { return value[node]; }

    /** Length of the longest key that prefixes {@code text[from, to)}, 0 if none. */
    int longestPrefix(byte[] text, int from, int to) {
        int node = ROOT, best = 0;
        for (int i = from; i < to; i++) {
            node = child(node, text[i]);
            if (node == NONE) break;
            if (value[node] != NONE) best = i + 1 - from;
        }
        return best;
    }

    private void fill(int node, byte[][] keys, int[] vals, int lo, int hi, int depth) {
        int i = lo;
        if (i < hi && keys[i].length == depth) value[node] = vals[i++];
        int groups = 0;
        for (int j = i; j < hi; j++) if (j == i || keys[j][depth] != keys[j - 1][depth]) groups++;
        int first = size;
        firstChild[node] = first;
        childCount[node] = groups;
        for (int j = i; j < hi; j++) if (j == i || keys[j][depth] != keys[j - 1][depth]) newNode(keys[j][depth]);
        int c = first;
        for (int j = i; j < hi; c++) {
            int k = j + 1;
            while (k < hi && keys[k][depth] == keys[j][depth]) k++;
            fill(c, keys, vals, j, k, depth + 1);
            j = k;
        }
    }

    private int newNode(byte b) {
        if (size == label.length) {
            int n = size * 2;
            label = Arrays.copyOf(label, n);
            firstChild = Arrays.copyOf(firstChild, n);
            childCount = Arrays.copyOf(childCount, n);
            value = Arrays.copyOf(value, n);
        }
        label[size] = b;
        value[size] = NONE;
        return size++;
    }
}
