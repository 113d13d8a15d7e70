/* process: signals and resource limits of the server verbs (see
 * process.h). */
#include "process.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include "log/log.h"

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
}

void process_setup(void)
{
    sigset_t set;
    stop_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        log_warning(LOGC_MAIN, "could not raise the open-file limit",
                    LF_I64("errno", errno));
}

enum log_level process_step_log_level(int step, const char *how)
{
    enum log_level from = log_get_level();
    int to = (int)from + step;
    if (to < (int)LOG_ERROR)
        to = LOG_ERROR; /* fatal records are always written */
    if (to > (int)LOG_TRACE)
        to = LOG_TRACE;
    log_change_level((enum log_level)to, how);
    return (enum log_level)to;
}

int process_wait_for_stop(void (*on_reload)(void *cls), void *cls)
{
    sigset_t set;
    stop_signals(&set);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGUSR1 || sig == SIGUSR2) {
            process_step_log_level(sig == SIGUSR1 ? 1 : -1, "signal");
            continue;
        }
        if (sig != SIGHUP)
            return sig;
        log_info(LOGC_MAIN, "SIGHUP: reloading keys and certificates");
        if (on_reload != NULL)
            on_reload(cls);
    }
}
