/*
 * The generator's four layouts (see gen_int.h): the generic CSV layout,
 * JSON lines with the same field names, Asterisk Master.csv and a Cisco
 * CUCM CDR export.  Each writer spells a record that gen.c decided.
 */
#include "cdranon/gen_formats.h"
#include "gen_int.h"

static const char *const disp_text[] = {"ANSWERED", "NO ANSWER", "BUSY",
                                        "FAILED", "CONGESTION"};

/* The spelled numbers of a record, defects applied to the served one. */
typedef struct {
        char calling[128];
        char called[128];
        size_t calling_len;
        size_t called_len;
} texts_t;

static void spell(const rec_t *rec, texts_t *t)
{
        cdr_gen_defect_t d = rec->defect;

        t->calling_len = cdr_gen_num_format(
            &rec->calling, t->calling,
            rec->served_is_calling ? d : CDR_GEN_WELL_FORMED, rec->var);
        t->called_len = cdr_gen_num_format(
            &rec->called, t->called,
            rec->served_is_calling ? CDR_GEN_WELL_FORMED : d, rec->var);
}

static const word_t type_words[] = {W("voice"), W("sms"), W("data")};

/* A number field of a CSV layout; `quoted`: the layout quotes text. */
static char *put_csv_number(char *p, const char *s, size_t n, int quoted,
                            int broken, uint32_t var)
{
        if (broken) {
                /* A value quoted twice over by a naive exporter, or
                 * quotes inside an unquoted field: both break RFC 4180
                 * but keep the quotes balanced, so the damage stays in
                 * this record. */
                if (quoted || (var & 2)) {
                        p = PUT_LIT(p, "\"\"");
                        p = put_mem(p, s, n);
                        return PUT_LIT(p, "\"\"");
                }
                if (n < 4)
                        return PUT_LIT(p, "\"x\"");
                p = put_mem(p, s, 2);
                *p++ = '"';
                p = put_mem(p, s + 2, n - 4);
                *p++ = '"';
                return put_mem(p, s + n - 2, 2);
        }
        /* Numbers hold no quote, separator or line break. */
        if (!quoted)
                return put_text64(p, s, n);
        *p++ = '"';
        p = put_text64(p, s, n);
        *p++ = '"';
        return p;
}

char *cdr_gen_write_csv(cdr_gen_t *gen, const rec_t *rec, char *p)
{
        texts_t t;
        int quote_bad = rec->defect == CDR_GEN_BAD_QUOTE;
        int columns_bad = rec->defect == CDR_GEN_BAD_COLUMNS;

        spell(rec, &t);
        p = put_u64(p, rec->id);
        *p++ = ',';
        p = put_word(p, &type_words[rec->type]);
        *p++ = ',';
        p = put_timestamp(gen, p, rec->start_us, rec->tstyle);
        *p++ = ',';
        p = put_timestamp(gen, p, rec->end_us, rec->tstyle);
        *p++ = ',';
        p = put_u64(p, rec->duration);
        *p++ = ',';
        p = put_csv_number(p, t.calling, t.calling_len, 0,
                           quote_bad && rec->served_is_calling, rec->var);
        *p++ = ',';
        p = put_csv_number(p, t.called, t.called_len, 0,
                           quote_bad && !rec->served_is_calling, rec->var);
        *p++ = ',';
        p = cdr_gen_put_imsi(p, rec->sub);
        *p++ = ',';
        p = cdr_gen_put_imei(gen, p, rec->h);
        *p++ = ',';
        p = cdr_gen_put_cell(p, rec->cell);
        *p++ = ',';
        p = put_u64(p, rec->bytes_up);
        *p++ = ',';
        p = put_u64(p, rec->bytes_down);
        *p++ = ',';
        p = put_u64(p, (uint64_t)rec->cause);
        *p++ = ',';
        p = cdr_gen_put_name(p, rec->h, ESC_CSV);
        *p++ = ',';
        if (columns_bad && (rec->var & 4))
                /* The address written unquoted: its commas split it. */
                p = cdr_gen_put_address(p, rec->h, ESC_RAW, 1);
        else
                p = cdr_gen_put_address(p, rec->h, ESC_CSV, 0);
        if (!(columns_bad && !(rec->var & 4))) {
                /* (a truncated row loses its last column) */
                *p++ = ',';
                p = cdr_gen_put_payment(p, rec->h, ESC_CSV);
        }
        return p;
}

static char *put_json_ts(cdr_gen_t *gen, char *p, int64_t us, int style)
{
        if (style == TS_EPOCH)
                return put_i64(p, us / US_PER_S);
        *p++ = '"';
        p = put_timestamp(gen, p, us, style);
        *p++ = '"';
        return p;
}

/* A number as a JSON string: numbers hold no character that JSON
 * escapes (the non-UTF-8 byte of a defect is copied as it is). */
static char *put_json_number(char *p, const char *s, size_t n)
{
        *p++ = '"';
        p = put_text64(p, s, n);
        *p++ = '"';
        return p;
}

char *cdr_gen_write_json(cdr_gen_t *gen, const rec_t *rec, char *p)
{
        texts_t t;
        int bad_json = rec->defect == CDR_GEN_BAD_JSON;
        unsigned jv = rec->var % 4;

        spell(rec, &t);
        p = PUT_LIT(p, "{\"record_id\":");
        p = put_u64(p, rec->id);
        if (bad_json && jv == 3)
                p = PUT_LIT(p, ",'record_type':\"");
        else
                p = PUT_LIT(p, ",\"record_type\":\"");
        p = put_word(p, &type_words[rec->type]);
        p = PUT_LIT(p, "\",\"start_time\":");
        p = put_json_ts(gen, p, rec->start_us, rec->tstyle);
        p = PUT_LIT(p, ",\"end_time\":");
        p = put_json_ts(gen, p, rec->end_us, rec->tstyle);
        p = PUT_LIT(p, ",\"duration\":");
        p = put_u64(p, rec->duration);
        p = PUT_LIT(p, ",\"calling_number\":");
        if (bad_json && jv == 2 && rec->served_is_calling)
                p = put_mem(p, t.calling, t.calling_len);
        else
                p = put_json_number(p, t.calling, t.calling_len);
        p = PUT_LIT(p, ",\"called_number\":");
        if (rec->called.cls == NUM_NONE)
                p = PUT_LIT(p, "null");
        else if (bad_json && jv == 2 && !rec->served_is_calling)
                p = put_mem(p, t.called, t.called_len);
        else
                p = put_json_number(p, t.called, t.called_len);
        p = PUT_LIT(p, ",\"imsi\":\"");
        p = cdr_gen_put_imsi(p, rec->sub);
        p = PUT_LIT(p, "\",\"imei\":\"");
        p = cdr_gen_put_imei(gen, p, rec->h);
        p = PUT_LIT(p, "\",\"cell_id\":\"");
        p = cdr_gen_put_cell(p, rec->cell);
        p = PUT_LIT(p, "\",\"bytes_up\":");
        p = put_u64(p, rec->bytes_up);
        p = PUT_LIT(p, ",\"bytes_down\":");
        p = put_u64(p, rec->bytes_down);
        p = PUT_LIT(p, ",\"cause_for_term\":");
        p = put_u64(p, (uint64_t)rec->cause);
        p = PUT_LIT(p, ",\"subscriber_name\":");
        p = cdr_gen_put_name(p, rec->h, ESC_JSON);
        p = PUT_LIT(p, ",\"subscriber_address\":");
        p = cdr_gen_put_address(p, rec->h, ESC_JSON, 0);
        p = PUT_LIT(p, ",\"payment_ref\":");
        p = cdr_gen_put_payment(p, rec->h, ESC_JSON);
        if (bad_json && jv == 1)
                *p++ = ',';
        if (!(bad_json && jv == 0))
                *p++ = '}';
        return p;
}

static int disposition(const rec_t *rec)
{
        switch (rec->cause) {
        case 16:
        case 31:
                return 0;
        case 18:
        case 19:
                return 1;
        case 17:
                return 2;
        case 34:
        case 41:
                return 4;
        default:
                return 3;
        }
}

static char *put_hex32(char *p, uint32_t v, int digits)
{
        int i;

        for (i = digits - 1; i >= 0; i--) {
                p[i] = cdr_gen_hexdigits[v & 15];
                v >>= 4;
        }
        return p + digits;
}

/* Asterisk cdr_csv (Master.csv, loguniqueid and loguserfield on): text
 * columns always quoted, duration and billsec bare, dates as
 * "%Y-%m-%d %T" in UTC (cdr.conf usegmtime=yes). */
char *cdr_gen_write_asterisk(cdr_gen_t *gen, const rec_t *rec, char *p)
{
        char tmp[256];
        texts_t t;
        size_t n;
        int quote_bad = rec->defect == CDR_GEN_BAD_QUOTE;
        int columns_bad = rec->defect == CDR_GEN_BAD_COLUMNS;
        uint64_t r = rng_next(gen);
        uint32_t talk = rec->answered ? rec->duration : 0;
        char *q;

        spell(rec, &t);
        /* accountcode */
        p = (r & 7) == 0 ? PUT_LIT(p, "\"callflow-business\",")
                         : PUT_LIT(p, "\"\",");
        p = put_csv_number(p, t.calling, t.calling_len, 1,
                           quote_bad && rec->served_is_calling, rec->var);
        *p++ = ',';
        p = put_csv_number(p, t.called, t.called_len, 1,
                           quote_bad && !rec->served_is_calling, rec->var);
        *p++ = ',';
        p = rec->mo ? PUT_LIT(p, "\"from-ims\",")
                    : PUT_LIT(p, "\"from-pstn\",");
        /* clid: "Name" <number> */
        q = tmp;
        *q++ = '"';
        if (rec->served_is_calling)
                q = cdr_gen_put_name(q, rec->h, ESC_RAW);
        else if (rec->calling.cls == NUM_WITHHELD)
                q = PUT_LIT(q, "Anonymous");
        else
                q = put_mem(q, t.calling, t.calling_len);
        q = PUT_LIT(q, "\" <");
        q = put_mem(q, t.calling, t.calling_len);
        *q++ = '>';
        p = put_quoted(p, tmp, (size_t)(q - tmp));
        *p++ = ',';
        /* channel, dstchannel */
        p = rec->mo ? PUT_LIT(p, "\"PJSIP/ims-core-")
                    : PUT_LIT(p, "\"PJSIP/pstn-gw-");
        p = put_hex32(p, (uint32_t)rec->id, 8);
        p = PUT_LIT(p, "\",");
        if (disposition(rec) >= 3) {
                p = PUT_LIT(p, "\"\",");
        } else {
                p = rec->mo ? PUT_LIT(p, "\"PJSIP/pstn-gw-")
                            : PUT_LIT(p, "\"PJSIP/ims-core-");
                p = put_hex32(p, (uint32_t)(rec->id ^ 0x5a5a5a5a), 8);
                p = PUT_LIT(p, "\",");
        }
        /* lastapp, lastdata */
        p = PUT_LIT(p, "\"Dial\",");
        q = tmp;
        q = PUT_LIT(q, "PJSIP/");
        q = put_mem(q, t.called, t.called_len);
        q = rec->mo ? PUT_LIT(q, "@pstn-gw,60,tT")
                    : PUT_LIT(q, "@ims-core,45,t");
        if (columns_bad && (rec->var & 4))
                p = put_mem(p, tmp, (size_t)(q - tmp));
        else
                p = put_quoted(p, tmp, (size_t)(q - tmp));
        *p++ = ',';
        /* start, answer, end */
        *p++ = '"';
        p = put_datetime(gen, p, rec->start_us, ' ');
        p = PUT_LIT(p, "\",\"");
        if (rec->answered)
                p = put_datetime(
                    gen, p, rec->start_us + (int64_t)rec->ring * US_PER_S, ' ');
        p = PUT_LIT(p, "\",\"");
        p = put_datetime(gen, p, rec->end_us, ' ');
        p = PUT_LIT(p, "\",");
        p = put_u64(p, (uint64_t)((rec->end_us - rec->start_us) / US_PER_S));
        *p++ = ',';
        p = put_u64(p, talk);
        *p++ = ',';
        n = strlen(disp_text[disposition(rec)]);
        p = put_quoted(p, disp_text[disposition(rec)], n);
        p = (r & 0x70) == 0 ? PUT_LIT(p, ",\"BILLING\",\"")
                            : PUT_LIT(p, ",\"DOCUMENTATION\",\"");
        /* uniqueid */
        p = put_i64(p, rec->start_us / US_PER_S);
        *p++ = '.';
        p = put_u64(p, rec->id);
        *p++ = '"';
        if (!(columns_bad && !(rec->var & 4)))
                p = PUT_LIT(p, ",\"\"");
        return p;
}

/* The CUCM CDR fields (release 11.x), in file order; 1 marks text
 * columns, which CUCM writes quoted. */
static const struct {
        const char *name;
        uint8_t text;
} cucm_fields[] = {
    {"cdrRecordType", 0},
    {"globalCallID_callManagerId", 0},
    {"globalCallID_callId", 0},
    {"origLegCallIdentifier", 0},
    {"dateTimeOrigination", 0},
    {"origNodeId", 0},
    {"origSpan", 0},
    {"origIpAddr", 0},
    {"callingPartyNumber", 1},
    {"callingPartyUnicodeLoginUserID", 1},
    {"origCause_location", 0},
    {"origCause_value", 0},
    {"origPrecedenceLevel", 0},
    {"origMediaTransportAddress_IP", 0},
    {"origMediaTransportAddress_Port", 0},
    {"origMediaCap_payloadCapability", 0},
    {"origMediaCap_maxFramesPerPacket", 0},
    {"origMediaCap_g723BitRate", 0},
    {"origVideoCap_Codec", 0},
    {"origVideoCap_Bandwidth", 0},
    {"origVideoCap_Resolution", 0},
    {"origVideoTransportAddress_IP", 0},
    {"origVideoTransportAddress_Port", 0},
    {"origRSVPAudioStat", 1},
    {"origRSVPVideoStat", 1},
    {"destLegIdentifier", 0},
    {"destNodeId", 0},
    {"destSpan", 0},
    {"destIpAddr", 0},
    {"originalCalledPartyNumber", 1},
    {"finalCalledPartyNumber", 1},
    {"finalCalledPartyUnicodeLoginUserID", 1},
    {"destCause_location", 0},
    {"destCause_value", 0},
    {"destPrecedenceLevel", 0},
    {"destMediaTransportAddress_IP", 0},
    {"destMediaTransportAddress_Port", 0},
    {"destMediaCap_payloadCapability", 0},
    {"destMediaCap_maxFramesPerPacket", 0},
    {"destMediaCap_g723BitRate", 0},
    {"destVideoCap_Codec", 0},
    {"destVideoCap_Bandwidth", 0},
    {"destVideoCap_Resolution", 0},
    {"destVideoTransportAddress_IP", 0},
    {"destVideoTransportAddress_Port", 0},
    {"destRSVPAudioStat", 1},
    {"destRSVPVideoStat", 1},
    {"dateTimeConnect", 0},
    {"dateTimeDisconnect", 0},
    {"lastRedirectDn", 1},
    {"pkid", 1},
    {"originalCalledPartyNumberPartition", 1},
    {"callingPartyNumberPartition", 1},
    {"finalCalledPartyNumberPartition", 1},
    {"lastRedirectDnPartition", 1},
    {"duration", 0},
    {"origDeviceName", 1},
    {"destDeviceName", 1},
    {"origCallTerminationOnBehalfOf", 0},
    {"destCallTerminationOnBehalfOf", 0},
    {"origCalledPartyRedirectOnBehalfOf", 0},
    {"lastRedirectRedirectOnBehalfOf", 0},
    {"origCalledPartyRedirectReason", 0},
    {"lastRedirectRedirectReason", 0},
    {"destConversationId", 0},
    {"globalCallId_ClusterID", 1},
    {"joinOnBehalfOf", 0},
    {"comment", 1},
    {"authCodeDescription", 1},
    {"authorizationLevel", 0},
    {"clientMatterCode", 1},
    {"origDTMFMethod", 0},
    {"destDTMFMethod", 0},
    {"callSecuredStatus", 0},
    {"origConversationId", 0},
    {"origMediaCap_Bandwidth", 0},
    {"destMediaCap_Bandwidth", 0},
    {"authorizationCodeValue", 1},
    {"outpulsedCallingPartyNumber", 1},
    {"outpulsedCalledPartyNumber", 1},
    {"origIpv4v6Addr", 1},
    {"destIpv4v6Addr", 1},
    {"origVideoCap_Codec_Channel2", 0},
    {"origVideoCap_Bandwidth_Channel2", 0},
    {"origVideoCap_Resolution_Channel2", 0},
    {"origVideoTransportAddress_IP_Channel2", 0},
    {"origVideoTransportAddress_Port_Channel2", 0},
    {"origVideoChannel_Role_Channel2", 0},
    {"destVideoCap_Codec_Channel2", 0},
    {"destVideoCap_Bandwidth_Channel2", 0},
    {"destVideoCap_Resolution_Channel2", 0},
    {"destVideoTransportAddress_IP_Channel2", 0},
    {"destVideoTransportAddress_Port_Channel2", 0},
    {"destVideoChannel_Role_Channel2", 0},
    {"IncomingProtocolID", 0},
    {"IncomingProtocolCallRef", 1},
    {"OutgoingProtocolID", 0},
    {"OutgoingProtocolCallRef", 1},
    {"currentRoutingReason", 0},
    {"origRoutingReason", 0},
    {"lastRedirectingRoutingReason", 0},
    {"huntPilotPartition", 1},
    {"huntPilotDN", 1},
    {"calledPartyPatternUsage", 0},
    {"IncomingICID", 1},
    {"IncomingOrigIOI", 1},
    {"IncomingTermIOI", 1},
    {"OutgoingICID", 1},
    {"OutgoingOrigIOI", 1},
    {"OutgoingTermIOI", 1},
    {"outpulsedOriginalCalledPartyNumber", 1},
    {"outpulsedLastRedirectingNumber", 1},
    {"wasCallQueued", 0},
    {"totalWaitTimeInQueue", 0},
    {"callingPartyNumber_uri", 1},
    {"originalCalledPartyNumber_uri", 1},
    {"finalCalledPartyNumber_uri", 1},
    {"lastRedirectDn_uri", 1},
    {"mobileCallingPartyNumber", 1},
    {"finalMobileCalledPartyNumber", 1},
    {"origMobileDeviceName", 1},
    {"destMobileDeviceName", 1},
    {"origMobileCallDuration", 0},
    {"destMobileCallDuration", 0},
    {"mobileCallType", 0},
    {"originalCalledPartyPattern", 1},
    {"finalCalledPartyPattern", 1},
    {"lastRedirectingPartyPattern", 1},
    {"huntPilotPattern", 1},
};

#define CUCM_NFIELDS NELEM(cucm_fields)

/* An IPv4 address as CUCM writes it: the address bytes read as a
 * little-endian signed 32-bit integer. */
static char *put_cucm_ip(char *p, uint32_t a, uint32_t b, uint32_t c,
                         uint32_t d)
{
        uint32_t v = a | b << 8 | c << 16 | d << 24;

        return put_i64(p, (int64_t)(int32_t)v);
}

static char *put_dotted(char *p, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
        p = put_u64(p, a);
        *p++ = '.';
        p = put_u64(p, b);
        *p++ = '.';
        p = put_u64(p, c);
        *p++ = '.';
        return put_u64(p, d);
}

/* A device MAC address in upper-case hex, as in SEP names. */
static char *put_mac(char *p, uint64_t h)
{
        static const char upper[] = "0123456789ABCDEF";
        int i;

        for (i = 11; i >= 0; i--) {
                p[i] = upper[h & 15];
                h >>= 4;
        }
        return p + 12;
}

/* A clean E.164 copy of a number for the outpulsed columns. */
static size_t e164_text(const num_t *num, char *out)
{
        num_t copy = *num;

        if (num->cls == NUM_PERSONAL)
                copy.spelling = SP_E164;
        return cdr_gen_num_format(&copy, out, CDR_GEN_WELL_FORMED, 0);
}

char *cdr_gen_write_cucm(cdr_gen_t *gen, const rec_t *rec, char *p)
{
        char tmp[128];
        texts_t t;
        size_t i, n, last = CUCM_NFIELDS;
        uint64_t r = rng_next(gen);
        uint64_t r2 = rng_next(gen);
        uint32_t node = 1 + (uint32_t)(r % 3);
        uint32_t phone_c = (uint32_t)(rec->h >> 40) & 255;
        uint32_t phone_d = 1 + (uint32_t)(rec->h >> 48) % 254;
        uint32_t gw_d = 10 + (uint32_t)((r >> 8) % 4);
        int64_t start = rec->start_us / US_PER_S;
        int quote_bad = rec->defect == CDR_GEN_BAD_QUOTE;
        int columns_bad = rec->defect == CDR_GEN_BAD_COLUMNS;
        int origin_releases = (r >> 16) & 1;
        int disp = disposition(rec);

        spell(rec, &t);
        if (columns_bad && !(rec->var & 4))
                last = CUCM_NFIELDS - 1;
        for (i = 0; i < last; i++) {
                if (i > 0)
                        *p++ = ',';
                switch (i) {
                case 0:
                        *p++ = '1';
                        break;
                case 1:
                case 5:
                        p = put_u64(p, node);
                        break;
                case 26:
                        p = put_u64(p, 1 + (node % 3));
                        break;
                case 2:
                        p = put_u64(p, 1000000 + rec->id);
                        break;
                case 3:
                        p = put_u64(p, 16777216 + 2 * rec->id);
                        break;
                case 25:
                        p = put_u64(p, 16777217 + 2 * rec->id);
                        break;
                case 4:
                        p = put_i64(p, start);
                        break;
                case 7:
                        p = put_cucm_ip(p, 10, 20, phone_c, phone_d);
                        break;
                case 13:
                        if (rec->answered)
                                p = put_cucm_ip(p, 10, 20, phone_c, phone_d);
                        else
                                *p++ = '0';
                        break;
                case 28:
                        p = put_cucm_ip(p, 10, 30, 0, gw_d);
                        break;
                case 35:
                        if (rec->answered)
                                p = put_cucm_ip(p, 10, 30, 0, gw_d);
                        else
                                *p++ = '0';
                        break;
                case 14:
                case 36:
                        if (rec->answered)
                                p = put_u64(
                                    p, 16384 + 2 * ((r >> (i == 14 ? 20 : 34)) %
                                                    8000));
                        else
                                *p++ = '0';
                        break;
                case 15:
                case 37:
                        *p++ = rec->answered ? '4' : '0';
                        break;
                case 16:
                case 38:
                        p = rec->answered ? PUT_LIT(p, "20") : PUT_LIT(p, "0");
                        break;
                case 12:
                case 34:
                        *p++ = '4';
                        break;
                case 11:
                        p = put_u64(p, origin_releases || disp > 0
                                           ? (uint64_t)rec->cause
                                           : 0);
                        break;
                case 33:
                        p = put_u64(p, !origin_releases || disp > 0
                                           ? (uint64_t)rec->cause
                                           : 0);
                        break;
                case 8:
                        p = put_csv_number(p, t.calling, t.calling_len, 1,
                                           quote_bad && rec->served_is_calling,
                                           rec->var);
                        break;
                case 29:
                case 30:
                case 49:
                        p = put_csv_number(
                            p, t.called, t.called_len, 1,
                            quote_bad && !rec->served_is_calling && i != 49,
                            rec->var);
                        break;
                case 47:
                        if (rec->answered)
                                p = put_i64(p, start + rec->ring);
                        else
                                *p++ = '0';
                        break;
                case 48:
                        p = put_i64(p, rec->end_us / US_PER_S);
                        break;
                case 50:
                        /* pkid: a version 4 UUID */
                        *p++ = '"';
                        p = put_hex32(p, (uint32_t)r2, 8);
                        *p++ = '-';
                        p = put_hex32(p, (uint32_t)(r2 >> 32), 4);
                        p = PUT_LIT(p, "-4");
                        p = put_hex32(p, (uint32_t)(r2 >> 48), 3);
                        *p++ = '-';
                        *p++ = cdr_gen_hexdigits[8 + ((r >> 24) & 3)];
                        p = put_hex32(p, (uint32_t)(r >> 26), 3);
                        *p++ = '-';
                        p = put_hex32(p, (uint32_t)(r >> 38), 4);
                        p = put_hex32(p, (uint32_t)mix64(r2), 8);
                        *p++ = '"';
                        break;
                case 51:
                case 53:
                case 54:
                        p = rec->mo ? PUT_LIT(p, "\"PT_PSTN\"")
                                    : PUT_LIT(p, "\"PT_Internal\"");
                        break;
                case 52:
                        p = rec->mo ? PUT_LIT(p, "\"PT_Internal\"")
                                    : PUT_LIT(p, "\"PT_PSTN\"");
                        break;
                case 55:
                        p = put_u64(p, rec->answered ? rec->duration : 0);
                        break;
                case 56:
                case 57:
                        if ((i == 56) == (rec->mo != 0)) {
                                /* a phone: SEP and its MAC address */
                                p = PUT_LIT(p, "\"SEP");
                                p = put_mac(p, rec->h);
                                *p++ = '"';
                        } else {
                                p = PUT_LIT(p, "\"CUBE-SIP-TRUNK\"");
                        }
                        break;
                case 58:
                        p = origin_releases ? PUT_LIT(p, "12")
                                            : PUT_LIT(p, "0");
                        break;
                case 59:
                        p = origin_releases ? PUT_LIT(p, "0")
                                            : PUT_LIT(p, "12");
                        break;
                case 65:
                        p = PUT_LIT(p, "\"StandAloneCluster\"");
                        break;
                case 71:
                case 72:
                        *p++ = '3';
                        break;
                case 75:
                case 76:
                        p = PUT_LIT(p, "64");
                        break;
                case 78:
                        n = e164_text(&rec->calling, tmp);
                        p = put_quoted(p, tmp, n);
                        break;
                case 79:
                case 110:
                        n = e164_text(&rec->called, tmp);
                        p = put_quoted(p, tmp, n);
                        break;
                case 80:
                        *p++ = '"';
                        p = put_dotted(p, 10, 20, phone_c, phone_d);
                        *p++ = '"';
                        break;
                case 81:
                        *p++ = '"';
                        p = put_dotted(p, 10, 30, 0, gw_d);
                        *p++ = '"';
                        break;
                case 94:
                case 96:
                        *p++ = '3'; /* SIP */
                        break;
                case 103:
                        *p++ = '2';
                        break;
                default:
                        if (cucm_fields[i].text)
                                p = PUT_LIT(p, "\"\"");
                        else
                                *p++ = '0';
                }
        }
        if (columns_bad && (rec->var & 4))
                p = PUT_LIT(p, ",\"\"");
        return p;
}

static const char *const csv_columns[] = {
    "record_id",      "record_type",     "start_time",         "end_time",
    "duration",       "calling_number",  "called_number",      "imsi",
    "imei",           "cell_id",         "bytes_up",           "bytes_down",
    "cause_for_term", "subscriber_name", "subscriber_address", "payment_ref",
};

/* Asterisk cdr_csv column order (loguniqueid and loguserfield on). */
static const char *const asterisk_columns[] = {
    "accountcode", "src",        "dst",       "dcontext", "clid",
    "channel",     "dstchannel", "lastapp",   "lastdata", "start",
    "answer",      "end",        "duration",  "billsec",  "disposition",
    "amaflags",    "uniqueid",   "userfield",
};

size_t cdr_gen_column_count(cdr_gen_format_t format)
{
        switch (format) {
        case CDR_GEN_CSV:
        case CDR_GEN_JSON:
                return NELEM(csv_columns);
        case CDR_GEN_ASTERISK:
                return NELEM(asterisk_columns);
        case CDR_GEN_CUCM:
                return CUCM_NFIELDS;
        }
        return 0;
}

const char *cdr_gen_column_name(cdr_gen_format_t format, size_t i)
{
        if (i >= cdr_gen_column_count(format))
                return NULL;
        switch (format) {
        case CDR_GEN_CSV:
        case CDR_GEN_JSON:
                return csv_columns[i];
        case CDR_GEN_ASTERISK:
                return asterisk_columns[i];
        case CDR_GEN_CUCM:
                return cucm_fields[i].name;
        }
        return NULL;
}
