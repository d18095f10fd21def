/* progress.c: terminal progress bar / plain progress lines with rate and ETA. */
#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct zt_progress {
    pthread_mutex_t mu;
    char label[64];
    char note[160];
    int64_t total, done;
    double t0, last_draw;
    FILE *out;
    int tty, quiet;
};

double zt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct zt_progress *zt_progress_new(const char *label, int64_t total, FILE *out, int quiet)
{
    struct zt_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->mu, NULL);
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    /* the caller names the stream: without one there is nothing to draw on */
    p->out = out;
    p->quiet = quiet || !out;
    p->tty = out && isatty(fileno(out));
    p->t0 = p->last_draw = zt_now();
    return p;
}

static void fmt_time(char *s, size_t n, double sec)
{
    if (sec < 0 || sec > 1e7) {
        snprintf(s, n, "--:--");
        return;
    }
    long t = (long)(sec + 0.5);
    if (t >= 3600) snprintf(s, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(s, n, "%02ld:%02ld", t / 60, t % 60);
}

static void draw(struct zt_progress *p, int final)
{
    double now = zt_now(), el = now - p->t0;
    double rate = el > 0 ? p->done / el : 0;
    char eta[32], ela[32];
    fmt_time(ela, sizeof ela, el);
    fmt_time(eta, sizeof eta, rate > 0 && p->total > 0 ? (p->total - p->done) / rate : -1);
    if (p->tty) {
        char bar[31];
        int fill = p->total > 0 ? (int)(30.0 * p->done / p->total) : 0;
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = 0;
        if (p->total > 0)
            fprintf(p->out, "\r%s [%s] %lld/%lld %.1f/s elapsed %s eta %s %s\033[K", p->label,
                    bar, (long long)p->done, (long long)p->total, rate, ela, eta, p->note);
        else
            fprintf(p->out, "\r%s %lld %.1f/s elapsed %s %s\033[K", p->label,
                    (long long)p->done, rate, ela, p->note);
        if (final) fputc('\n', p->out);
    } else {
        fprintf(p->out, "%s: %lld/%lld (%.1f/s, elapsed %s, eta %s)%s%s\n", p->label,
                (long long)p->done, (long long)p->total, rate, ela, final ? "00:00" : eta,
                p->note[0] ? " " : "", p->note);
    }
    fflush(p->out);
    p->last_draw = now;
}

void zt_progress_add(struct zt_progress *p, int64_t n)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->done += n;
    double now = zt_now();
    if (!p->quiet && now - p->last_draw >= (p->tty ? 0.2 : 5.0)) draw(p, 0);
    pthread_mutex_unlock(&p->mu);
}

void zt_progress_set_note(struct zt_progress *p, const char *note)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    snprintf(p->note, sizeof p->note, "%s", note ? note : "");
    pthread_mutex_unlock(&p->mu);
}

void zt_progress_free(struct zt_progress *p)
{
    if (!p) return;
    if (!p->quiet) draw(p, 1);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
