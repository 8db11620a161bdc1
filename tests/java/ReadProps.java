// Prints what java.util.Properties.load reads from a UTF-8 file (a leading
// byte-order mark removed first), one "NAME VALUE" line per entry, sorted,
// both as hex of their UTF-8 bytes, for the tests to compare with kprod.
// Run: java tests/java/ReadProps.java FILE
import java.io.InputStreamReader;
import java.io.PushbackReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Properties;
import java.util.TreeMap;

public class ReadProps {
    public static void main(String[] args) throws Exception {
        PushbackReader in = new PushbackReader(new InputStreamReader(
            Files.newInputStream(Path.of(args[0])), StandardCharsets.UTF_8));
        int first = in.read();
        if (first != -1 && first != 0xFEFF) in.unread(first);
        Properties p = new Properties();
        p.load(in);
        TreeMap<String, String> sorted = new TreeMap<>();
        for (String name : p.stringPropertyNames()) {
            sorted.put(hex(name), hex(p.getProperty(name)));
        }
        sorted.forEach((k, v) -> System.out.println(k + " " + v));
    }

    static String hex(String s) {
        return "x" + HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }
}
