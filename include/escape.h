/*
 * escape.h - text that came from outside (a capture file's name, an argument,
 * a message that quotes one) made safe to print on a terminal.
 *
 * A file name may hold any byte but '/' and NUL: a newline in it could forge
 * a "verdict:" line, an ESC could drive the terminal (retitle it, move the
 * cursor, on some terminals answer back as typed input).  So, as tcpdump and
 * Wireshark do with names they print, every such byte is shown as \xNN:
 *   - C0 controls (0x00-0x1f) and DEL (0x7f), newline and tab included;
 *   - C1 controls (U+0080-U+009F), which some terminals obey as ESC [ etc.;
 *   - the bidirectional overrides and isolates (U+202A-U+202E,
 *     U+2066-U+2069), which can make a name display as another;
 *   - bytes that are not valid UTF-8;
 *   - the backslash itself, as \\, so that the escaping can be undone.
 * Valid UTF-8 otherwise passes unchanged: names in other scripts stay legible.
 */
#ifndef MTUSCOPE_ESCAPE_H
#define MTUSCOPE_ESCAPE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s to fp, escaped. */
void escape_fputs(const char *s, FILE *fp);

/* An escaped copy of s (malloc'd), or NULL when out of memory. */
char *escape_dup(const char *s);

/* One diagnostic line: printf-formatted, then escaped as a whole (so a name
 * inside it cannot start a new line), then a newline.  A trailing newline in
 * fmt is ignored; a message of several lines is several calls. */
void escape_line(FILE *fp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void escape_vline(FILE *fp, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
