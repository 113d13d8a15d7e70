/* serve_scale: 1,000 streams written at once, each at about 100 KB/s for a
 * few seconds (libcurl PUT uploads with CURLOPT_MAX_SEND_SPEED_LARGE, one
 * multi handle), each followed by one reader started before its writer
 * (GET before PUT waits). Every reader gets every byte of its stream
 * (compared at every offset), every PUT is 201, every stream is complete
 * with the right length, and the server log has no ERROR. The test raises
 * RLIMIT_NOFILE (hs_init) and needs about 2,000 sockets on each side.
 * LIVELOG_SANITIZED=1 keeps 1,000 streams but writes each at 30 KB/s. */
#include "harness.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define NSTREAMS 1000

struct upload {
    CURL *easy;
    uint64_t seed, total, sent;
    long status;
    CURLcode result;
    bool done;
    char errbuf[CURL_ERROR_SIZE];
};

static struct upload up[NSTREAMS];
static struct hs_follower fol[NSTREAMS];

static size_t up_read(char *buf, size_t size, size_t n, void *ud)
{
    struct upload *u = ud;
    size_t want = size * n;
    if (want > u->total - u->sent)
        want = (size_t)(u->total - u->sent);
    hs_gen(u->seed, u->sent, (unsigned char *)buf, want);
    u->sent += want;
    return want;
}

static size_t discard(char *d, size_t s, size_t n, void *ud)
{
    (void)d;
    (void)ud;
    return s * n;
}

int main(int argc, char **argv)
{
    struct hs_server s;
    struct hs_serve_opts o = {.log_level = "info"};
    const uint64_t rate = hs_sanitized() ? 30000 : 100000;
    const uint64_t total = rate * 4; /* ~4 s of writing */
    CURLM *mw = curl_multi_init(), *mr = curl_multi_init();
    struct rlimit rl;
    int64_t t0, deadline;
    size_t fin = 0, ups = 0, put_ok = 0, stream_ok = 0;

    hs_init(argc, argv, "serve_scale");
    HS_REQUIRE(mw != NULL && mr != NULL, "curl_multi_init");
    HS_REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
                   rl.rlim_cur >= 2 * NSTREAMS + 200,
               "RLIMIT_NOFILE is %llu; this test needs %d open files",
               (unsigned long long)rl.rlim_cur, 2 * NSTREAMS + 200);
    hs_serve_start(&s, &o);
    curl_multi_setopt(mw, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    curl_multi_setopt(mr, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);

    /* Followers first: each waits for its writer. */
    for (int i = 0; i < NSTREAMS; i++) {
        char url[600];
        snprintf(url, sizeof(url), "%s/v1/logs/scale/%04d/public/live.log",
                 s.read_base, i);
        hs_follower_init(&fol[i], url, 5000 + (uint64_t)i, total);
        fol[i].retry_ms = 500;
    }
    for (int i = 0; i < 20; i++)
        hs_followers_step(mr, fol, NSTREAMS, 5);

    for (int i = 0; i < NSTREAMS; i++) {
        struct upload *u = &up[i];
        char url[600];
        snprintf(url, sizeof(url), "%s/v1/logs/scale/%04d/public/live.log",
                 s.write_base, i);
        u->seed = 5000 + (uint64_t)i;
        u->total = total;
        u->easy = curl_easy_init();
        HS_REQUIRE(u->easy != NULL, "curl_easy_init");
        curl_easy_setopt(u->easy, CURLOPT_URL, url);
        curl_easy_setopt(u->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(u->easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(u->easy, CURLOPT_READFUNCTION, up_read);
        curl_easy_setopt(u->easy, CURLOPT_READDATA, u);
        curl_easy_setopt(u->easy, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(u->easy, CURLOPT_PRIVATE, u);
        curl_easy_setopt(u->easy, CURLOPT_ERRORBUFFER, u->errbuf);
        curl_easy_setopt(u->easy, CURLOPT_MAX_SEND_SPEED_LARGE,
                         (curl_off_t)rate);
        curl_easy_setopt(u->easy, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
        curl_easy_setopt(u->easy, CURLOPT_TIMEOUT_MS, 100000L);
        curl_multi_add_handle(mw, u->easy);
    }
    hs_log("%d followers and %d writers started", NSTREAMS, NSTREAMS);

    t0 = hs_now_ms();
    deadline = t0 + (hs_sanitized() ? 100000 : 90000);
    while (hs_now_ms() < deadline && (fin < NSTREAMS || ups < NSTREAMS)) {
        int running = 0, left = 0;
        CURLMsg *msg;
        curl_multi_perform(mw, &running);
        while ((msg = curl_multi_info_read(mw, &left)) != NULL) {
            struct upload *u = NULL;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&u);
            u->result = msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                              &u->status);
            u->done = true;
            ups++;
            curl_multi_remove_handle(mw, u->easy);
            curl_easy_cleanup(u->easy);
            u->easy = NULL;
        }
        curl_multi_poll(mw, NULL, 0, 1, NULL);
        fin = hs_followers_step(mr, fol, NSTREAMS, 1);
    }
    hs_log("after %.1f s: %zu of %d writers done, %zu of %d followers done",
           (double)(hs_now_ms() - t0) / 1000.0, ups, NSTREAMS, fin, NSTREAMS);
    HS_CHECK(ups == NSTREAMS && fin == NSTREAMS,
             "not finished in time: %zu writers, %zu followers", ups, fin);

    for (int i = 0; i < NSTREAMS; i++) {
        struct upload *u = &up[i];
        struct hs_follower *f = &fol[i];
        bool ok = u->done && u->result == CURLE_OK && u->status == 201;
        if (ok)
            put_ok++;
        else if (put_ok + 10 > (size_t)i) /* report the first few */
            HS_CHECK(ok, "writer %d: status %ld, %s (%s), %" PRIu64 " sent", i,
                     u->status, curl_easy_strerror(u->result), u->errbuf,
                     u->sent);
        if (f->done && f->got == total && f->mismatch_at == UINT64_MAX)
            stream_ok++;
        else if (stream_ok + 10 > (size_t)i)
            HS_CHECK(0,
                     "follower %d: %" PRIu64 " of %" PRIu64 " bytes, mismatch "
                     "at %" PRIu64 ", %d requests, last status %ld (%s)",
                     i, f->got, total, f->mismatch_at, f->requests,
                     f->last_status, f->errbuf);
        hs_follower_cleanup(mr, f);
        if (u->easy != NULL) {
            curl_multi_remove_handle(mw, u->easy);
            curl_easy_cleanup(u->easy);
        }
    }
    HS_CHECK(put_ok == NSTREAMS, "%zu of %d PUTs answered 201", put_ok,
             NSTREAMS);
    HS_CHECK(stream_ok == NSTREAMS,
             "%zu of %d followers got every byte of their stream", stream_ok,
             NSTREAMS);
    /* A sample of the stored streams, complete and exact. */
    for (int i = 0; i < NSTREAMS; i += 97) {
        char name[128], state[32];
        uint64_t off = 0;
        snprintf(name, sizeof(name), "scale/%04d/public/live.log", i);
        hs_v1_head(&s, false, name, NULL, &off, state, sizeof(state));
        HS_CHECK(off == total && strcmp(state, "complete") == 0,
                 "%s: Upload-Offset %" PRIu64 ", state %s", name, off, state);
        hs_v1_expect_content(&s, name, NULL, 5000 + (uint64_t)i, total, name);
    }
    curl_multi_cleanup(mw);
    curl_multi_cleanup(mr);
    hs_stop_and_check(&s, NULL);
    return hs_finish();
}
