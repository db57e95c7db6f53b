/*
 * replay_progress.c - following the private recovery's replay.
 */
#include "replay_progress.h"

#include "clock.h"
#include "log.h"
#include "pq.h"
#include "private_instance.h"
#include "recovery_run.h"
#include "wal.h"
#include "xalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PROGRESS_EVERY_MS 5000
#define QUERY_TIMEOUT_MS  10000
/* How often replay's progress and the WAL queue are looked at for the repository's watch. */
#define SAMPLE_EVERY_MS 1000
/*
 * Less than this is not progress: after a fetch failed, replay still applies
 * the records it holds of the segment before (measured: 19 kB), and
 * pgBackRest's archive-get removes what it no longer wants from its queue
 * (docs/design.md, F42). Replay and the fetch move megabytes.
 */
#define REPLAY_MIN_BYTES (1024 * 1024)
#define QUEUED_MIN_BYTES (64 * 1024)

void replay_progress_init(replay_progress *p)
{
    memset(p, 0, sizeof(*p));
    p->queued_mark = -1;
}

void replay_progress_disconnect(replay_progress *p)
{
    if (p->conn != NULL)
        PQfinish(p->conn);
    p->conn = NULL;
}

void replay_progress_free(replay_progress *p)
{
    replay_progress_disconnect(p);
    free(p->seen_segment);
    p->seen_segment = NULL;
}

static void try_connect(recovery_run *run)
{
    char *conninfo;
    char *errmsg = NULL;

    if (run->progress.conn != NULL || !run->log.accepts_read_only)
        return;
    conninfo = private_instance_conninfo(run->private_dir);
    if (conninfo == NULL)
        return;
    run->progress.conn = pgd_pq_connect(conninfo, 5, &errmsg);
    if (run->progress.conn == NULL) {
        /* Progress then comes from the log alone; the drill does not depend on this. */
        pgd_debug("progress connection failed: %s", errmsg);
        free(errmsg);
    }
    free(conninfo);
}

char *replay_rate_text(uint64_t redo_start, uint64_t replayed_to, double seconds, uint64_t end)
{
    double rate;

    if (seconds < 1 || replayed_to <= redo_start)
        return pgd_strdup("");
    rate = (double)(replayed_to - redo_start) / seconds;
    if (end <= replayed_to)
        return pgd_asprintf(", %.1f MB/s", rate / 1e6);
    return pgd_asprintf(", %.1f MB/s, about %.0f s left", rate / 1e6,
                        (double)(end - replayed_to) / rate);
}

/*
 * The rate since "redo starts at" and, when the end of the span is known
 * (the segment holding the fence, which bootstrap archived itself), the
 * time left at that rate. A past target stops somewhere before that
 * segment, where no WAL name says: no time left is given then.
 */
static char *rate_text(const recovery_run *run, uint64_t replayed_to)
{
    uint64_t start, end = 0;
    double seconds;

    if (run->progress.redo_started_ms == 0 || !pgd_wal_parse_lsn(run->log.redo_start, &start))
        return pgd_strdup("");
    seconds = (double)(pgd_monotonic_ms() - run->progress.redo_started_ms) / 1000.0;
    if (run->d->target.kind == PGD_TARGET_LATEST && run->d->archived_segment != NULL &&
        pgd_wal_segment_start(run->d->archived_segment, run->before.wal_segment_size, &end))
        end += (uint64_t)run->before.wal_segment_size;
    else
        end = 0;
    return replay_rate_text(start, replayed_to, seconds, end);
}

/*
 * "; nothing replayed or fetched for 35 s; probing the repository since ...",
 * or "" while replay moves (caller frees).
 */
static char *stall_text(const recovery_run *run)
{
    int64_t now = pgd_monotonic_ms();
    char *probing = run->watching ? repo_clock_describe(&run->repo.clock, now) : NULL;
    char *text;

    if (probing == NULL)
        return pgd_strdup("");
    text = pgd_asprintf("; nothing replayed or fetched for %lld s; %s",
                        (long long)((now - run->repo.clock.quiet_since_ms) / 1000), probing);
    free(probing);
    return text;
}

/* Before consistency no connection: the last segment fetched says how far replay got. */
static void report_from_log(const recovery_run *run)
{
    uint64_t lsn = 0;
    char *rate;
    char *stall;

    if (run->log.last_restored_segment != NULL)
        pgd_wal_segment_start(run->log.last_restored_segment, run->before.wal_segment_size, &lsn);
    rate = rate_text(run, lsn);
    stall = stall_text(run);
    pgd_info("replay progress: %s (target %s)%s%s",
             run->log.last_restored_segment ? run->log.last_restored_segment
                                            : "no WAL segment restored yet",
             run->d->target_time, rate, stall);
    free(stall);
    free(rate);
}

void replay_progress_report(recovery_run *run)
{
    replay_progress *p = &run->progress;
    char *errmsg = NULL;
    PGresult *res;
    uint64_t lsn = 0;
    char *rate;
    char *stall;

    if (pgd_monotonic_ms() - p->last_report_ms < PROGRESS_EVERY_MS)
        return;
    p->last_report_ms = pgd_monotonic_ms();
    try_connect(run);
    if (p->conn == NULL) {
        report_from_log(run);
        return;
    }
    res = pgd_pq_exec(p->conn,
                      "SELECT pg_catalog.to_char(pg_catalog.pg_last_xact_replay_timestamp()"
                      " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00',"
                      " pg_catalog.pg_last_wal_replay_lsn()",
                      0, NULL, QUERY_TIMEOUT_MS, &errmsg, NULL);
    if (res == NULL) {
        pgd_debug("progress query failed: %s", errmsg);
        free(errmsg);
        replay_progress_disconnect(p);
        return;
    }
    if (!pgd_wal_parse_lsn(PQgetvalue(res, 0, 1), &lsn))
        lsn = 0;
    p->replayed_lsn = lsn;
    rate = rate_text(run, lsn);
    stall = stall_text(run);
    pgd_info("replay progress: replayed to %s (LSN %s), target %s%s%s",
             PQgetisnull(res, 0, 0) ? "no transaction yet" : PQgetvalue(res, 0, 0),
             PQgetvalue(res, 0, 1), run->d->target_time, rate, stall);
    free(stall);
    free(rate);
    PQclear(res);
}

long long replay_queued_bytes(const char *queue_dir)
{
    DIR *dir = opendir(queue_dir);
    struct dirent *e;
    long long bytes = 0;

    if (dir == NULL)
        return -1;
    while ((e = readdir(dir)) != NULL) {
        const char *dot = strrchr(e->d_name, '.');
        struct stat st;

        if (e->d_name[0] == '.' ||
            (dot != NULL && (strcmp(dot, ".ok") == 0 || strcmp(dot, ".error") == 0)))
            continue;
        if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            bytes += (long long)st.st_size;
    }
    closedir(dir);
    return bytes;
}

bool replay_progress_moved(replay_progress *p, long long queued, const char *segment)
{
    bool moved = false;

    if (queued - p->queued_mark >= QUEUED_MIN_BYTES) {
        p->queued_mark = queued;
        moved = true;
    } else if (queued < p->queued_mark)
        p->queued_mark = queued; /* replay took segments out, or pgBackRest removed some */
    if (p->replayed_lsn >= p->lsn_mark + REPLAY_MIN_BYTES) {
        p->lsn_mark = p->replayed_lsn;
        moved = true;
    }
    if (segment != NULL && (p->seen_segment == NULL || strcmp(segment, p->seen_segment) != 0)) {
        free(p->seen_segment);
        p->seen_segment = pgd_strdup(segment);
        moved = true;
    }
    return moved;
}

void replay_progress_sample(recovery_run *run, int64_t now)
{
    long long queued = -1;

    if (now - run->progress.last_sample_ms < SAMPLE_EVERY_MS)
        return;
    run->progress.last_sample_ms = now;
    if (run->log.stop_point != NULL || run->log.promoted) {
        /*
         * The WAL up to the target is replayed: what recovery still asks the
         * repository for (timeline history files) it does without when it
         * cannot get it, so the repository is no longer watched (F43).
         */
        repo_watch_progress(&run->repo);
        return;
    }
    /* The queue holds at most recovery.wal_prefetch: a few dozen entries. */
    if (run->spool_dir != NULL) {
        char *queue_dir =
            pgd_asprintf("%s/archive/%s/in", run->spool_dir, run->d->cfg->pgbackrest.stanza);

        queued = replay_queued_bytes(queue_dir);
        free(queue_dir);
    }
    if (replay_progress_moved(&run->progress, queued, run->log.last_restored_segment))
        repo_watch_progress(&run->repo);
}
