package dev.dfc.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.source.SourceFile;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTextTest {
    @Test
    void valuesRoundTripThroughAStrictReader() {
        String nasty = "quote \" back\\slash \n\r\t\b\f \u0000\u001f\u007f \u2028\u2029 é🎉 </script>";
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("s", nasty);
        o.put("n", null);
        o.put("list", Arrays.asList(1L, true, "x"));
        o.put("empty", Map.of());
        o.put("none", List.of());

        String json = JsonText.write(o);

        assertEquals(o, MiniJson.parse(json));
        assertEquals(List.copyOf(o.keySet()), List.copyOf(((Map<?, ?>) MiniJson.parse(json)).keySet()), "keys in insertion order");
    }

    @Test
    void loneSurrogatesAreEscapedSoTheOutputIsValidUtf8() {
        StringBuilder out = new StringBuilder();
        JsonText.string(out, "a\ud800b\udc00");
        assertEquals("\"a\\ud800b\\udc00\"", out.toString());
    }

    @Test
    void uriOfAPathIsAUriReference() {
        SourceFile f = new SourceFile("x", "");
        assertEquals("flows/a%20b%23c%3Ad.dfsql", new Region("flows\\a b#c:d.dfsql", 1, 1, 1, 1).uri());
        assertEquals("file:///C:/work/x.dfsql", new Region("C:\\work\\x.dfsql", 1, 1, 1, 1).uri());
        assertEquals("/tmp/%C3%A9.dfsql", new Region("/tmp/é.dfsql", 1, 1, 1, 1).uri());
        assertEquals(new Region("x", 1, 1, 1, 1), Region.of(f.span(0, 0)));
    }
}
