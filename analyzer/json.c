/* json.c - a small streaming JSON writer (see json.h). */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *out, bool pretty)
{
    j->out = out;
    j->depth = 0;
    j->first[0] = true;
    j->pretty = pretty;
    j->len = 0;
}

void json_flush(struct json *j)
{
    if (j->len)
        fwrite(j->buf, 1, j->len, j->out); /* a write error shows in ferror(out) */
    j->len = 0;
}

/* n bytes of output: into the buffer, flushed first when they do not fit;
 * a run longer than the buffer goes straight out. */
static void put(struct json *j, const void *s, size_t n)
{
    if (n > JSON_BUF - j->len) {
        json_flush(j);
        if (n > JSON_BUF) {
            fwrite(s, 1, n, j->out);
            return;
        }
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void putch(struct json *j, char c)
{
    if (j->len == JSON_BUF)
        json_flush(j);
    j->buf[j->len++] = c;
}

static void puts_(struct json *j, const char *s)
{
    put(j, s, strlen(s));
}

/* printf into the buffer (numbers: at most a few hundred bytes, a double
 * printed with "%f" at most 330); flushed and retried when it does not fit */
static void putf(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct json *j, const char *fmt, ...)
{
    for (int tries = 0; tries < 2; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(j->buf + j->len, JSON_BUF - j->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < JSON_BUF - j->len) {
            j->len += (size_t)n;
            return;
        }
        json_flush(j);
    }
}

/* An unsigned decimal, without printf (the JSON report is mostly numbers). */
static void put_u64(struct json *j, uint64_t v)
{
    char d[20];
    int i = (int)sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(j, d + i, sizeof d - (size_t)i);
}

static void indent(struct json *j)
{
    static const char spaces[2 * JSON_MAX_DEPTH + 1] = "                                "
                                                       "                                ";
    if (!j->pretty)
        return;
    putch(j, '\n');
    put(j, spaces, 2 * (size_t)j->depth);
}

static void write_string(struct json *j, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    putch(j, '"');
    while (*p) {
        unsigned char c = *p;
        size_t run = 0; /* printable ASCII, the common case: written at once */
        while (p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run) {
            put(j, p, run);
            p += run;
            continue;
        }
        if (c == '"' || c == '\\') {
            putch(j, '\\');
            putch(j, (char)c);
            p++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                put(j, "\\n", 2);
                break;
            case '\t':
                put(j, "\\t", 2);
                break;
            case '\r':
                put(j, "\\r", 2);
                break;
            default:
                putf(j, "\\u%04x", c);
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
                put(j, p, (size_t)n);
                p += n;
            } else {
                put(j, "\\ufffd", 6);
                p++;
            }
        }
    }
    putch(j, '"');
}

static void prefix(struct json *j, const char *key)
{
    if (j->depth > 0) {
        if (!j->first[j->depth])
            putch(j, ',');
        indent(j);
    }
    j->first[j->depth] = false;
    if (key) {
        write_string(j, key);
        put(j, ": ", j->pretty ? 2 : 1);
    }
}

static void open_(struct json *j, const char *key, char c)
{
    prefix(j, key);
    putch(j, c);
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
    putch(j, c);
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
        write_string(j, value);
    else
        put(j, "null", 4);
}

void json_int(struct json *j, const char *key, int64_t value)
{
    prefix(j, key);
    if (value < 0) {
        putch(j, '-');
        put_u64(j, -(uint64_t)value);
    } else {
        put_u64(j, (uint64_t)value);
    }
}

void json_uint(struct json *j, const char *key, uint64_t value)
{
    prefix(j, key);
    put_u64(j, value);
}

void json_double(struct json *j, const char *key, double value, int decimals)
{
    prefix(j, key);
    if (isfinite(value))
        putf(j, "%.*f", decimals, value);
    else
        put(j, "null", 4); /* JSON has no NaN or infinity */
}

void json_time(struct json *j, const char *key, int64_t ns)
{
    /* digits from the integers, never through a double: a double holds 15
     * to 17 significant digits, and 1700000000.123456789 has 19 */
    uint64_t mag = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
    prefix(j, key);
    if (ns < 0)
        putch(j, '-');
    put_u64(j, mag / 1000000000u);
    char frac[10] = {'.'};
    uint64_t f = mag % 1000000000u;
    for (int i = 9; i >= 1; i--, f /= 10)
        frac[i] = (char)('0' + f % 10);
    put(j, frac, sizeof frac);
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
    puts_(j, value ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
    prefix(j, key);
    put(j, "null", 4);
}

void json_finish(struct json *j)
{
    putch(j, '\n');
    json_flush(j);
}
