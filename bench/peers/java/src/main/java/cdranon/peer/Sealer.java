package cdranon.peer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals records to the custodian's X25519 public key in cdranon's sealed
 * format v1 (docs/sealed-format.md): one HPKE (RFC 9180, base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, export-only) encapsulation per
 * epoch, then AES-256-GCM per record under the exported data key.  One
 * instance per stream task; not thread-safe.
 */
final class Sealer {
    private static final long EPOCH_RECORDS = 1_000_000L;
    private static final long EPOCH_MILLIS = 3_600_000L;
    private static final byte[] INFO = ascii("cdranon sealed v1");
    private static final byte[] KEM_SUITE = {'K', 'E', 'M', 0x00, 0x20};
    private static final byte[] HPKE_SUITE = {'H', 'P', 'K', 'E', 0x00, 0x20,
        0x00, 0x01, (byte) 0xff, (byte) 0xff};

    private final PublicKey pkR;
    private final byte[] pkRaw;
    private final byte[] keyId;
    private final Cipher gcm;
    private SecretKeySpec dataKey;
    private byte[] noncePrefix;
    private byte[] enc;
    private long counter = EPOCH_RECORDS;
    private long epochStart;

    Sealer(Path publicPem) throws IOException, GeneralSecurityException {
        String pem = Files.readString(publicPem, StandardCharsets.US_ASCII);
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(b64);
        pkR = KeyFactory.getInstance("X25519").generatePublic(
                new X509EncodedKeySpec(der));
        pkRaw = Arrays.copyOfRange(der, der.length - 32, der.length);
        keyId = Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(pkRaw), 8);
        gcm = Cipher.getInstance("AES/GCM/NoPadding");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts)
            n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static byte[] hmac(byte[] key, byte[] msg) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        // An empty HKDF salt is HashLen zero bytes (RFC 5869).
        mac.init(new SecretKeySpec(key.length == 0 ? new byte[32] : key, "HmacSHA256"));
        return mac.doFinal(msg);
    }

    private static byte[] labeledExtract(byte[] suite, byte[] salt, String label,
            byte[] ikm) throws GeneralSecurityException {
        return hmac(salt, concat(ascii("HPKE-v1"), suite, ascii(label), ikm));
    }

    private static byte[] labeledExpand(byte[] suite, byte[] prk, String label,
            byte[] info, int length) throws GeneralSecurityException {
        byte[] full = concat(new byte[] {(byte) (length >> 8), (byte) length},
                ascii("HPKE-v1"), suite, ascii(label), info);
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int at = 0;
        for (int i = 1; at < length; i++) {
            t = hmac(prk, concat(t, full, new byte[] {(byte) i}));
            int n = Math.min(t.length, length - at);
            System.arraycopy(t, 0, out, at, n);
            at += n;
        }
        return out;
    }

    private void newEpoch() throws GeneralSecurityException {
        KeyPair eph = KeyPairGenerator.getInstance("X25519").generateKeyPair();
        byte[] ephDer = eph.getPublic().getEncoded();
        enc = Arrays.copyOfRange(ephDer, ephDer.length - 32, ephDer.length);
        KeyAgreement ka = KeyAgreement.getInstance("X25519");
        ka.init(eph.getPrivate());
        ka.doPhase(pkR, true);
        byte[] dh = ka.generateSecret();
        byte[] eaePrk = labeledExtract(KEM_SUITE, new byte[0], "eae_prk", dh);
        byte[] shared = labeledExpand(KEM_SUITE, eaePrk, "shared_secret",
                concat(enc, pkRaw), 32);
        byte[] pskIdHash = labeledExtract(HPKE_SUITE, new byte[0], "psk_id_hash",
                new byte[0]);
        byte[] infoHash = labeledExtract(HPKE_SUITE, new byte[0], "info_hash", INFO);
        byte[] context = concat(new byte[] {0}, pskIdHash, infoHash);
        byte[] secret = labeledExtract(HPKE_SUITE, shared, "secret", new byte[0]);
        byte[] exporter = labeledExpand(HPKE_SUITE, secret, "exp", context, 32);
        dataKey = new SecretKeySpec(labeledExpand(HPKE_SUITE, exporter, "sec",
                ascii("cdranon sealed v1 data key"), 32), "AES");
        noncePrefix = labeledExpand(HPKE_SUITE, exporter, "sec",
                ascii("cdranon sealed v1 nonce prefix"), 4);
        counter = 0;
        epochStart = System.currentTimeMillis();
    }

    /** Source coordinates of a Kafka record (kind 0x02). */
    static byte[] kafkaSource(String topic, int partition, long offset) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 2 + t.length + 4 + 8).put((byte) 2)
                .putShort((short) t.length).put(t).putInt(partition)
                .putLong(offset).array();
    }

    /** Source coordinates of a file record (kind 0x01). */
    static byte[] fileSource(String name, long line) {
        byte[] t = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 2 + t.length + 8).put((byte) 1)
                .putShort((short) t.length).put(t).putLong(line).array();
    }

    /** The sealed record of `record`; source as made by the two above. */
    byte[] seal(byte[] record, byte[] source) throws GeneralSecurityException {
        if (counter >= EPOCH_RECORDS
                || System.currentTimeMillis() - epochStart >= EPOCH_MILLIS)
            newEpoch();
        int headerLen = 54 + source.length - 1;
        ByteBuffer header = ByteBuffer.allocate(headerLen);
        header.put(new byte[] {'C', 'D', 'R', 'S', 1, source[0]}).put(keyId)
                .put(enc).putLong(counter).put(source, 1, source.length - 1);
        byte[] nonce = ByteBuffer.allocate(12).put(noncePrefix).putLong(counter)
                .array();
        counter++;
        gcm.init(Cipher.ENCRYPT_MODE, dataKey, new GCMParameterSpec(128, nonce));
        gcm.updateAAD(header.array());
        byte[] out = new byte[headerLen + record.length + 16];
        System.arraycopy(header.array(), 0, out, 0, headerLen);
        gcm.doFinal(record, 0, record.length, out, headerLen);
        return out;
    }
}
