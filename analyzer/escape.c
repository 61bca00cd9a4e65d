/* escape.c - printing outside text safely (escape.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

/* Length of the valid UTF-8 sequence at s (1-4), 0 when it is not one:
 * overlong forms, surrogates and code points past U+10FFFF are invalid
 * (RFC 3629 section 4). */
static size_t utf8_len(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

static bool shown_escaped(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Escapes s into out (which holds at least 4 * strlen(s) + 1 bytes: the
 * worst case, every byte as \xNN); returns the length written. */
static size_t escape_into(const char *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_len(p, &cp);
        if (n == 1 && cp == '\\') {
            out[o++] = '\\';
            out[o++] = '\\';
        } else if (n && !shown_escaped(cp)) {
            memcpy(out + o, p, n);
            o += n;
        } else {
            if (n == 0)
                n = 1; /* an invalid byte: escape it alone, resynchronise after */
            for (size_t i = 0; i < n; i++) {
                out[o++] = '\\';
                out[o++] = 'x';
                out[o++] = hex[p[i] >> 4];
                out[o++] = hex[p[i] & 15];
            }
        }
        p += n;
    }
    out[o] = '\0';
    return o;
}

char *escape_dup(const char *s)
{
    size_t len = strlen(s);
    if (len > (SIZE_MAX - 1) / 4)
        return NULL;
    char *out = malloc(4 * len + 1);
    if (out)
        escape_into(s, out);
    return out;
}

void escape_fputs(const char *s, FILE *fp)
{
    char *e = escape_dup(s);
    if (e) {
        fputs(e, fp);
        free(e);
        return;
    }
    /* out of memory: still never print a raw control byte */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p >= 0x7f || *p == '\\' ? '?' : *p, fp);
}

void escape_line(FILE *fp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    escape_vline(fp, fmt, ap);
    va_end(ap);
}

void escape_vline(FILE *fp, const char *fmt, va_list ap)
{
    va_list c;
    va_copy(c, ap);
    int n = vsnprintf(NULL, 0, fmt, c);
    va_end(c);
    if (n < 0)
        return;
    char *msg = malloc((size_t)n + 1);
    if (!msg) {
        fputs("mtuscope: out of memory (while writing a message)\n", fp);
        return;
    }
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    if (n > 0 && msg[n - 1] == '\n')
        msg[n - 1] = '\0';
    escape_fputs(msg, fp);
    fputc('\n', fp);
    free(msg);
}
