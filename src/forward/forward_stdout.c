/* forward_stdout: the stdout sink (contract in forward_stdout.h). */
#include "forward/forward_stdout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client_http.h"
#include "core/core_clock.h"
#include "core/core_json.h"
#include "severity/severity.h"

struct forward_stdout {
    int fd;
    char *rbuf; /* file bytes */
    size_t rcap;
    size_t max_line;
    char *wbuf; /* records */
    size_t wcap, wlen;
};

size_t forward_stdout_record_max(size_t max_line, size_t path_len)
{
    /* every byte escapes to at most 6 ("\u00XX", or \ufffd for a bad one) */
    return 6 * (max_line + path_len) + 256;
}

int forward_stdout_new(int fd, size_t read_cap, size_t max_line,
                       struct forward_stdout **ret)
{
    struct forward_stdout *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->fd = fd;
    s->rcap = read_cap;
    s->max_line = max_line < read_cap ? max_line : read_cap;
    s->wcap = forward_stdout_record_max(s->max_line, 4096) + s->rcap / 2;
    s->rbuf = malloc(s->rcap);
    s->wbuf = malloc(s->wcap);
    if (s->rbuf == NULL || s->wbuf == NULL) {
        forward_stdout_free(s);
        return -ENOMEM;
    }
    *ret = s;
    return 0;
}

void forward_stdout_free(struct forward_stdout *s)
{
    if (s == NULL)
        return;
    free(s->rbuf);
    free(s->wbuf);
    free(s);
}

size_t forward_stdout_format(char *buf, size_t cap, uint64_t real_ns,
                             const char *line, size_t len, bool partial,
                             const char *path, uint64_t offset)
{
    char ts[CORE_CLOCK_ISO_LEN + 1];
    struct core_json j;
    enum severity sev = severity_classify(line, len);
    const char *level = sev == SEVERITY_NONE ? "info" : severity_name(sev);
    size_t tlen = core_clock_iso8601(real_ns, ts, sizeof(ts));

    if (cap < 2)
        return 0;
    core_json_init(&j, buf, cap - 1);
    core_json_raw(&j, "{\"ts\":", 6);
    core_json_str(&j, ts, tlen, 0);
    core_json_raw(&j, ",\"level\":", 9);
    core_json_str(&j, level, strlen(level), 0);
    core_json_raw(&j, ",\"logger\":\"forward\",\"msg\":", 26);
    core_json_str(&j, line, len, 64);
    core_json_raw(&j, ",\"file\":", 8);
    core_json_str(&j, path, strlen(path), 64);
    core_json_raw(&j, ",\"offset\":", 10);
    core_json_u64(&j, offset);
    if (partial)
        core_json_raw(&j, ",\"partial\":true", 15);
    core_json_raw(&j, "}", 1);
    if (j.truncated)
        return 0;
    buf[j.len] = '\n';
    return j.len + 1;
}

static int flush(struct forward_stdout *s)
{
    int rc = client_http_write_all(s->fd, s->wbuf, s->wlen);
    s->wlen = 0;
    return rc;
}

/* Appends one record to the write buffer, flushing first when full. */
static int emit(struct forward_stdout *s, uint64_t now, const char *line,
                size_t len, bool partial, const char *path, uint64_t off)
{
    if (s->wcap - s->wlen < forward_stdout_record_max(len, strlen(path))) {
        int rc = flush(s);
        if (rc < 0)
            return rc;
    }
    size_t n = forward_stdout_format(s->wbuf + s->wlen, s->wcap - s->wlen, now,
                                     line, len, partial, path, off);
    if (n == 0) /* a path longer than any file system allows */
        return -ENAMETOOLONG;
    s->wlen += n;
    return 0;
}

int forward_stdout_pump(struct forward_stdout *s, struct forward_file *f)
{
    uint64_t off = f->rec.out_file;
    f->out_waiting = false;
    if (f->rec.out_done || off >= f->size) {
        if (f->finished && !f->rec.out_done && off >= f->size) {
            f->rec.out_done = true;
            return 1;
        }
        return 0;
    }
    uint64_t left = f->size - off;
    size_t want = left < s->rcap ? (size_t)left : s->rcap;
    ssize_t got = forward_file_pread(f, s->rbuf, want, off);
    if (got < 0)
        return (int)got;
    if (got == 0)
        return 0; /* truncated under us: the main loop sees it */
    uint64_t now = core_clock_real_ns();
    size_t n = (size_t)got, start = 0;
    bool at_end = off + n >= f->size;
    while (start < n) {
        const char *nl = memchr(s->rbuf + start, '\n', n - start);
        size_t end = nl != NULL ? (size_t)(nl - s->rbuf) : n;
        size_t len = end - start;
        bool partial = nl == NULL;
        if (len > s->max_line) {
            len = s->max_line;
            partial = true;
        } else if (partial && !(f->finished && at_end) && len < s->max_line) {
            f->out_waiting = at_end;
            break; /* wait for the rest of the line */
        }
        int rc = emit(s, now, s->rbuf + start, len, partial, f->rec.path,
                      off + start);
        if (rc < 0)
            return rc;
        start += len + (partial ? 0 : 1);
    }
    int rc = flush(s);
    if (rc < 0)
        return rc;
    f->rec.out_file = off + start;
    return start > 0 ? 1 : 0;
}
