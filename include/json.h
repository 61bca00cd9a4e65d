/*
 * json.h - a small streaming JSON writer.
 *
 * The writer tracks nesting and commas so callers write values in order and
 * never build strings by hand.  Strings are escaped per RFC 8259 (control
 * characters, quotes, backslashes; bytes >= 0x80 that are not valid UTF-8 are
 * written as U+FFFD so the output is always valid JSON, whatever a file name
 * contains).  `key` is NULL for array elements.
 *
 * Output is gathered in a buffer inside struct json and written JSON_BUF
 * bytes at a time: one fputc or fprintf per character or number cost 8% of
 * a run on a capture of 150,000 connections (issue 18).  json_finish()
 * writes the rest; json_flush() writes what is buffered without ending the
 * document.
 */
#ifndef MTUSCOPE_JSON_H
#define MTUSCOPE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32
#define JSON_BUF 16384

struct json {
    FILE *out;
    int depth;
    bool first[JSON_MAX_DEPTH]; /* no element written yet at this depth */
    bool pretty;
    size_t len;         /* bytes in buf not yet written to out */
    char buf[JSON_BUF]; /* the output not yet written */
};

void json_init(struct json *j, FILE *out, bool pretty);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL -> null */
void json_int(struct json *j, const char *key, int64_t value);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_double(struct json *j, const char *key, double value, int decimals);
/* An instant, `ns` nanoseconds since the epoch: "key": seconds with nine
 * decimals ("%lld.%09u", made from the integers so that one instant prints
 * the same digits in every section), then "key_ns": the integer
 * nanoseconds.  In an array (key NULL), the seconds alone. */
void json_time(struct json *j, const char *key, int64_t ns);
void json_time_null(struct json *j, const char *key); /* "key": null, "key_ns": null */
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline, and writes out what is buffered. */
void json_finish(struct json *j);
/* Writes out what is buffered (the document goes on). */
void json_flush(struct json *j);

#endif
