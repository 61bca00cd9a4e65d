/*
 * report_compare.c - the comparison of flows (compare.h) in the text, JSON
 * and HTML reports (report_compare.h).  It prints what compare.c decided,
 * and computes nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report_compare.h"

void report_goodput_text(double bps, char *buf, size_t size)
{
    if (bps < 0)
        snprintf(buf, size, "unknown");
    else if (bps >= 1e6)
        snprintf(buf, size, "%.1f Mbit/s", bps / 1e6);
    else if (bps >= 1e3)
        snprintf(buf, size, "%.1f kbit/s", bps / 1e3);
    else
        snprintf(buf, size, "%.0f bit/s", bps);
}

static const char *end_name(int e)
{
    return e ? "server" : "client";
}

/* "MSS 1240 (interface MTU 1280), window scale 7, SACK, timestamps, TTL 64" */
static void end_text(const struct cmp_end *e, char *buf, size_t size)
{
    int n;
    if (e->mss)
        n = snprintf(buf, size, "MSS %u (interface MTU %u)", e->mss, e->mtu);
    else
        n = snprintf(buf, size, "no SYN seen (MSS unknown)");
    if (n < 0 || (size_t)n >= size)
        return;
    if (e->mss) {
        if (e->wscale != 0xff)
            n += snprintf(buf + n, size - (size_t)n, ", window scale %u", e->wscale);
        else
            n += snprintf(buf + n, size - (size_t)n, ", no window scale");
        if (n > 0 && (size_t)n < size)
            n += snprintf(buf + n, size - (size_t)n, ", %s, %s", e->sack ? "SACK" : "no SACK",
                          e->timestamps ? "timestamps" : "no timestamps");
    }
    if (e->ttl && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ", TTL %u", e->ttl);
}

static void row_label(const struct cmp_row *w, char *buf, size_t size)
{
    if (w->service)
        snprintf(buf, size, "#%" PRIu64 " (%s)", w->flow, w->service);
    else
        snprintf(buf, size, "#%" PRIu64 " (port %u)", w->flow, w->end[1].port);
}

void report_compare_text(FILE *out, const struct comparison *c, const struct report_data *r,
                         const char *bold, const char *off)
{
    if (!c)
        return;
    fprintf(out, "\n%scomparison (the TCP flows that carried data, side by side):%s\n", bold, off);
    for (int i = 0; i < c->nrows; i++) {
        const struct cmp_row *w = &c->rows[i];
        char lbl[48], a[64], b[64], e0[160], e1[160], gp[32], line[768];
        row_label(w, lbl, sizeof lbl);
        addr_text(&w->end[0].addr, a, sizeof a);
        addr_text(&w->end[1].addr, b, sizeof b);
        report_goodput_text(w->goodput_bps, gp, sizeof gp);
        int n = snprintf(line, sizeof line, "- %s %s:%u -> %s:%u: %s%s", lbl, a, w->end[0].port, b,
                         w->end[1].port, compare_state_name(w->state),
                         w->state == CMP_STALLS && w->suspected ? " (seen from the receiver)" : "");
        if (n > 0 && (size_t)n < sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, "; data %s->%s: largest sent %u bytes",
                          end_name(w->data_dir), end_name(!w->data_dir), w->largest_sent);
        if (n > 0 && (size_t)n < sizeof line && w->largest_delivered)
            n += snprintf(line + n, sizeof line - (size_t)n, ", largest delivered %u",
                          w->largest_delivered);
        if (n > 0 && (size_t)n < sizeof line && w->smallest_lost)
            n +=
                snprintf(line + n, sizeof line - (size_t)n, ", smallest lost %u", w->smallest_lost);
        if (n > 0 && (size_t)n < sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, "; goodput %s", gp);
        if (n > 0 && (size_t)n < sizeof line && w->nviews > 1) {
            n += snprintf(line + n, sizeof line - (size_t)n, "; seen in inputs");
            for (int k = 0; k < w->nviews && k < CMP_MAX_VIEWS && n > 0 && (size_t)n < sizeof line;
                 k++)
                n += snprintf(line + n, sizeof line - (size_t)n, "%s [%u]", k ? "," : "",
                              w->view_inputs[k] + 1u);
        } else if (n > 0 && (size_t)n < sizeof line && r->ninputs > 1)
            snprintf(line + n, sizeof line - (size_t)n, "; input [%u]", w->view_inputs[0] + 1u);
        report_wrap(out, 2, line, 98);
        end_text(&w->end[0], e0, sizeof e0);
        end_text(&w->end[1], e1, sizeof e1);
        snprintf(line, sizeof line, "- client: %s; server: %s", e0, e1);
        report_wrap(out, 4, line, 98);
    }
    if (c->rows_unlisted)
        fprintf(out, "  ... %" PRIu64 " more flows (report.json lists the first %d)\n",
                c->rows_unlisted, CMP_MAX_ROWS);
    if (c->sentence)
        report_wrap(out, 2, c->sentence, 98);
    else
        report_wrap(out, 2,
                    "No flow stalls beside a flow that works on a path they share: nothing to "
                    "conclude from comparing them.",
                    98);
}

static void json_end(struct json *j, const char *key, const struct cmp_end *e)
{
    char a[64];
    json_object_begin(j, key);
    json_string(j, "addr", addr_text(&e->addr, a, sizeof a));
    json_uint(j, "port", e->port);
    if (e->mss) {
        json_uint(j, "mss", e->mss);
        json_uint(j, "implied_mtu", e->mtu);
        if (e->wscale != 0xff)
            json_uint(j, "window_scale", e->wscale);
        else
            json_null(j, "window_scale");
        json_bool(j, "sack", e->sack);
        json_bool(j, "timestamps", e->timestamps);
    } else { /* no SYN: none of it is known */
        json_null(j, "mss");
        json_null(j, "implied_mtu");
        json_null(j, "window_scale");
        json_null(j, "sack");
        json_null(j, "timestamps");
    }
    if (e->ttl)
        json_uint(j, "ttl", e->ttl);
    else
        json_null(j, "ttl");
    json_object_end(j);
}

void report_compare_json(struct json *j, const struct comparison *c)
{
    if (!c) {
        json_null(j, "comparison");
        return;
    }
    json_object_begin(j, "comparison");
    json_array_begin(j, "flows");
    for (int i = 0; i < c->nrows; i++) {
        const struct cmp_row *w = &c->rows[i];
        json_object_begin(j, NULL);
        json_uint(j, "flow", w->flow);
        json_array_begin(j, "views");
        for (int k = 0; k < w->nviews && k < CMP_MAX_VIEWS; k++) {
            json_object_begin(j, NULL);
            json_uint(j, "flow", w->view_flows[k]);
            json_uint(j, "input", w->view_inputs[k]);
            json_object_end(j);
        }
        json_array_end(j);
        json_string(j, "service", w->service);
        json_uint(j, "ip_version", w->ip_version);
        json_end(j, "client", &w->end[0]);
        json_end(j, "server", &w->end[1]);
        json_string(j, "data_direction", w->data_dir ? "server->client" : "client->server");
        json_string(j, "state", compare_state_name(w->state));
        json_bool(j, "suspected", w->suspected);
        json_uint(j, "largest_sent", w->largest_sent);
        if (w->largest_delivered)
            json_uint(j, "largest_delivered", w->largest_delivered);
        else
            json_null(j, "largest_delivered");
        if (w->smallest_lost)
            json_uint(j, "smallest_lost", w->smallest_lost);
        else
            json_null(j, "smallest_lost");
        if (w->acked_bytes)
            json_uint(j, "acked_bytes", w->acked_bytes);
        else
            json_null(j, "acked_bytes");
        if (w->goodput_bps >= 0)
            json_double(j, "goodput_bps", w->goodput_bps, 0);
        else
            json_null(j, "goodput_bps");
        json_object_end(j);
    }
    json_array_end(j);
    json_uint(j, "flows_unlisted", c->rows_unlisted);
    if (c->works_up_to)
        json_uint(j, "works_up_to", c->works_up_to);
    else
        json_null(j, "works_up_to");
    if (c->stalls_from)
        json_uint(j, "stalls_from", c->stalls_from);
    else
        json_null(j, "stalls_from");
    if (c->set_mtu)
        json_uint(j, "set_mtu", c->set_mtu);
    else
        json_null(j, "set_mtu");
    json_string(j, "sentence", c->sentence);
    json_object_end(j);
}

static void html_end(FILE *out, const struct cmp_end *e, void (*esc)(FILE *, const char *))
{
    char buf[160];
    end_text(e, buf, sizeof buf);
    fputs("<td class=\"l\">", out);
    esc(out, buf);
    fputs("</td>", out);
}

void report_compare_html(FILE *out, const struct comparison *c,
                         void (*esc)(FILE *out, const char *s))
{
    if (!c)
        return;
    fputs("<section id=\"comparison\">\n<h2>Flows compared</h2>\n", out);
    if (c->sentence) {
        fputs("<p><strong>", out);
        esc(out, c->sentence);
        fputs("</strong></p>\n", out);
    } else {
        fputs("<p>No flow stalls beside a flow that works on a path they share: nothing to "
              "conclude from comparing them.</p>\n",
              out);
    }
    fputs("<table>\n<thead><tr><th>#</th><th class=\"l\">service</th><th class=\"l\">client"
          "</th><th class=\"l\">server</th><th class=\"l\">client announced</th>"
          "<th class=\"l\">server announced</th><th class=\"l\">data</th>"
          "<th>largest sent</th><th>largest delivered</th><th>smallest lost</th>"
          "<th>goodput</th><th class=\"l\">state</th></tr></thead>\n<tbody>\n",
          out);
    for (int i = 0; i < c->nrows; i++) {
        const struct cmp_row *w = &c->rows[i];
        char a[64], b[64], gp[32];
        const char *cls = w->state == CMP_STALLS      ? "stalled"
                          : w->state == CMP_RECOVERED ? "retx"
                                                      : "ok";
        fprintf(out, "<tr class=\"%s\"><td>%" PRIu64 "</td><td class=\"l\">", cls, w->flow);
        if (w->service)
            esc(out, w->service);
        else
            fprintf(out, "port %u", w->end[1].port);
        addr_text(&w->end[0].addr, a, sizeof a);
        addr_text(&w->end[1].addr, b, sizeof b);
        fputs("</td><td class=\"l\">", out);
        esc(out, a);
        fprintf(out, ":%u</td><td class=\"l\">", w->end[0].port);
        esc(out, b);
        fprintf(out, ":%u</td>", w->end[1].port);
        html_end(out, &w->end[0], esc);
        html_end(out, &w->end[1], esc);
        fprintf(out, "<td class=\"l\">%s</td><td>%u</td>",
                w->data_dir ? "server&rarr;client" : "client&rarr;server", w->largest_sent);
        if (w->largest_delivered)
            fprintf(out, "<td>%u</td>", w->largest_delivered);
        else
            fputs("<td></td>", out);
        if (w->smallest_lost)
            fprintf(out, "<td>%u</td>", w->smallest_lost);
        else
            fputs("<td></td>", out);
        report_goodput_text(w->goodput_bps, gp, sizeof gp);
        fprintf(out, "<td>%s</td><td class=\"l\">%s</td></tr>\n", gp, compare_state_name(w->state));
    }
    fputs("</tbody>\n</table>\n", out);
    if (c->rows_unlisted)
        fprintf(out, "<p class=\"note\">%" PRIu64 " more flows are not listed.</p>\n",
                c->rows_unlisted);
    fputs("</section>\n", out);
}
