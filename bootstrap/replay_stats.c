/*
 * replay_stats.c - what the replay is recorded as.
 */
#include "replay_stats.h"

#include "clock.h"
#include "log.h"

bool replay_span_of(const recovery_log *log, long timeline, long segment_bytes,
                    double measured_seconds, replay_span *out)
{
    uint64_t start, done;

    if (!pgd_wal_parse_lsn(log->redo_start, &start) || !pgd_wal_parse_lsn(log->redo_done, &done) ||
        done < start || !pgd_wal_valid_segment_size(segment_bytes))
        return false;
    pgd_wal_segment_of(start, (unsigned int)timeline, segment_bytes, out->first);
    pgd_wal_segment_of(done, (unsigned int)timeline, segment_bytes, out->last);
    out->bytes = (long long)(done - start);
    out->segments =
        (long long)(done / (uint64_t)segment_bytes - start / (uint64_t)segment_bytes) + 1;
    out->seconds = log->redo_seconds >= 0 ? log->redo_seconds : measured_seconds;
    return true;
}

static void record_span(recovery_run *run)
{
    double measured = -1;
    replay_span span;
    double mb;

    if (run->progress.redo_started_ms != 0)
        measured = (double)(pgd_monotonic_ms() - run->progress.redo_started_ms) / 1000.0;
    if (!replay_span_of(&run->log, run->before.timeline, run->before.wal_segment_size, measured,
                        &span))
        return;
    mb = (double)span.bytes / 1e6;
    pgd_report_set_nested(run->d->report, "recovery", "wal_first_segment", span.first);
    pgd_report_set_nested(run->d->report, "recovery", "wal_last_segment", span.last);
    pgd_report_set_nested_integer(run->d->report, "recovery", "wal_bytes", span.bytes);
    pgd_report_set_nested_integer(run->d->report, "recovery", "wal_segments", span.segments);
    if (span.seconds < 0) {
        pgd_info("replayed WAL from %s to %s (%lld segments, %.1f MB)", span.first, span.last,
                 span.segments, mb);
        return;
    }
    pgd_report_set_nested_seconds(run->d->report, "recovery", "replay_seconds", span.seconds);
    /* A replay faster than the clock's resolution gets no rate rather than an infinite one. */
    if (span.seconds > 0)
        pgd_report_set_nested_seconds(run->d->report, "recovery", "replay_mb_per_s",
                                      mb / span.seconds);
    pgd_info("replayed WAL from %s to %s (%lld segments, %.1f MB) in %.2f s (%.1f MB/s)",
             span.first, span.last, span.segments, mb, span.seconds,
             span.seconds > 0 ? mb / span.seconds : 0.0);
}

void replay_stats_record(recovery_run *run)
{
    drill *d = run->d;

    if (run->log.stop_point != NULL) {
        pgd_info("%s", run->log.stop_point);
        pgd_report_set_nested(d->report, "recovery", "stop_point", run->log.stop_point);
    }
    if (run->log.last_transaction_time != NULL)
        pgd_report_set_nested(d->report, "recovery", "last_transaction_time",
                              run->log.last_transaction_time);
    record_span(run);
}
