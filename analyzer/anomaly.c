/* anomaly.c - names and descriptions of the decoder anomalies. */
#include "anomaly.h"

static const char *const names[AN__COUNT] = {
#define X(id, name, desc) [id] = name,
    ANOMALY_LIST(X)
#undef X
};

static const char *const descriptions[AN__COUNT] = {
#define X(id, name, desc) [id] = desc,
    ANOMALY_LIST(X)
#undef X
};

const char *anomaly_name(enum anomaly a)
{
    return (unsigned)a < AN__COUNT ? names[a] : "unknown";
}

const char *anomaly_description(enum anomaly a)
{
    return (unsigned)a < AN__COUNT ? descriptions[a] : "unknown anomaly";
}
