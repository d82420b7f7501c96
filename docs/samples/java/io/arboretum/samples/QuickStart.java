package io.arboretum.samples;

// snippet:begin readme-java
import io.arboretum.btree.ConcurrentBTreeMap;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;

public final class QuickStart {
    public static void main(String[] args) {
        ConcurrentNavigableMap<Long, String> users = new ConcurrentBTreeMap<>();
        users.put(42L, "ada");
        users.putIfAbsent(7L, "grace");
        String first = users.firstEntry().getValue();                      // "grace"
        for (Map.Entry<Long, String> e : users.subMap(10L, true, 100L, false).entrySet()) {
            System.out.println(e.getKey() + " -> " + e.getValue());        // weakly consistent, in order
        }
        ConcurrentBTreeMap<String, Integer> visits =
                ConcurrentBTreeMap.<String, Integer>builder().nodeCapacity(128).build();
        visits.merge("home", 1, Integer::sum);
        System.out.println(first + " " + visits);                          // grace {home=1}
        try {
            users.put(null, "nobody");
        } catch (NullPointerException e) {
            System.out.println("rejected: " + e.getMessage());             // rejected: null key
        }
    }
}
// snippet:end readme-java
