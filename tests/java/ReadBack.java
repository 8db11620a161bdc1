// Reads topics from the beginning to their current end with Kafka's own Java
// consumer, another client than kprod's librdkafka, and prints one line per
// record: topic partition offset key value (key and value as `x` and their
// hex, `-` for null). The tests compare that with what kprod says it sent.
// Run: java -cp "$KAFKA_LIBS/*" tests/java/ReadBack.java BOOTSTRAP TOPIC...
// With -Disolation.level=read_committed it reads as a transactional
// application's consumer does (the Java default is read_uncommitted).
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ReadBack {
    public static void main(String[] args) {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", System.getProperty("isolation.level", "read_uncommitted"));
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        HexFormat hex = HexFormat.of();
        StringBuilder out = new StringBuilder();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                for (PartitionInfo info : c.partitionsFor(args[i])) {
                    parts.add(new TopicPartition(info.topic(), info.partition()));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = new HashMap<>(c.endOffsets(parts));
            long deadline = System.currentTimeMillis() + 120_000;
            while (ends.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("did not reach the end: " + ends);
                    System.exit(1);
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    out.append(r.topic()).append(' ').append(r.partition()).append(' ')
                        .append(r.offset()).append(' ')
                        .append(r.key() == null ? "-" : "x" + hex.formatHex(r.key())).append(' ')
                        .append(r.value() == null ? "-" : "x" + hex.formatHex(r.value())).append('\n');
                }
            }
        }
        System.out.print(out);
    }
}
