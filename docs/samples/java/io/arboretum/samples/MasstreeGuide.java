package io.arboretum.samples;

import io.arboretum.masstree.MasstreeMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/** The snippets of docs/guides/how-the-masstree-works.md; main checks what the guide says. */
public final class MasstreeGuide {
    private MasstreeGuide() {
    }

    public static void main(String[] args) {
        // snippet:begin masstree-strings
        MasstreeMap<String, Integer> hits = new MasstreeMap<>();   // String keys, compareTo order
        hits.put("tenant01/orders", 12);
        hits.put("tenant01/users", 7);
        hits.put("tenant02/x", 1);
        hits.put("apple", 3);
        // Every key beginning with "tenant01/": '0' is the character after '/'.
        SortedMap<String, Integer> tenant01 = hits.subMap("tenant01/", "tenant010");
        System.out.println(tenant01);             // {tenant01/orders=12, tenant01/users=7}

        // A sorted load reuses the border node of the previous key instead of descending again.
        hits.putAllSorted(List.of(Map.entry("tenant03/a", 1), Map.entry("tenant03/b", 2)));
        // snippet:end masstree-strings
        check(tenant01.toString().equals("{tenant01/orders=12, tenant01/users=7}"), "subMap");
        check(hits.size() == 6 && hits.lastKey().equals("tenant03/b"), "putAllSorted");

        // snippet:begin masstree-bytes
        MasstreeMap<byte[], String> byId = MasstreeMap.forBytes();  // unsigned lexicographic order
        byte[] id = {0x01, (byte) 0xF0};
        byId.put(id, "first");
        id[1] = 0x00;                              // the map copied the key's bytes: no harm done
        byId.put(id, "second");
        System.out.println(byId.firstEntry().getValue());            // second (0x0100 < 0x01F0)
        // snippet:end masstree-bytes
        check(byId.firstEntry().getValue().equals("second") && byId.size() == 2, "bytes");
        check(byId.comparator() == MasstreeMap.unsignedBytesComparator(), "comparator");
        check(Arrays.equals(byId.lastKey(), new byte[] {0x01, (byte) 0xF0}), "copied key");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("MasstreeGuide: " + what);
        }
    }
}
