package cdranon.peer;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * cdranon's policy for the generic CSV layout as a Kafka Streams
 * application, written the way a JVM team would: the Processor API, one
 * source, one processor and three sinks (anonymised, sealed, dead-letter),
 * processing.guarantee=exactly_once_v2.  A benchmark peer, not part of the
 * product.
 *
 * <pre>
 *   Peer kafka --bootstrap HOST:PORT --input T --group G --anonymised T
 *              --sealed T --dead-letter T --hmac-key FILE
 *              --custodian-public PEM [--suppression FILE]
 *              [--delivery exactly-once|at-least-once]
 *              [--commit-interval-ms 100] [--threads 1] [--state-dir DIR]
 *   Peer file  --input CSV --anonymised JSONL --sealed B64
 *              --dead-letter JSONL --hmac-key FILE --custodian-public PEM
 *              [--suppression FILE]
 * </pre>
 */
public final class Peer {
    private Peer() {}

    /** The last key of a cdranon key file: {id, hex}. */
    static String[] loadKeyRing(Path path) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
        for (PosixFilePermission p : perms)
            if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))
                throw new IOException(path + ": readable by group or others");
        String[] last = null;
        for (String line : Files.readAllLines(path, StandardCharsets.US_ASCII)) {
            int hash = line.indexOf('#');
            if (hash >= 0)
                line = line.substring(0, hash);
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 2)
                last = parts;
        }
        if (last == null)
            throw new IOException(path + ": no key");
        return last;
    }

    static Set<String> loadSuppression(String path) throws IOException {
        Set<String> set = new HashSet<>();
        if (path == null)
            return set;
        for (String line : Files.readAllLines(Path.of(path), StandardCharsets.UTF_8)) {
            int hash = line.indexOf('#');
            if (hash >= 0)
                line = line.substring(0, hash);
            line = line.trim();
            if (line.isEmpty())
                continue;
            try {
                Policy.Canon c = Policy.msisdn(line);
                if (c.cls() == Policy.PERSONAL)
                    set.add(c.value());
            } catch (Policy.Malformed e) {
                throw new IOException(path + ": a number that is not valid");
            }
        }
        return set;
    }

    static final class Settings {
        final Map<String, String> opts = new HashMap<>();

        String get(String name) {
            String v = opts.get(name);
            if (v == null)
                throw new IllegalArgumentException("missing --" + name);
            return v;
        }

        String get(String name, String dflt) {
            return opts.getOrDefault(name, dflt);
        }

        Policy newPolicy() throws IOException, GeneralSecurityException {
            String[] key = loadKeyRing(Path.of(get("hmac-key")));
            return new Policy(key[0], HexFormat.of().parseHex(key[1]),
                    loadSuppression(opts.get("suppression")));
        }

        Sealer newSealer() throws IOException, GeneralSecurityException {
            return new Sealer(Path.of(get("custodian-public")));
        }
    }

    /** The processor of one stream task: its own Policy (Mac, cache) and
     * Sealer (cipher, epoch). */
    static final class Anonymiser implements Processor<byte[], byte[], byte[], byte[]> {
        private final Settings settings;
        private ProcessorContext<byte[], byte[]> context;
        private Policy policy;
        private Sealer sealer;

        Anonymiser(Settings settings) {
            this.settings = settings;
        }

        @Override
        public void init(ProcessorContext<byte[], byte[]> ctx) {
            context = ctx;
            try {
                policy = settings.newPolicy();
                sealer = settings.newSealer();
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void process(Record<byte[], byte[]> in) {
            RecordMetadata meta = context.recordMetadata().orElseThrow();
            byte[] value = in.value() == null ? new byte[0] : in.value();
            Policy.Result r = policy.apply(value);
            switch (r.verdict) {
            case PUBLISH -> context.forward(
                    new Record<>(r.key, r.json, in.timestamp()), "anonymised");
            case DEAD -> {
                String source = "{\"topic\":" + Policy.jsonQuoted(meta.topic())
                        + ",\"partition\":" + meta.partition() + ",\"offset\":"
                        + meta.offset() + "}";
                context.forward(new Record<byte[], byte[]>(null,
                        Policy.deadLetter(r.reason, source)
                                .getBytes(StandardCharsets.UTF_8),
                        in.timestamp()), "dead-letter");
            }
            case SUPPRESSED -> { }
            }
            try {
                byte[] sealed = sealer.seal(value, Sealer.kafkaSource(
                        meta.topic(), meta.partition(), meta.offset()));
                context.forward(new Record<>(r.key, sealed, in.timestamp()),
                        "sealed");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("sealing failed", e);
            }
        }
    }

    static void runKafka(Settings s) {
        Topology topology = new Topology();
        topology.addSource("input", new ByteArrayDeserializer(),
                new ByteArrayDeserializer(), s.get("input"));
        topology.addProcessor("anonymise", () -> new Anonymiser(s), "input");
        topology.addSink("anonymised", s.get("anonymised"),
                new ByteArraySerializer(), new ByteArraySerializer(), "anonymise");
        topology.addSink("sealed", s.get("sealed"), new ByteArraySerializer(),
                new ByteArraySerializer(), "anonymise");
        topology.addSink("dead-letter", s.get("dead-letter"),
                new ByteArraySerializer(), new ByteArraySerializer(), "anonymise");

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, s.get("group"));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, s.get("bootstrap"));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                s.get("delivery", "exactly-once").equals("exactly-once")
                        ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                s.get("commit-interval-ms", "100"));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, s.get("threads", "1"));
        p.put(StreamsConfig.STATE_DIR_CONFIG,
                s.get("state-dir", System.getProperty("java.io.tmpdir")
                        + "/cdranon-streams-peer"));
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG,
                Serdes.ByteArraySerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG,
                Serdes.ByteArraySerde.class);
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

        KafkaStreams streams = new KafkaStreams(topology, p);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            done.countDown();
        }));
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("streams peer: " + e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
                    .StreamThreadExceptionResponse.SHUTDOWN_APPLICATION;
        });
        streams.start();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** File mode: what `cdranon anonymise` writes, for the comparison. */
    static void runFile(Settings s) throws IOException, GeneralSecurityException {
        Policy policy = s.newPolicy();
        Sealer sealer = s.newSealer();
        String name = s.get("input");
        byte[] data = Files.readAllBytes(Path.of(name));
        int published = 0, suppressed = 0, dead = 0;
        try (BufferedWriter out = Files.newBufferedWriter(Path.of(s.get("anonymised")));
                BufferedWriter sealedOut = Files.newBufferedWriter(Path.of(s.get("sealed")));
                BufferedWriter deadOut = Files.newBufferedWriter(
                        Path.of(s.get("dead-letter")))) {
            int at = 0, line = 1;
            while (at < data.length) {
                // A record ends at a line feed outside quotes.
                int start = at, startLine = line;
                boolean quoted = false;
                while (at < data.length && (quoted || data[at] != '\n')) {
                    if (data[at] == '"')
                        quoted = !quoted;
                    if (data[at] == '\n')
                        line++;
                    at++;
                }
                int end = at;
                if (at < data.length) {
                    at++;
                    line++;
                }
                ByteArrayOutputStream rec = new ByteArrayOutputStream();
                rec.write(data, start, end - start);
                byte[] value = rec.toByteArray();
                if (new String(value, StandardCharsets.UTF_8).isBlank())
                    continue;
                Policy.Result r = policy.apply(value);
                switch (r.verdict) {
                case PUBLISH -> {
                    out.write(new String(r.json, StandardCharsets.UTF_8));
                    out.write('\n');
                    published++;
                }
                case DEAD -> {
                    deadOut.write(Policy.deadLetter(r.reason, "{\"file\":"
                            + Policy.jsonQuoted(name) + ",\"line\":" + startLine + "}"));
                    deadOut.write('\n');
                    dead++;
                }
                case SUPPRESSED -> suppressed++;
                }
                rec.write('\n');
                sealedOut.write(Base64.getEncoder().encodeToString(
                        sealer.seal(rec.toByteArray(), Sealer.fileSource(name, startLine))));
                sealedOut.write('\n');
            }
        }
        System.err.printf("streams peer: %d records: %d published, %d suppressed, "
                + "%d dead-lettered%n", published + suppressed + dead, published,
                suppressed, dead);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || !List.of("kafka", "file").contains(args[0])) {
            System.err.println("usage: Peer kafka|file --name value ...");
            System.exit(2);
        }
        Settings s = new Settings();
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                System.err.println("usage: Peer kafka|file --name value ...");
                System.exit(2);
            }
            s.opts.put(args[i].substring(2), args[i + 1]);
        }
        if (args[0].equals("file"))
            runFile(s);
        else
            runKafka(s);
    }
}
