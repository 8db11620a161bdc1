// Sends COUNT records (values 0..COUNT-1, no key) at RATE a second with
// Kafka's own Java producer, so that tests/lost_acks.rs can
// put another client than kprod's librdkafka through the same proxy fault.
// Prints one line per record as its callback reports it ("acked SEQ
// PARTITION OFFSET" or "failed SEQ EXCEPTION MESSAGE"), then "summary SENT
// ACKED FAILED". NAME=VALUE arguments are producer settings.
// Run: java -cp "$KAFKA_LIBS/*" tests/java/LostAcks.java BOOTSTRAP TOPIC COUNT RATE [NAME=VALUE...]
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class LostAcks {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("acks", "all");
        for (int i = 4; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            p.put(kv[0], kv[1]);
        }
        String topic = args[1];
        long count = Long.parseLong(args[2]);
        double rate = Double.parseDouble(args[3]);
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        // Lines are written from the producer's I/O thread; println is
        // synchronized, so they do not interleave.
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            // The pace starts once the producer knows the topic.
            producer.partitionsFor(topic);
            long start = System.nanoTime();
            for (long seq = 0; seq < count; seq++) {
                long due = start + (long) (seq * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                long s = seq;
                producer.send(new ProducerRecord<>(topic, Long.toString(seq)), (md, e) -> {
                    if (e == null) {
                        acked.incrementAndGet();
                        System.out.println("acked " + s + " " + md.partition() + " " + md.offset());
                    } else {
                        failed.incrementAndGet();
                        System.out.println("failed " + s + " " + e.getClass().getSimpleName() + " "
                            + String.valueOf(e.getMessage()).replace('\n', ' '));
                    }
                });
            }
            producer.flush();
        }
        System.out.println("summary " + count + " " + acked.get() + " " + failed.get());
    }
}
