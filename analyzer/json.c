/* json.c - a small streaming JSON writer (see json.h). */
#include <math.h>

#include "json.h"

void json_init(struct json *j, FILE *out, bool pretty)
{
    j->out = out;
    j->depth = 0;
    j->first[0] = true;
    j->pretty = pretty;
}

static void indent(struct json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->out);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->out);
}

static void write_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        unsigned char c = *p;
        size_t run = 0; /* printable ASCII, the common case: written at once */
        while (p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run) {
            fwrite(p, 1, run, out);
            p += run;
            continue;
        }
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            p++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                fputs("\\n", out);
                break;
            case '\t':
                fputs("\\t", out);
                break;
            case '\r':
                fputs("\\r", out);
                break;
            default:
                fprintf(out, "\\u%04x", c);
                break;
            }
            p++;
        } else {
            /* validate one UTF-8 sequence (RFC 3629: no overlong forms, no
             * surrogates, nothing past U+10FFFF); replace it when invalid */
            int n = c >= 0xc2 && c <= 0xdf   ? 2
                    : c >= 0xe0 && c <= 0xef ? 3
                    : c >= 0xf0 && c <= 0xf4 ? 4
                                             : 0;
            int ok = n > 0;
            for (int i = 1; ok && i < n; i++)
                ok = (p[i] & 0xc0) == 0x80;
            if (ok && n == 3)
                ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
            if (ok && n == 4)
                ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] >= 0x90);
            if (ok) {
                fwrite(p, 1, (size_t)n, out);
                p += n;
            } else {
                fputs("\\ufffd", out);
                p++;
            }
        }
    }
    fputc('"', out);
}

static void prefix(struct json *j, const char *key)
{
    if (j->depth > 0) {
        if (!j->first[j->depth])
            fputc(',', j->out);
        indent(j);
    }
    j->first[j->depth] = false;
    if (key) {
        write_string(j->out, key);
        fputs(j->pretty ? ": " : ":", j->out);
    }
}

static void open_(struct json *j, const char *key, char c)
{
    prefix(j, key);
    fputc(c, j->out);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_(struct json *j, char c)
{
    bool empty = j->first[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (!empty)
        indent(j);
    fputc(c, j->out);
}

void json_object_begin(struct json *j, const char *key)
{
    open_(j, key, '{');
}
void json_object_end(struct json *j)
{
    close_(j, '}');
}
void json_array_begin(struct json *j, const char *key)
{
    open_(j, key, '[');
}
void json_array_end(struct json *j)
{
    close_(j, ']');
}

void json_string(struct json *j, const char *key, const char *value)
{
    prefix(j, key);
    if (value)
        write_string(j->out, value);
    else
        fputs("null", j->out);
}

void json_int(struct json *j, const char *key, int64_t value)
{
    prefix(j, key);
    fprintf(j->out, "%lld", (long long)value);
}

void json_uint(struct json *j, const char *key, uint64_t value)
{
    prefix(j, key);
    fprintf(j->out, "%llu", (unsigned long long)value);
}

void json_double(struct json *j, const char *key, double value, int decimals)
{
    prefix(j, key);
    if (isfinite(value))
        fprintf(j->out, "%.*f", decimals, value);
    else
        fputs("null", j->out); /* JSON has no NaN or infinity */
}

void json_time(struct json *j, const char *key, int64_t ns)
{
    /* digits from the integers, never through a double: a double holds 15
     * to 17 significant digits, and 1700000000.123456789 has 19 */
    uint64_t mag = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
    prefix(j, key);
    fprintf(j->out, "%s%llu.%09llu", ns < 0 ? "-" : "", (unsigned long long)(mag / 1000000000u),
            (unsigned long long)(mag % 1000000000u));
    if (key) {
        char k[64];
        snprintf(k, sizeof k, "%s_ns", key);
        json_int(j, k, ns);
    }
}

void json_time_null(struct json *j, const char *key)
{
    json_null(j, key);
    char k[64];
    snprintf(k, sizeof k, "%s_ns", key);
    json_null(j, k);
}

void json_bool(struct json *j, const char *key, bool value)
{
    prefix(j, key);
    fputs(value ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
    prefix(j, key);
    fputs("null", j->out);
}

void json_finish(struct json *j)
{
    fputc('\n', j->out);
}
