/*
 * report.c - the names both reports print (report.h).  The text report is
 * report_text.c, the JSON report report_json.c.
 */
#include "inference.h"
#include "tunnels.h"
#include "report.h"

const char *report_severity_name(unsigned severity)
{
    static const char *const names[] = {"error", "warning", "info"};
    return severity < sizeof names / sizeof names[0] ? names[severity] : "info";
}

const char *report_tunnel_name(const struct flow_tunnel *t)
{
    const char *n = tunnel_type_name(t->type, t->ip_version, t->inner_version);
    return n ? n : layer_name((enum layer_type)t->type);
}
