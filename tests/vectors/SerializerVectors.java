// Prints test vectors for kprod's serializers from Kafka's own Java
// serializers: one line per case, TYPE<TAB>INPUT<TAB>HEX.
// Regenerate: java -cp "$KAFKA_LIBS/*" tests/vectors/SerializerVectors.java > tests/vectors/serializers.tsv
import org.apache.kafka.common.serialization.*;

public class SerializerVectors {
    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x));
        return s.toString();
    }

    static void line(String type, String input, byte[] out) {
        System.out.println(type + "\t" + input + "\t" + hex(out));
    }

    public static void main(String[] args) {
        for (String s : new String[] {"", "hello", "ünïcödé ✓", "키", "tab\\tnot escaped"})
            line("String", s, new StringSerializer().serialize("t", s));
        for (String s : new String[] {"0", "1", "-1", "42", "32767", "-32768", "+7"})
            line("Short", s, new ShortSerializer().serialize("t", Short.parseShort(s)));
        for (String s : new String[] {"0", "42", "-42", "2147483647", "-2147483648", "65536"})
            line("Integer", s, new IntegerSerializer().serialize("t", Integer.parseInt(s)));
        for (String s : new String[] {"0", "1", "-1", "9223372036854775807", "-9223372036854775808", "1700000000000"})
            line("Long", s, new LongSerializer().serialize("t", Long.parseLong(s)));
        for (String s : new String[] {"0", "-0.0", "1.5", "3.141592653589793", "-2.5e-10", "1e300", "NaN", "Infinity", "-Infinity"})
            line("Double", s, new DoubleSerializer().serialize("t", Double.parseDouble(s)));
    }
}
