/* test_severity: unit tests for src/severity/severity.c. A corpus of
 * real-looking CI lines covering every rule and form of severity.h, and
 * false friends that must stay NONE, one check per line; the case forms and
 * boundaries of every level word; bunyan numbers; the prefix limit (read
 * under ASan with a buffer of exactly SEVERITY_PREFIX_MAX bytes); CRLF. The
 * tally: a known log, every split in two, byte by byte, random splits,
 * lines longer than the prefix, the last line at finish, the hit cap, skip,
 * paging of hits, memory held. Single-threaded cmocka tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "severity/severity.h"

#define NONE SEVERITY_NONE
#define TRACE SEVERITY_TRACE
#define DEBUG SEVERITY_DEBUG
#define INFO SEVERITY_INFO
#define WARNING SEVERITY_WARNING
#define ERROR SEVERITY_ERROR
#define FATAL SEVERITY_FATAL

struct example {
    const char *line;
    enum severity want;
};

/* Lines as CI tools print them, with the severity each must get. */
static const struct example corpus[] = {
    /* 1. JSON: zap, logrus, slog, bunyan, pino, Cloud Logging */
    {"{\"level\":\"error\",\"ts\":1700000000.123,\"caller\":\"server/"
     "main.go:42\",\"msg\":\"listen tcp :8080: bind: address already in "
     "use\"}",
     ERROR},
    {"{\"level\":\"warn\",\"ts\":1700000000.5,\"msg\":\"slow request\","
     "\"ms\":1200}",
     WARNING},
    {"{\"level\":\"info\",\"msg\":\"error happened\"}", INFO},
    {"{\"level\":\"debug\",\"ts\":1.5,\"msg\":\"cache miss\"}", DEBUG},
    {"{\"level\":\"dpanic\",\"msg\":\"invariant broken\"}", ERROR},
    {"{\"level\":\"fatal\",\"msg\":\"cannot open database\"}", FATAL},
    {"{\"level\":\"panic\",\"msg\":\"nil map\"}", FATAL},
    {"{\"level\":\"error\",\"msg\":\"Failed to connect\",\"time\":"
     "\"2026-01-02T03:04:05Z\"}",
     ERROR},
    {"{\"time\":\"2026-01-02T03:04:05.123Z\",\"level\":\"ERROR\",\"msg\":"
     "\"request failed\",\"status\":500}",
     ERROR},
    {"{\"time\":\"2026-01-02T03:04:05Z\",\"level\":\"WARN\",\"msg\":\"x\"}",
     WARNING},
    {"{\"name\":\"api\",\"hostname\":\"ci-1\",\"pid\":311,\"level\":50,"
     "\"msg\":\"boom\",\"time\":\"2026-01-02T03:04:05.000Z\",\"v\":0}",
     ERROR},
    {"{\"level\":30,\"time\":1700000000000,\"pid\":7,\"hostname\":\"ci\","
     "\"msg\":\"server listening\"}",
     INFO},
    {"{\"level\":60,\"msg\":\"uncaught exception\"}", FATAL},
    {"{\"level\":40,\"msg\":\"deprecated option\"}", WARNING},
    {"{\"level\":20,\"msg\":\"x\"}", DEBUG},
    {"{\"level\":10,\"msg\":\"x\"}", TRACE},
    {"{\"severity\":\"ERROR\",\"message\":\"upload failed\"}", ERROR},
    {"{\"severity\":\"CRITICAL\",\"message\":\"disk full\"}", FATAL},
    {"{\"severity\":\"NOTICE\",\"message\":\"started\"}", INFO},
    {"{\"ctx\":{\"level\":\"error\"},\"level\":\"info\"}", INFO},
    {"{\"msg\":\"\\\"level\\\":\\\"error\\\"\",\"level\":\"debug\"}", DEBUG},
    {"  {\"Level\":\"Error\",\"Message\":\"x\"}", ERROR},
    {"{ \"level\" : \"warning\" }", WARNING},
    {"{\"level\":\"trace\",\"msg\":\"enter\"}", TRACE},
    {"{\"level\":\"emerg\"}", FATAL},
    {"{\"level\":\"crit\"}", FATAL},
    {"{\"level\":\"err\"}", ERROR},
    {"{\"level\":\"Information\"}", INFO},
    {"2026-01-02T03:04:05.1234567Z {\"level\":\"error\",\"msg\":\"x\"}", ERROR},
    /* logfmt */
    {"time=\"2026-01-02T03:04:05Z\" level=error msg=\"Failed to connect\"",
     ERROR},
    {"time=\"2026-01-02T03:04:05Z\" level=warning msg=\"retrying\"", WARNING},
    {"ts=2026-01-02T03:04:05.123Z caller=main.go:42 level=info "
     "msg=\"started\"",
     INFO},
    {"level=debug msg=x", DEBUG},
    {"lvl=eror msg=typo", NONE},
    {"lvl=crit msg=\"out of memory\"", FATAL},

    /* 2. GitHub Actions, Azure Pipelines */
    {"::error file=src/main.c,line=10,col=5::Missing semicolon", ERROR},
    {"::error::Something went wrong", ERROR},
    {"::warning file=app.js,line=1::Deprecated API", WARNING},
    {"::warning::Node.js 16 actions are deprecated", WARNING},
    {"::notice::Deployed to staging", INFO},
    {"::debug::Set output result=ok", DEBUG},
    {"  ::error::indented", ERROR},
    {"##[error]Process completed with exit code 1.", ERROR},
    {"2026-01-02T03:04:05.1234567Z ##[error]Process completed with exit "
     "code 2.",
     ERROR},
    {"##[warning]Unexpected input 'foo'", WARNING},
    {"##[notice]Release created", INFO},
    {"##[debug]Evaluating condition for step: 'Run tests'", DEBUG},
    {"##vso[task.logissue type=error]Build failed", ERROR},
    {"##vso[task.logissue type=warning;sourcepath=a.cs;linenumber=1]x",
     WARNING},
    {"2026-01-02T03:04:05.1234567Z ::warning::x", WARNING},

    /* 3. Mozilla harnesses */
    {"TEST-UNEXPECTED-FAIL | dom/base/test/test_x.html | assertion - got "
     "false, expected true",
     ERROR},
    {"TEST-UNEXPECTED-TIMEOUT | /webdriver/tests/a.py | expected OK", ERROR},
    {"TEST-UNEXPECTED-CRASH | /css/b.html | expected PASS", ERROR},
    {"TEST-UNEXPECTED-ERROR | test_c.py | raised", ERROR},
    {"TEST-UNEXPECTED-PASS | d.js | expected FAIL", ERROR},
    {"TEST-UNEXPECTED-WARNING | leakcheck | tab 1 leaked", WARNING},
    {"[task 2026-01-02T03:04:05.678Z] 03:04:05     INFO - "
     "TEST-UNEXPECTED-TIMEOUT | /webdriver/tests/x.py | expected OK",
     ERROR},
    {"[task 2026-01-02T03:04:05.678Z] 03:04:05     INFO - 596 INFO "
     "TEST-UNEXPECTED-FAIL | browser/x.js | Check - Got 1, expected 2",
     ERROR},
    {"596 INFO TEST-UNEXPECTED-FAIL | browser/x.js | Check", ERROR},
    {"REFTEST TEST-UNEXPECTED-FAIL | file:///builds/a.html == "
     "file:///builds/b.html | image comparison, max difference: 255",
     ERROR},
    {"12:00:01     INFO -  PROCESS-CRASH | application crashed "
     "[@ mozalloc_abort] | dom/x.html",
     ERROR},
    {"PROCESS-CRASH | Main app process exited normally | application "
     "crashed [@ foo]",
     ERROR},
    {"[task 2026-01-02T03:04:05.678Z] 12:00:01     INFO - GECKO(1234) | "
     "TEST-UNEXPECTED-FAIL | leakcheck | 640 bytes leaked",
     ERROR},
    {"12:00:01     INFO - GECKO(1234) | PROCESS-CRASH | x", ERROR},
    {"[task 2026-01-02T03:04:05.678Z] 12:00:01    ERROR - Return code: 1",
     ERROR},
    {"[task 2026-01-02T03:04:05.678Z] 12:00:01  WARNING - Not found", WARNING},
    {"[task 2026-01-02T03:04:05.678Z] 12:00:01 CRITICAL - Failed to run",
     FATAL},
    {"[task 2026-01-02T03:04:05.678Z] 12:00:01     INFO - Running command",
     INFO},
    {"[task 2026-01-02T03:04:05.678Z] 12:00:01     INFO - make: *** [x] "
     "Error 2",
     ERROR},
    {"[taskcluster 2026-01-02 03:04:05.678Z] Worker Type settings:", NONE},
    {"[taskcluster:error] Task timeout after 3600 seconds. Force killing "
     "container.",
     ERROR},
    {"[taskcluster:exception] worker shutdown", ERROR},
    {"[taskcluster:warn] Exit code 1", WARNING},
    {"I/TestRunner( 1234): TEST-UNEXPECTED-FAIL | x", INFO},
    {"[task 2026-01-02T03:04:05.678Z] I/TestRunner( 1234): "
     "TEST-UNEXPECTED-FAIL | x",
     INFO},

    /* 4. specific lines */
    {"Traceback (most recent call last):", ERROR},
    {"Exception in thread \"main\" java.lang.IllegalStateException: boom",
     ERROR},
    {"--- FAIL: TestParse (0.00s)", ERROR},
    {"    --- FAIL: TestParse/empty (0.00s)", ERROR},
    {"[  FAILED  ] FooTest.Bar (3 ms)", ERROR},
    {"error[E0308]: mismatched types", ERROR},
    {"npm ERR! code ELIFECYCLE", ERROR},
    {"npm ERR! errno 1", ERROR},
    {"npm error code E404", ERROR},
    {"npm WARN deprecated request@2.88.2: request has been deprecated",
     WARNING},
    {"npm warn deprecated inflight@1.0.6: This module is not supported",
     WARNING},
    {"panic: runtime error: index out of range [5] with length 3", FATAL},
    {"fatal error: all goroutines are asleep - deadlock!", FATAL},
    {"fatal: not a git repository (or any of the parent directories): .git",
     FATAL},
    /* logcat */
    {"E/GeckoLinker( 1234): /data/app/x.so: missing symbol", ERROR},
    {"W/ActivityManager(  512): Timeout executing service", WARNING},
    {"F/libc    ( 1234): Fatal signal 11 (SIGSEGV), code 1", FATAL},
    {"I/ActivityManager: Start proc 4321:org.mozilla.fenix", INFO},
    {"D/dalvikvm(  123): GC_CONCURRENT freed 2048K", DEBUG},
    {"V/Tag: verbose detail", TRACE},
    {"01-02 03:04:05.678 E/AndroidRuntime(1234): FATAL EXCEPTION: main", ERROR},
    /* level words */
    {"ERROR: x", ERROR},
    {"ERROR x", ERROR},
    {"ERROR", ERROR},
    {"ERROR:root:Failed to fetch https://example.com", ERROR},
    {"WARNING:root:retrying", WARNING},
    {"CRITICAL:root:giving up", FATAL},
    {"INFO:root:done", INFO},
    {"DEBUG:asyncio:Using selector: EpollSelector", DEBUG},
    {"2026-01-02 03:04:05,678 ERROR [main] com.example.App - Failed", ERROR},
    {"2026-01-02 03:04:05.678  WARN 1234 --- [main] o.s.b.App : slow", WARNING},
    {"03:04:05.678 [main] ERROR com.example.App - boom", ERROR},
    {"[main] INFO org.apache.kafka.Consumer - assigned", INFO},
    {"[INFO] Scanning for projects...", INFO},
    {"[ERROR] Failed to execute goal org.apache.maven.plugins:"
     "maven-compiler-plugin:3.11.0:compile",
     ERROR},
    {"[WARNING] Using platform encoding (UTF-8 actually)", WARNING},
    {"[error] (Compile / compileIncremental) Compilation failed", ERROR},
    {"[warn] there were 2 deprecation warnings", WARNING},
    {"[info] welcome to sbt 1.9.7", INFO},
    {"[Error] x", ERROR},
    {"[ WARN ] slow", WARNING},
    {"<error>Something failed</error>", ERROR},
    {"<Warning> disk almost full", WARNING},
    {"[2026-01-02T03:04:05Z ERROR my_crate::db] connection refused", ERROR},
    {"[2026-01-02T03:04:05Z INFO  my_crate] started", INFO},
    {"PANIC: could not write to file \"pg_wal/xlogtemp.123\"", FATAL},
    {"FATAL: password authentication failed for user \"ci\"", FATAL},
    {"FATAL ERROR: out of memory", FATAL},
    {"SEVERE: Exception sending context initialized event", ERROR},
    {"WARN  [main] c.e.App - slow", WARNING},
    {"INFO  http: started server in 300 ms", INFO},
    {"TRACE entering loop", TRACE},
    {"DEBUG x=1", DEBUG},
    {"Error: Cannot find module 'express'", ERROR},
    {"error: linker command failed with exit code 1 (use -v to see "
     "invocation)",
     ERROR},
    {"Warning: Permanently added 'github.com' (ED25519) to the list of known "
     "hosts.",
     WARNING},
    {"warning: LF will be replaced by CRLF in src/x.c.", WARNING},
    {"info: syncing channel updates for 'stable-x86_64-unknown-linux-gnu'",
     INFO},
    {"err:module:import_dll Library MSVCR120.dll not found", ERROR},
    {"ERR unable to connect to 10.0.0.1:6379", ERROR},
    {"  ERROR: indented", ERROR},
    {"\tWARNING: after a tab", WARNING},
    {"Critical: x", FATAL},
    {"Debug: y", DEBUG},
    {"2026-01-02T03:04:05.1234567Z ERROR: failed", ERROR},
    {"2026-01-02 03:04:05 WARNING something", WARNING},
    {"2026/01/02 03:04:05 ERROR x", ERROR},
    {"12:00:01.123 ERROR x", ERROR},
    {"[12:00:01] ERROR: x", ERROR},
    {"2026-01-02T03:04:05+01:00 INFO x", INFO},
    {" 0:01.23 INFO foo", INFO},
    /* exceptions */
    {"ValueError: invalid literal for int() with base 10: 'x'", ERROR},
    {"ModuleNotFoundError: No module named 'foo'", ERROR},
    {"TypeError: Cannot read properties of undefined (reading 'x')", ERROR},
    {"java.lang.NullPointerException: Cannot invoke \"String.length()\"",
     ERROR},
    {"/usr/lib/python3.11/site-packages/x.py:12: DeprecationWarning: "
     "pkg_resources is deprecated",
     WARNING},
    {"tests/test_app.py:10: AssertionError", ERROR},
    /* make */
    {"make: *** [Makefile:12: all] Error 2", ERROR},
    {"make[1]: *** [src/Makefile:100: foo.o] Error 1", ERROR},
    {"gmake[2]: *** No rule to make target 'x'.  Stop.", ERROR},
    {"mozmake.exe[3]: *** [x] Error 2", ERROR},
    /* compilers and linkers */
    {"src/main.c:12:5: error: expected ';' before '}' token", ERROR},
    {"src/main.c:3:10: fatal error: foo.h: No such file or directory", ERROR},
    {"./lib/util.h:7:1: warning: control reaches end of non-void function "
     "[-Wreturn-type]",
     WARNING},
    {"clang: error: linker command failed with exit code 1 (use -v to see "
     "invocation)",
     ERROR},
    {"collect2: error: ld returned 1 exit status", ERROR},
    {"ld.lld: error: undefined symbol: foo", ERROR},
    {"/usr/bin/ld: warning: x.o: missing .note.GNU-stack section", WARNING},
    {"gcc: fatal error: no input files", ERROR},
    {"src/x.c:10:5: runtime error: signed integer overflow: 2147483647 + 1",
     ERROR},
    {"Foo.java:12: error: cannot find symbol", ERROR},
    {"C:\\src\\foo.c(12): error C2065: 'x': undeclared identifier", ERROR},
    {"foo.cpp(3,10): warning C4996: 'strcpy': This function may be unsafe",
     WARNING},
    {"src/app.ts(4,7): error TS2322: Type 'string' is not assignable to type "
     "'number'.",
     ERROR},
    {"Program.cs(12,5): error CS0103: The name 'x' does not exist", ERROR},
    {"warning: unused variable: `x`", WARNING},
    {"error: could not compile `foo` (bin \"foo\") due to 2 previous errors",
     ERROR},
    {"==12345==ERROR: AddressSanitizer: heap-use-after-free on address "
     "0x602000000010",
     ERROR},
    {"==12345==WARNING: ASan doesn't fully support makecontext/swapcontext",
     WARNING},
    /* ANSI colours */
    {"\x1b[0m\x1b[1m\x1b[38;5;9merror\x1b[0m\x1b[0m\x1b[1m: mismatched "
     "types\x1b[0m",
     ERROR},
    {"\x1b[01m\x1b[Ksrc/a.c:1:2:\x1b[m\x1b[K \x1b[01;35m\x1b[Kwarning: "
     "\x1b[m\x1b[Kunused variable",
     WARNING},
    {"\x1b[31mERROR\x1b[0m x", ERROR},
    {"2026-01-02T03:04:05.1234567Z \x1b[36;1mRun tests\x1b[0m", NONE},
    /* ordinary output */
    {"   Compiling serde v1.0.190", NONE},
    {"[ 45%] Building C object src/CMakeFiles/x.dir/y.c.o", NONE},
    {"gcc -O2 -Wall -Werror -c src/a.c -o a.o", NONE},
    {"", NONE},
    {"   ", NONE},
    {"Caused by: java.io.IOException: x", NONE},
    {"\tat com.example.App.main(App.java:12)", NONE},
    {"[       OK ] FooTest.Bar (0 ms)", NONE},
    {"main.cpp:10:3: note: in expansion of macro 'X'", NONE},
    {"In file included from src/main.c:1:", NONE},
    {"==12345== Invalid read of size 4", NONE},
    {"=== RUN   TestFoo", NONE},
    {"make[1]: Entering directory '/build/src'", NONE},
    {"make: Nothing to be done for 'all'.", NONE},
    {"npm notice New major version of npm available!", NONE},
    {"::group::Run actions/checkout@v4", NONE},
    {"##[group]Run tests", NONE},
};

/* Lines that look like a severity and are not. */
static const char *const false_friends[] = {
    "error_count=0",
    "errors: 0",
    "no errors",
    "0 errors, 0 warnings",
    "ErrorProne",
    "ErrorProne is enabled",
    "ErrorProne: check",
    "terror",
    "INFORMATION_SCHEMA",
    "Warnings are treated as errors",
    "TEST-PASS | dom/x.html | ok",
    "TEST-KNOWN-FAIL | dom/y.html | expected",
    "TEST-INFO | started",
    "E/",
    "E/ no tag",
    "ERRORS",
    "ERRORS: 0",
    "::errors",
    "::error-matcher",
    "::warnings found",
    "Downloading https://example.com/error/page.html",
    "https://example.com/error?code=500",
    "GET /api/v1/errors 200 3ms",
    "Error handling improved",
    "error handling is hard",
    "WARNINGS: none",
    "-Werror=format-security",
    "checking for strerror... yes",
    "   Compiling error-chain v0.12.4",
    "test error::tests::parse ... ok",
    "INFO_PLIST_FILE=Info.plist",
    "DEBUGGER attached",
    "Tracer started",
    "Information: none",
    "lastError: null",
    "I/O error: disk full",
    "A/B test started",
    "X/Tag: msg",
    "FATALITY",
    "panicking",
    "panic_on_oom=1",
    "infoscreen",
    "<errorlist>",
    "[errors]",
    "{\"msg\":\"level error\"}",
    "{\"levels\":\"error\"}",
    "{\"level\":3}",
    "{\"severity\":17}",
    "non-fatal error: x",
    "1 warning generated.",
    "2 errors generated.",
    "Build succeeded with 0 error(s) and 0 warning(s)",
    "warning_flags = -Wall",
    "ERR_CONNECTION_REFUSED",
    "errno=0",
    "trace.log written",
    "Debugging symbols found",
    "npm run build",
    "make[2]: Leaving directory '/src'",
    "[ RUN      ] FooTest.Bar",
    "12:00 warning light",
    "Status: error",
    "Unexpected results: 0",
    "eRRor: mixed case",
    "error[",
};

#define N_CORPUS (sizeof corpus / sizeof corpus[0])
#define N_FRIENDS (sizeof false_friends / sizeof false_friends[0])

/* The line with control bytes as \xNN, for messages. */
static const char *show(const char *s, size_t n)
{
    static char out[2048];
    size_t m = 0;

    for (size_t i = 0; i < n && m + 5 < sizeof out; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f)
            m += (size_t)snprintf(out + m, sizeof out - m, "\\x%02x", c);
        else
            out[m++] = (char)c;
    }
    out[m] = '\0';
    return out;
}

/* Checks one line; prints it and returns 1 when it is wrong. */
static int check_line(const char *line, enum severity want)
{
    enum severity got = severity_classify(line, strlen(line));

    if (got == want)
        return 0;
    print_error("\"%s\": %s, want %s\n", show(line, strlen(line)),
                severity_name(got), severity_name(want));
    return 1;
}

static void test_corpus(void **state)
{
    int bad = 0;

    (void)state;
    assert_true(N_CORPUS >= 120);
    for (size_t k = 0; k < N_CORPUS; k++)
        bad += check_line(corpus[k].line, corpus[k].want);
    if (bad != 0)
        fail_msg("%d of %zu corpus lines misclassified", bad, (size_t)N_CORPUS);
}

static void test_false_friends(void **state)
{
    int bad = 0;

    (void)state;
    assert_true(N_FRIENDS >= 30);
    for (size_t k = 0; k < N_FRIENDS; k++)
        bad += check_line(false_friends[k], NONE);
    if (bad != 0)
        fail_msg("%d of %zu false friends counted", bad, (size_t)N_FRIENDS);
}

/* Every line of the corpus keeps its severity with a '\r' before its end,
 * with blanks in front (but JSON-free lines that start with a blank are
 * the same), and whatever bytes follow SEVERITY_PREFIX_MAX. */
static void test_corpus_variants(void **state)
{
    char buf[SEVERITY_PREFIX_MAX + 64];
    int bad = 0;

    (void)state;
    for (size_t k = 0; k < N_CORPUS; k++) {
        size_t n = strlen(corpus[k].line);
        assert_true(n + 2 < sizeof buf);
        memcpy(buf, corpus[k].line, n);
        buf[n] = '\r';
        if (severity_classify(buf, n + 1) != corpus[k].want) {
            print_error("with CR: \"%s\"\n", show(buf, n + 1));
            bad++;
        }
        buf[0] = ' ';
        memcpy(buf + 1, corpus[k].line, n);
        if (severity_classify(buf, n + 1) != corpus[k].want) {
            print_error("after a blank: \"%s\"\n", show(buf, n + 1));
            bad++;
        }
        memset(buf, 'x', sizeof buf);
        memcpy(buf, corpus[k].line, n);
        enum severity whole = severity_classify(buf, sizeof buf);
        if (whole != severity_classify(buf, SEVERITY_PREFIX_MAX)) {
            print_error("past the prefix: \"%s\"\n", show(buf, n));
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* Every corpus line and false friend, and every prefix of each, from a
 * heap buffer of exactly its length: ASan sees any read past the end. */
static void test_exact_buffers(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CORPUS + N_FRIENDS; k++) {
        const char *line =
            k < N_CORPUS ? corpus[k].line : false_friends[k - N_CORPUS];
        size_t n = strlen(line);
        for (size_t len = 0; len <= n; len++) {
            char *buf = malloc(len > 0 ? len : 1);
            assert_non_null(buf);
            memcpy(buf, line, len);
            enum severity s = severity_classify(buf, len);
            assert_true(s >= NONE && s < SEVERITY_COUNT);
            if (len == n)
                assert_int_equal(s, k < N_CORPUS ? corpus[k].want : NONE);
            free(buf);
        }
    }
}

static const struct {
    const char *word;
    enum severity sev;
} level_words[] = {
    {"FATAL", FATAL},     {"CRITICAL", FATAL}, {"PANIC", FATAL},
    {"SEVERE", ERROR},    {"ERROR", ERROR},    {"ERR", ERROR},
    {"WARNING", WARNING}, {"WARN", WARNING},   {"INFO", INFO},
    {"DEBUG", DEBUG},     {"TRACE", TRACE},
};

__attribute__((format(printf, 1, 2))) static enum severity
classifyf(const char *fmt, ...)
{
    static char line[256];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof line);
    return severity_classify(line, (size_t)n);
}

/* Each level word in each case form, with each follower. */
static void test_level_words(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof level_words / sizeof level_words[0]; k++) {
        const char *up = level_words[k].word;
        enum severity sev = level_words[k].sev;
        char low[16], cap[16], mixed[16];
        size_t n = strlen(up);
        for (size_t i = 0; i <= n; i++) {
            low[i] =
                (char)(up[i] >= 'A' && up[i] <= 'Z' ? up[i] | 0x20 : up[i]);
            cap[i] = i == 0 ? up[i] : low[i];
            mixed[i] = i % 2 == 1 ? up[i] : low[i];
        }
        /* upper case: ':', blanks, ']', the end */
        assert_int_equal(classifyf("%s: x", up), sev);
        assert_int_equal(classifyf("%s x", up), sev);
        assert_int_equal(classifyf("%s\tx", up), sev);
        assert_int_equal(classifyf("%s] x", up), sev);
        assert_int_equal(classifyf("%s", up), sev);
        /* any plain case before ':' and inside brackets */
        assert_int_equal(classifyf("%s: x", low), sev);
        assert_int_equal(classifyf("%s: x", cap), sev);
        assert_int_equal(classifyf("[%s] x", low), sev);
        assert_int_equal(classifyf("[%s] x", cap), sev);
        assert_int_equal(classifyf("[ %s ] x", up), sev);
        assert_int_equal(classifyf("<%s> x", low), sev);
        assert_int_equal(classifyf("[ci:%s] x", low), sev);
        /* after decorations */
        assert_int_equal(classifyf("2026-01-02T03:04:05Z %s: x", up), sev);
        assert_int_equal(classifyf("[worker-3] 12:00:00 %s x", up), sev);
        /* not: lower or capitalised before a blank, mixed case, a longer
         * identifier, other followers */
        assert_int_equal(classifyf("%s x", low), NONE);
        assert_int_equal(classifyf("%s x", cap), NONE);
        assert_int_equal(classifyf("%s", low), NONE);
        assert_int_equal(classifyf("%s: x", mixed), NONE);
        assert_int_equal(classifyf("%sS: x", up), NONE);
        assert_int_equal(classifyf("%s_X: x", up), NONE);
        assert_int_equal(classifyf("%s2 x", up), NONE);
        assert_int_equal(classifyf("%s=1", up), NONE);
        assert_int_equal(classifyf("%s, x", up), NONE);
        assert_int_equal(classifyf("x %s: y", up), NONE);
        assert_int_equal(classifyf("[%ss]", low), NONE);
        /* values of JSON and logfmt */
        assert_int_equal(classifyf("{\"level\":\"%s\"}", low), sev);
        assert_int_equal(classifyf("{\"severity\":\"%s\"}", up), sev);
        assert_int_equal(classifyf("level=%s msg=x", low), sev);
    }
}

/* bunyan's and pino's numbers: >= 60 fatal down to 10-19 trace. */
static void test_json_numbers(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 200; v++) {
        enum severity want = v >= 60   ? FATAL
                             : v >= 50 ? ERROR
                             : v >= 40 ? WARNING
                             : v >= 30 ? INFO
                             : v >= 20 ? DEBUG
                             : v >= 10 ? TRACE
                                       : NONE;
        assert_int_equal(classifyf("{\"level\":%u,\"msg\":\"x\"}", v), want);
        assert_int_equal(classifyf("{\"severity\":%u}", v), NONE);
    }
}

/* Only SEVERITY_PREFIX_MAX bytes are read: the buffer is exactly that
 * long (ASan catches a read past it) and len says more. */
static void test_prefix_limit(void **state)
{
    char *buf = malloc(SEVERITY_PREFIX_MAX);

    (void)state;
    assert_non_null(buf);
    memset(buf, 'a', SEVERITY_PREFIX_MAX);
    memcpy(buf, "ERROR: x", 8);
    assert_int_equal(severity_classify(buf, 1u << 30), ERROR);
    /* a marker past the prefix does not count */
    memset(buf, ' ', SEVERITY_PREFIX_MAX);
    assert_int_equal(severity_classify(buf, 1u << 30), NONE);
    memset(buf, '[', SEVERITY_PREFIX_MAX);
    assert_int_equal(severity_classify(buf, 1u << 30), NONE);
    memset(buf, '{', SEVERITY_PREFIX_MAX);
    assert_int_equal(severity_classify(buf, 1u << 30), NONE);
    memset(buf, '\x1b', SEVERITY_PREFIX_MAX);
    assert_int_equal(severity_classify(buf, 1u << 30), NONE);
    memset(buf, '-', SEVERITY_PREFIX_MAX);
    memcpy(buf, "[task 2026-01-02T03:04:05Z] ", 28);
    memcpy(buf + SEVERITY_PREFIX_MAX - 16, "TEST-UNEXPECTED-", 16);
    assert_int_equal(severity_classify(buf, SEVERITY_PREFIX_MAX), ERROR);
    assert_int_equal(severity_classify(buf, SEVERITY_PREFIX_MAX - 1), NONE);
    free(buf);
    assert_int_equal(severity_classify(NULL, 0), NONE);
}

/* Rule 3 anywhere in a Taskcluster line, at every alignment, also in the
 * last bytes of the line. */
static void test_marker_alignment(void **state)
{
    static const struct example markers[] = {
        {"TEST-UNEXPECTED-FAIL", ERROR},
        {"TEST-UNEXPECTED-", ERROR},
        {"PROCESS-CRASH", ERROR},
        {"TEST-UNEXPECTED-WARNING", WARNING},
        {"TEST-PASS", INFO},
    };

    (void)state;
    for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++) {
        for (int pad = 0; pad < 24; pad++) {
            for (int tail = 0; tail < 2; tail++) {
                enum severity got = classifyf(
                    "[task 2026-01-02T03:04:05.678Z] 12:00:01     INFO - "
                    "GECKO(1) %.*s%s%s",
                    pad, "xxxxxxxxxxxxxxxxxxxxxxxx", markers[m].line,
                    tail ? " | a/b.html" : "");
                if (got != markers[m].want)
                    fail_msg("%s after %d bytes: %s", markers[m].line, pad,
                             severity_name(got));
            }
        }
    }
    /* not in a line without a Taskcluster tag or a mozharness column */
    assert_int_equal(classifyf("GECKO(1) TEST-UNEXPECTED-FAIL | x"), NONE);
    assert_int_equal(classifyf("[build] a TEST-UNEXPECTED-FAIL | x"), NONE);
}

static void test_crlf(void **state)
{
    (void)state;
    assert_int_equal(severity_classify("ERROR\r", 6), ERROR);
    assert_int_equal(severity_classify("error: x\r", 9), ERROR);
    assert_int_equal(severity_classify("\r", 1), NONE);
    assert_int_equal(severity_classify("ERROR\r\r", 7), NONE);
    assert_int_equal(severity_classify("[error]\r", 8), ERROR);
}

static void test_names(void **state)
{
    static const char *const want[] = {
        "none", "trace", "debug", "info", "warning", "error", "fatal",
    };

    (void)state;
    for (int s = 0; s < SEVERITY_COUNT; s++)
        assert_string_equal(severity_name((enum severity)s), want[s]);
    assert_string_equal(severity_name(SEVERITY_COUNT), "?");
    assert_string_equal(severity_name((enum severity) - 1), "?");
}

static uint64_t rng = 0x2545f4914f6cdd1du;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Random lines of any bytes, of the bytes the rules care about, and of
 * fragments of real lines, each in a heap buffer of exactly its length:
 * no crash, no read out of bounds (ASan), a valid severity. */
static void test_random_lines(void **state)
{
    static const char alphabet[] =
        "EeRrOoWwAaNnIiFfDdTtCcPpSsUuGgLlVvXx:[]<>{}\"=-_/\\.()#* \t\r"
        "0123456789\x1b";
    static const char *const bits[] = {"[task 2026-01-02T03:04:05.678Z] ",
                                       "2026-01-02T03:04:05.1Z ",
                                       "12:00:01 ",
                                       "  ",
                                       "ERROR",
                                       "error",
                                       "WARN",
                                       "Info",
                                       ":",
                                       " - ",
                                       "[",
                                       "]",
                                       "<",
                                       ">",
                                       "{",
                                       "}",
                                       "\"level\"",
                                       "\"severity\"",
                                       "\"",
                                       "=",
                                       "level=",
                                       "time=",
                                       "E/",
                                       "(",
                                       "TEST-UNEXPECTED-",
                                       "PROCESS-",
                                       "CRASH",
                                       "REFTEST ",
                                       "npm ",
                                       "ERR!",
                                       "make[1]: ",
                                       "***",
                                       "a.c:1:2: ",
                                       "fatal error",
                                       "C2065",
                                       "ValueError",
                                       "java.lang.",
                                       "==1== ",
                                       "\x1b[",
                                       "31m",
                                       "##[",
                                       "::",
                                       "--- FAIL: ",
                                       "596 ",
                                       "\\",
                                       "x"};
    char tmp[700];

    (void)state;
    for (int k = 0; k < 100000; k++) {
        size_t n = 0;
        switch (rnd(3)) {
        case 0:
            n = rnd(sizeof tmp);
            for (size_t i = 0; i < n; i++)
                tmp[i] = (char)rnd(256);
            break;
        case 1:
            n = rnd(sizeof tmp);
            for (size_t i = 0; i < n; i++)
                tmp[i] = alphabet[rnd(sizeof alphabet - 1)];
            break;
        default:
            for (int parts = (int)rnd(12); parts > 0; parts--) {
                const char *b = bits[rnd(sizeof bits / sizeof bits[0])];
                size_t len = strlen(b);
                if (n + len > sizeof tmp)
                    break;
                memcpy(tmp + n, b, len);
                n += len;
            }
            break;
        }
        char *line = malloc(n > 0 ? n : 1);
        assert_non_null(line);
        memcpy(line, tmp, n);
        enum severity s = severity_classify(line, n);
        assert_true(s >= NONE && s < SEVERITY_COUNT);
        free(line);
    }
}

/* --- The tally -------------------------------------------------------- */

struct snapshot {
    struct severity_counts c;
    size_t nhits;
    struct severity_hit hits[SEVERITY_FIRST_MAX];
};

static void snap(const struct severity_tally *t, struct snapshot *ret)
{
    memset(ret, 0, sizeof *ret);
    severity_tally_counts(t, &ret->c);
    ret->nhits = severity_tally_nhits(t);
    assert_int_equal(severity_tally_hits(t, 0, ret->hits, SEVERITY_FIRST_MAX),
                     ret->nhits);
}

static void assert_same(const struct snapshot *a, const struct snapshot *b)
{
    assert_int_equal(a->c.lines, b->c.lines);
    for (int s = 0; s < SEVERITY_COUNT; s++)
        assert_int_equal(a->c.by[s], b->c.by[s]);
    assert_int_equal(a->c.bytes, b->c.bytes);
    assert_int_equal(a->c.hits_dropped, b->c.hits_dropped);
    assert_int_equal(a->c.lines_known, b->c.lines_known);
    assert_int_equal(a->nhits, b->nhits);
    for (size_t k = 0; k < a->nhits; k++) {
        assert_int_equal(a->hits[k].offset, b->hits[k].offset);
        assert_int_equal(a->hits[k].line, b->hits[k].line);
        assert_int_equal(a->hits[k].sev, b->hits[k].sev);
    }
}

static struct severity_tally *new_tally(void)
{
    struct severity_tally *t = NULL;

    assert_int_equal(severity_tally_new(&t), 0);
    assert_non_null(t);
    return t;
}

static void feed(struct severity_tally *t, const void *buf, size_t len)
{
    assert_int_equal(severity_tally_feed(t, buf, len), 0);
}

/* The whole log in the given pieces (cuts: ascending offsets), finished. */
static void run_pieces(const char *log, size_t len, const size_t *cuts,
                       size_t ncuts, struct snapshot *ret)
{
    struct severity_tally *t = new_tally();
    size_t at = 0;

    for (size_t k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        feed(t, log + at, to - at);
        at = to;
    }
    severity_tally_finish(t);
    snap(t, ret);
    severity_tally_free(t);
}

static const char known_log[] =
    "Cloning into 'repo'...\n"                       /* 1, offset 0   */
    "src/a.c:1:2: warning: unused variable 'x'\n"    /* 2, offset 23  */
    "src/a.c:3:4: error: expected ';'\n"             /* 3, offset 65  */
    "\n"                                             /* 4, offset 98  */
    "INFO  done\r\n"                                 /* 5, offset 99  */
    "panic: runtime error: nil map\n"                /* 6, offset 111 */
    "{\"level\":\"debug\",\"msg\":\"x\"}\n"          /* 7, offset 141 */
    "::error::Process completed with exit code 1.\n" /* 8, offset 169 */
    "TRACE x\n"                                      /* 9, offset 214 */
    "make: *** [all] Error 2";                       /* 10, offset 222 */

static void test_tally_known_log(void **state)
{
    struct severity_tally *t = new_tally();
    struct snapshot s;

    (void)state;
    feed(t, known_log, sizeof known_log - 1);
    snap(t, &s);
    /* the last line has no '\n' yet */
    assert_int_equal(s.c.lines, 9);
    assert_int_equal(s.c.by[ERROR], 2);
    assert_int_equal(s.c.bytes, sizeof known_log - 1);
    severity_tally_finish(t);
    snap(t, &s);
    assert_int_equal(s.c.lines, 10);
    assert_int_equal(s.c.by[NONE], 2);
    assert_int_equal(s.c.by[TRACE], 1);
    assert_int_equal(s.c.by[DEBUG], 1);
    assert_int_equal(s.c.by[INFO], 1);
    assert_int_equal(s.c.by[WARNING], 1);
    assert_int_equal(s.c.by[ERROR], 3);
    assert_int_equal(s.c.by[FATAL], 1);
    assert_int_equal(s.c.hits_dropped, 0);
    assert_true(s.c.lines_known);
    assert_int_equal(s.nhits, 4);
    static const struct severity_hit want[] = {
        {65, 3, ERROR}, {111, 6, FATAL}, {169, 8, ERROR}, {222, 10, ERROR}};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(s.hits[k].offset, want[k].offset);
        assert_int_equal(s.hits[k].line, want[k].line);
        assert_int_equal(s.hits[k].sev, want[k].sev);
        /* the offset is the line's first byte */
        assert_true(want[k].offset == 0 ||
                    known_log[want[k].offset - 1] == '\n');
    }
    severity_tally_free(t);
}

/* Every way of cutting the known log in two, and in three, gives what one
 * feed gives. */
static void test_tally_every_split(void **state)
{
    size_t len = sizeof known_log - 1;
    struct snapshot one, two;

    (void)state;
    run_pieces(known_log, len, NULL, 0, &one);
    for (size_t a = 0; a <= len; a++) {
        size_t cut[2] = {a, 0};
        run_pieces(known_log, len, cut, 1, &two);
        assert_same(&one, &two);
        for (size_t b = a; b <= len; b += 7) {
            cut[1] = b;
            run_pieces(known_log, len, cut, 2, &two);
            assert_same(&one, &two);
        }
    }
}

static void test_tally_byte_by_byte(void **state)
{
    size_t len = sizeof known_log - 1;
    struct snapshot one, two;
    struct severity_tally *t = new_tally();

    (void)state;
    run_pieces(known_log, len, NULL, 0, &one);
    for (size_t k = 0; k < len; k++)
        feed(t, known_log + k, 1);
    severity_tally_finish(t);
    snap(t, &two);
    assert_same(&one, &two);
    severity_tally_free(t);
}

/* A log with long lines (a marker at their start, or only past the
 * prefix), CRLF, empty lines, lines of exactly the prefix: random pieces
 * give what one feed gives. */
static void test_tally_random_splits(void **state)
{
    static char log[64 * 1024];
    size_t len = 0;

    (void)state;
    while (len < sizeof log - 4096) {
        size_t n;
        switch (rnd(8)) {
        case 0: /* long, marker first */
            n = 400 + rnd(2000);
            memset(log + len, 'x', n);
            memcpy(log + len, "ERROR: ", 7);
            break;
        case 1: /* long, marker past the prefix */
            n = SEVERITY_PREFIX_MAX + 20 + rnd(100);
            memset(log + len, ' ', n);
            memcpy(log + len + n - 8, "ERROR: x", 8);
            break;
        case 2: /* exactly the prefix, with and without CR */
            n = SEVERITY_PREFIX_MAX - 1 + rnd(3);
            memset(log + len, 'y', n);
            memcpy(log + len, "warning: ", 9);
            if (rnd(2) == 0)
                log[len + n - 1] = '\r';
            break;
        case 3:
            n = 0;
            break;
        default: {
            const struct example *e = &corpus[rnd((uint32_t)N_CORPUS)];
            n = strlen(e->line);
            memcpy(log + len, e->line, n);
            if (rnd(3) == 0)
                log[len + n++] = '\r';
            break;
        }
        }
        len += n;
        log[len++] = '\n';
    }
    struct snapshot one, two;
    run_pieces(log, len, NULL, 0, &one);
    assert_true(one.nhits > 10);
    for (int round = 0; round < 300; round++) {
        size_t cuts[64], ncuts = 1 + rnd(63), at = 0;
        for (size_t k = 0; k < ncuts; k++) {
            /* small pieces now and then, to split inside lines */
            at += rnd(4) == 0 ? rnd(8) : rnd((uint32_t)(2 * len / ncuts));
            cuts[k] = at < len ? at : len;
        }
        run_pieces(log, len, cuts, ncuts, &two);
        assert_same(&one, &two);
    }
}

/* A long line: classified on its prefix as soon as the prefix is there,
 * counted once, and the next line's offset and number are right. */
static void test_tally_long_line(void **state)
{
    char line[3000];
    struct severity_tally *t = new_tally();
    struct snapshot s;

    (void)state;
    memset(line, 'z', sizeof line);
    memcpy(line, "FATAL: ", 7);
    feed(t, line, 100);
    snap(t, &s);
    assert_int_equal(s.c.lines, 0);
    assert_true(severity_tally_footprint(t) >= SEVERITY_PREFIX_MAX);
    feed(t, line + 100, SEVERITY_PREFIX_MAX - 100);
    snap(t, &s);
    assert_int_equal(s.c.lines, 1); /* the prefix is complete */
    assert_int_equal(s.c.by[FATAL], 1);
    assert_true(severity_tally_footprint(t) < SEVERITY_PREFIX_MAX);
    feed(t, line + SEVERITY_PREFIX_MAX, sizeof line - SEVERITY_PREFIX_MAX);
    feed(t, "\nERROR: next\n", 13);
    snap(t, &s);
    assert_int_equal(s.c.lines, 2);
    assert_int_equal(s.nhits, 2);
    assert_int_equal(s.hits[0].offset, 0);
    assert_int_equal(s.hits[0].line, 1);
    assert_int_equal(s.hits[1].offset, sizeof line + 1);
    assert_int_equal(s.hits[1].line, 2);
    /* whole in one feed: the same */
    severity_tally_free(t);
    t = new_tally();
    feed(t, line, sizeof line);
    snap(t, &s);
    assert_int_equal(s.c.by[FATAL], 1);
    feed(t, "\n", 1);
    severity_tally_finish(t);
    snap(t, &s);
    assert_int_equal(s.c.lines, 1);
    severity_tally_free(t);
}

static void test_tally_crlf(void **state)
{
    static const char log[] = "ERROR: a\r\n\r\nwarning: b\r\nplain\r\n";
    struct severity_tally *t = new_tally();
    struct snapshot s;

    (void)state;
    feed(t, log, sizeof log - 1);
    snap(t, &s);
    assert_int_equal(s.c.lines, 4);
    assert_int_equal(s.c.by[ERROR], 1);
    assert_int_equal(s.c.by[WARNING], 1);
    assert_int_equal(s.c.by[NONE], 2);
    severity_tally_free(t);
}

/* The last line without '\n' counts only at finish; finish is idempotent
 * and does nothing after a '\n' or on an empty log. */
static void test_tally_finish(void **state)
{
    struct severity_tally *t = new_tally();
    struct snapshot s;

    (void)state;
    severity_tally_finish(t);
    snap(t, &s);
    assert_int_equal(s.c.lines, 0);
    feed(t, "ok\nERROR: last", 14);
    snap(t, &s);
    assert_int_equal(s.c.lines, 1);
    assert_int_equal(s.c.by[ERROR], 0);
    severity_tally_finish(t);
    severity_tally_finish(t);
    snap(t, &s);
    assert_int_equal(s.c.lines, 2);
    assert_int_equal(s.c.by[ERROR], 1);
    assert_int_equal(s.nhits, 1);
    assert_int_equal(s.hits[0].offset, 3);
    assert_int_equal(s.hits[0].line, 2);
    assert_true(severity_tally_footprint(t) < SEVERITY_PREFIX_MAX);
    /* bytes after finish start a new line */
    feed(t, "WARN x\n", 7);
    severity_tally_finish(t);
    snap(t, &s);
    assert_int_equal(s.c.lines, 3);
    assert_int_equal(s.c.by[WARNING], 1);
    assert_int_equal(s.c.bytes, 21);
    severity_tally_free(t);

    t = new_tally();
    feed(t, "ERROR: a\n", 9);
    severity_tally_finish(t);
    snap(t, &s);
    assert_int_equal(s.c.lines, 1);
    severity_tally_free(t);
}

/* 1,500 error lines: 1,000 kept, all counted, none dropped. */
static void test_tally_cap(void **state)
{
    struct severity_tally *t = new_tally();
    struct snapshot s;
    char line[32];

    (void)state;
    for (int k = 0; k < 1500; k++) {
        int n = snprintf(line, sizeof line, "%s %d\n",
                         k % 3 == 2 ? "FATAL" : "ERROR", k);
        feed(t, line, (size_t)n);
        if (k == 15)
            assert_int_equal(severity_tally_nhits(t), 16);
    }
    feed(t, "ok\n", 3);
    snap(t, &s);
    assert_int_equal(s.nhits, SEVERITY_FIRST_MAX);
    assert_int_equal(s.c.by[ERROR], 1000);
    assert_int_equal(s.c.by[FATAL], 500);
    assert_int_equal(s.c.lines, 1501);
    assert_int_equal(s.c.hits_dropped, 0);
    assert_int_equal(s.hits[999].line, 1000);
    assert_int_equal(s.hits[999].sev, ERROR);
    assert_int_equal(s.hits[2].sev, FATAL);
    size_t fp = severity_tally_footprint(t);
    assert_true(fp >= SEVERITY_FIRST_MAX * sizeof(struct severity_hit));
    assert_true(fp <= SEVERITY_FIRST_MAX * sizeof(struct severity_hit) + 128);
    severity_tally_free(t);
}

/* skip(): the line in progress and the fragment after the gap are dropped,
 * offsets go on, line numbers become 0. */
static void test_tally_skip(void **state)
{
    struct severity_tally *t = new_tally();
    struct snapshot s;

    (void)state;
    severity_tally_skip(t, 0);
    feed(t, "a\nERROR: one\nERROR: cut", 23);
    snap(t, &s);
    assert_true(s.c.lines_known);
    assert_int_equal(s.c.lines, 2);
    severity_tally_skip(t, 1000);
    feed(t, "ERROR: tail of a line\nplain\nERROR: two\n", 39);
    severity_tally_finish(t);
    snap(t, &s);
    assert_false(s.c.lines_known);
    assert_int_equal(s.c.lines, 4);
    assert_int_equal(s.c.by[ERROR], 2);
    assert_int_equal(s.c.bytes, 23 + 1000 + 39);
    assert_int_equal(s.nhits, 2);
    assert_int_equal(s.hits[0].offset, 2);
    assert_int_equal(s.hits[0].line, 2);
    assert_int_equal(s.hits[1].offset, 23 + 1000 + 28);
    assert_int_equal(s.hits[1].line, 0);
    assert_true(severity_tally_footprint(t) < SEVERITY_PREFIX_MAX);
    severity_tally_free(t);

    /* skip at a line start, and right after finish */
    t = new_tally();
    feed(t, "x\n", 2);
    severity_tally_skip(t, 5);
    feed(t, "ERROR: fragment\n", 16);
    severity_tally_finish(t);
    severity_tally_skip(t, 5);
    severity_tally_finish(t);
    snap(t, &s);
    assert_int_equal(s.c.lines, 1);
    assert_int_equal(s.c.by[ERROR], 0);
    assert_int_equal(s.c.bytes, 28);
    severity_tally_free(t);
}

static void test_tally_hits_paging(void **state)
{
    struct severity_tally *t = new_tally();
    struct severity_hit h[8];

    (void)state;
    assert_int_equal(severity_tally_hits(t, 0, h, 8), 0);
    assert_int_equal(severity_tally_hits(t, 0, NULL, 0), 0);
    for (int k = 0; k < 5; k++)
        feed(t, "ERROR\n", 6);
    assert_int_equal(severity_tally_nhits(t), 5);
    assert_int_equal(severity_tally_hits(t, 0, h, 2), 2);
    assert_int_equal(h[1].line, 2);
    assert_int_equal(severity_tally_hits(t, 3, h, 8), 2);
    assert_int_equal(h[0].line, 4);
    assert_int_equal(h[0].offset, 18);
    assert_int_equal(h[1].line, 5);
    assert_int_equal(severity_tally_hits(t, 5, h, 8), 0);
    assert_int_equal(severity_tally_hits(t, 99, h, 8), 0);
    assert_int_equal(severity_tally_hits(t, 1, NULL, 0), 0);
    severity_tally_free(t);
}

/* An idle tally is small; a split line holds SEVERITY_PREFIX_MAX bytes
 * until it is classified; hits grow from 16. */
static void test_tally_memory(void **state)
{
    struct severity_tally *t = new_tally();
    size_t idle = severity_tally_footprint(t);

    (void)state;
    assert_true(idle <= 128);
    assert_int_equal(severity_tally_feed(t, NULL, 0), 0);
    feed(t, "whole line\n", 11);
    assert_int_equal(severity_tally_footprint(t), idle);
    feed(t, "half a ", 7);
    assert_int_equal(severity_tally_footprint(t), idle + SEVERITY_PREFIX_MAX);
    feed(t, "line\n", 5);
    assert_int_equal(severity_tally_footprint(t), idle);
    feed(t, "ERROR: x\n", 9);
    assert_int_equal(severity_tally_footprint(t),
                     idle + 16 * sizeof(struct severity_hit));
    severity_tally_free(t);
    severity_tally_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_false_friends),
        cmocka_unit_test(test_corpus_variants),
        cmocka_unit_test(test_exact_buffers),
        cmocka_unit_test(test_level_words),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_prefix_limit),
        cmocka_unit_test(test_marker_alignment),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_random_lines),
        cmocka_unit_test(test_tally_known_log),
        cmocka_unit_test(test_tally_every_split),
        cmocka_unit_test(test_tally_byte_by_byte),
        cmocka_unit_test(test_tally_random_splits),
        cmocka_unit_test(test_tally_long_line),
        cmocka_unit_test(test_tally_crlf),
        cmocka_unit_test(test_tally_finish),
        cmocka_unit_test(test_tally_cap),
        cmocka_unit_test(test_tally_skip),
        cmocka_unit_test(test_tally_hits_paging),
        cmocka_unit_test(test_tally_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
