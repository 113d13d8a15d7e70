/* serve_range: Range requests (RFC 9110) on GET /v1/logs/NAME of
 * `livelog serve`, on a complete stream and on a live one, public and
 * private (with the read token), as docs/API.md's Range section says.
 *
 * Complete stream of N bytes: bytes=a-b, a-, -n give 206 with
 * "Content-Range: bytes a-b/N"; a >= N and bytes=-0 give 416 with
 * "bytes (star)/N"; invalid ranges are ignored (200); several ranges give
 * 200 with the whole stream; any range of an empty stream is 416.
 * Live stream (PUT with Upload-Complete: ?0, then PATCHes): bytes=a-b is
 * 206 "bytes a-b/(star)" and waits for byte b; bytes=a- and bytes=-n follow
 * with "bytes a-9007199254740991/(star)" and end when the stream completes
 * (a completing PATCH); a range past the current end waits. */
#include "harness.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SEED_DONE 2
#define SEED_LIVE 3

struct fcase {
    const char *range;
    long status;
    const char *cr; /* NULL: no Content-Range */
    uint64_t start, len;
};

static void finished_log(bool private)
{
    static const struct fcase cases[] = {
        {"bytes=0-99", 206, "bytes 0-99/1000", 0, 100},
        {"bytes=0-0", 206, "bytes 0-0/1000", 0, 1},
        {"bytes=999-999", 206, "bytes 999-999/1000", 999, 1},
        {"bytes=990-2000", 206, "bytes 990-999/1000", 990, 10},
        {"bytes=500-", 206, "bytes 500-999/1000", 500, 500},
        {"bytes=0-", 206, "bytes 0-999/1000", 0, 1000},
        {"bytes=-100", 206, "bytes 900-999/1000", 900, 100},
        {"bytes=-1", 206, "bytes 999-999/1000", 999, 1},
        {"bytes=-5000", 206, "bytes 0-999/1000", 0, 1000},
        {"BYTES=10-19", 206, "bytes 10-19/1000", 10, 10},
        {"bytes=1000-", 416, "bytes */1000", 0, 0},
        {"bytes=1000-1005", 416, "bytes */1000", 0, 0},
        {"bytes=5000-6000", 416, "bytes */1000", 0, 0},
        {"bytes=-0", 416, "bytes */1000", 0, 0},
        /* syntactically invalid: ignored */
        {"bytes=abc", 200, NULL, 0, 1000},
        {"bytes=5-2", 200, NULL, 0, 1000},
        {"items=0-5", 200, NULL, 0, 1000},
        {"bytes=", 200, NULL, 0, 1000},
        {"bytes=-", 200, NULL, 0, 1000},
        {"bytes=0-1x", 200, NULL, 0, 1000},
        /* valid syntax but overflows 64 bits: 416 (unsatisfiable) or
           ignored (200, whole log), never anything else */
        {"bytes=99999999999999999999999-", 0, NULL, 0, 1000},
        /* several ranges: the whole log (documented choice) */
        {"bytes=0-1,5-6", 200, NULL, 0, 1000},
        {"bytes=0-1, 500-", 200, NULL, 0, 1000},
    };
    struct hs_server s;
    struct hs_serve_opts o = {.keys = true};
    char path[300];
    uint64_t off = 0;
    long st;

    hs_serve_start(&s, &o);
    st = hs_v1_send(&s, "PUT",
                    private ? "task/r/done.log" : "task/r/public/done.log",
                    SEED_DONE, 0, 1000, NULL, NULL, &off, NULL);
    HS_REQUIRE(st == 201 && off == 1000,
               "PUT of a 1000-byte stream: %ld, Upload-Offset %llu", st,
               (unsigned long long)off);
    snprintf(path, sizeof(path), "/v1/logs/%s",
             private ? "task/r/done.log" : "task/r/public/done.log");

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fcase alt;
        const struct fcase *c = &cases[i];
        struct hs_reader r;
        char what[128], v[64];
        hs_reader_init(&r, &s, path, c->range);
        if (private)
            hs_reader_add_header(&r, s.auth);
        curl_easy_setopt(r.easy, CURLOPT_TIMEOUT_MS, 10000L);
        r.verify = c->status != 416;
        r.seed = SEED_DONE;
        r.start = c->start;
        hs_reader_perform(&r);
        if (c->status == 0) {
            /* Either answer is right: check the one given. */
            if (r.status == 416) {
                alt = (struct fcase){c->range, 416, "bytes */1000", 0, 0};
                r.verify = false;
            } else {
                alt = (struct fcase){c->range, 200, NULL, 0, 1000};
            }
            c = &alt;
        }
        snprintf(what, sizeof(what), "%s complete, Range: %s",
                 private ? "private" : "public", c->range);
        hs_reader_expect(&r, what, c->status, c->cr,
                         c->status == 416 ? -1 : (long long)c->len, c->len);
        if (c->status != 416)
            HS_CHECK(hs_reader_header(&r, "Livelog-State", v, sizeof(v)) &&
                         strcmp(v, "complete") == 0,
                     "%s: Livelog-State should be complete", what);
        hs_reader_cleanup(&r);
    }
    /* Any range of an empty complete stream: 416 "bytes (star)/0". */
    st = hs_v1_send(&s, "PUT", "public/empty", SEED_DONE, 0, 0, NULL, NULL,
                    NULL, NULL);
    HS_CHECK(st == 201, "PUT of an empty stream: %ld", st);
    for (int i = 0; i < 3; i++) {
        static const char *const rs[] = {"bytes=0-", "bytes=0-0", "bytes=-1"};
        struct hs_reader r;
        char what[128];
        hs_reader_init(&r, &s, "/v1/logs/public/empty", rs[i]);
        curl_easy_setopt(r.easy, CURLOPT_TIMEOUT_MS, 10000L);
        hs_reader_perform(&r);
        snprintf(what, sizeof(what), "empty stream, Range: %s", rs[i]);
        hs_reader_expect(&r, what, 416, "bytes */0", -1, 0);
        hs_reader_cleanup(&r);
    }
    hs_stop_and_check(&s, NULL);
}

#define LIVE_NAME "task/r/public/live.log"

/* Appends bytes [from, to) of the live stream with a PATCH (?0). */
static void feed(const struct hs_server *s, uint64_t from, uint64_t to)
{
    uint64_t off = 0;
    long st = hs_v1_send(s, from == 0 ? "PUT" : "PATCH", LIVE_NAME, SEED_LIVE,
                         from, to - from, "?0", NULL, &off, NULL);
    HS_REQUIRE((st == 201 || st == 204) && off == to,
               "append [%llu, %llu): status %ld, Upload-Offset %llu",
               (unsigned long long)from, (unsigned long long)to, st,
               (unsigned long long)off);
}

/* Runs the multi for ms milliseconds. */
static void run_for(CURLM *m, long ms)
{
    int64_t end = hs_now_ms() + ms;
    for (int i = 0; i < 100000 && hs_now_ms() < end; i++)
        hs_multi_step(m, 10);
}

static bool wait_done(CURLM *m, struct hs_reader *r, long ms)
{
    struct hs_reader *one[1] = {r};
    return hs_multi_wait_all(m, one, 1, ms);
}

static void live_log(void)
{
    enum { R_HEAD, R_SUFFIX, R_FROM, R_WAIT_B, R_PAST, R_PAST_B, R_ALL, NR };
    static const char *const ranges[NR] = {
        "bytes=0-99",  "bytes=-100",      "bytes=500-", "bytes=900-1099",
        "bytes=5000-", "bytes=5000-5099", NULL};
    static const uint64_t starts[NR] = {0, 900, 500, 900, 5000, 5000, 0};
    struct hs_server s;
    struct hs_serve_opts o = {.keys = true};
    struct hs_reader r[NR];
    struct hs_reader *all[NR];
    CURLM *m = curl_multi_init();
    char path[300] = "/v1/logs/" LIVE_NAME, v[128];
    const uint64_t total = 6000;
    uint64_t off = 0;
    long code;

    HS_REQUIRE(m != NULL, "curl_multi_init");
    hs_serve_start(&s, &o);
    feed(&s, 0, 1000);

    for (int i = 0; i < NR; i++) {
        hs_reader_init(&r[i], &s, path, ranges[i]);
        curl_easy_setopt(r[i].easy, CURLOPT_TIMEOUT_MS, 30000L);
        r[i].verify = true;
        r[i].seed = SEED_LIVE;
        r[i].start = starts[i];
        all[i] = &r[i];
        curl_multi_add_handle(m, r[i].easy);
    }

    /* bytes=0-99 of a live log is there already: 206 "bytes 0-99/(star)". */
    HS_CHECK(wait_done(m, &r[R_HEAD], 5000),
             "live, Range: bytes=0-99 did not complete within 5 s");
    hs_reader_expect(&r[R_HEAD], "live, Range: bytes=0-99", 206, "bytes 0-99/*",
                     100, 100);
    HS_CHECK(hs_reader_header(&r[R_HEAD], "Livelog-State", v, sizeof(v)) &&
                 strcmp(v, "live") == 0,
             "live, Range: bytes=0-99: Livelog-State should be live, got %s",
             hs_reader_header(&r[R_HEAD], "Livelog-State", v, sizeof(v))
                 ? v
                 : "(none)");

    /* Nothing else may finish while the writer is idle. */
    run_for(m, 500);
    for (int i = 0; i < NR; i++) {
        if (i == R_HEAD)
            continue;
        HS_CHECK(!r[i].done,
                 "live, Range: %s finished (status %ld, %" PRIu64
                 " bytes) although the log is live and too short",
                 ranges[i] != NULL ? ranges[i] : "(none)", r[i].status,
                 r[i].got);
    }
    HS_CHECK(r[R_WAIT_B].got <= 100,
             "bytes=900-1099 got %" PRIu64 " bytes before they existed",
             r[R_WAIT_B].got);
    HS_CHECK(r[R_PAST].got == 0 && r[R_PAST_B].got == 0,
             "a range past the end got bytes before they existed");

    /* Bytes 1000..1199 complete bytes=900-1099. */
    feed(&s, 1000, 1200);
    HS_CHECK(wait_done(m, &r[R_WAIT_B], 5000),
             "live, Range: bytes=900-1099 did not complete after byte 1099 "
             "was written");
    hs_reader_expect(&r[R_WAIT_B], "live, Range: bytes=900-1099", 206,
                     "bytes 900-1099/*", 200, 200);
    run_for(m, 200);
    HS_CHECK(!r[R_PAST_B].done, "bytes=5000-5099 finished too early");

    /* Up to 6000: bytes=5000-5099 completes. */
    feed(&s, 1200, total - 10);
    HS_CHECK(wait_done(m, &r[R_PAST_B], 5000),
             "live, Range: bytes=5000-5099 did not complete after byte 5099 "
             "was written");
    hs_reader_expect(&r[R_PAST_B], "live, Range: bytes=5000-5099", 206,
                     "bytes 5000-5099/*", 100, 100);
    run_for(m, 200);
    HS_CHECK(!r[R_SUFFIX].done && !r[R_FROM].done && !r[R_PAST].done &&
                 !r[R_ALL].done,
             "open-ended live ranges must keep following until the writer "
             "finishes");

    /* The completing PATCH: every follower ends cleanly with every byte. */
    code = hs_v1_send(&s, "PATCH", LIVE_NAME, SEED_LIVE, total - 10, 10, NULL,
                      NULL, &off, NULL);
    HS_CHECK(code == 204 && off == total,
             "completing PATCH: want 204, Upload-Offset %llu; got %ld, %llu",
             (unsigned long long)total, code, (unsigned long long)off);
    HS_CHECK(hs_multi_wait_all(m, all, NR, 10000),
             "followers did not end within 10 s of the writer finishing");
    hs_reader_expect(&r[R_SUFFIX], "live, Range: bytes=-100", 206,
                     "bytes 900-" HS_LIVE_LAST "/*", -1, total - 900);
    hs_reader_expect(&r[R_FROM], "live, Range: bytes=500-", 206,
                     "bytes 500-" HS_LIVE_LAST "/*", -1, total - 500);
    hs_reader_expect(&r[R_PAST], "live, Range: bytes=5000-", 206,
                     "bytes 5000-" HS_LIVE_LAST "/*", -1, total - 5000);
    hs_reader_expect(&r[R_ALL], "live, no Range", 200, NULL, -1, total);

    for (int i = 0; i < NR; i++) {
        curl_multi_remove_handle(m, r[i].easy);
        hs_reader_cleanup(&r[i]);
    }
    curl_multi_cleanup(m);

    /* Now complete: the complete length is known. */
    {
        struct hs_reader f;
        hs_reader_init(&f, &s, path, "bytes=5990-");
        f.verify = true;
        f.seed = SEED_LIVE;
        f.start = 5990;
        hs_reader_perform(&f);
        hs_reader_expect(&f, "completed, Range: bytes=5990-", 206,
                         "bytes 5990-5999/6000", 10, 10);
        hs_reader_cleanup(&f);
    }
    hs_stop_and_check(&s, NULL);
}

int main(int argc, char **argv)
{
    hs_init(argc, argv, "serve_range");
    finished_log(false);
    finished_log(true);
    live_log();
    return hs_finish();
}
