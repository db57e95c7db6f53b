/*
 * fuzz_controldata.c - controldata_parse() (bootstrap/controldata.c) on
 * arbitrary pg_controldata output.
 *
 * A parsed "Bytes per WAL segment" goes where replay_failure.c sends it: into the
 * WAL segment arithmetic that names the segment a failed recovery missed.
 */
#include "controldata.h"
#include "recovery_log.h"

#include "fuzz_input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    controldata cd;
    char *errmsg = NULL;

    if (controldata_parse(text, &cd, &errmsg)) {
        recovery_log log = {.last_restored_segment = "000000010000000000000003"};
        char *missing;

        if (cd.cluster_state == NULL || errmsg != NULL)
            abort();
        missing = recovery_missing_segment(&log, cd.wal_segment_size);
        free(missing);
        controldata_free(&cd);
    } else {
        if (errmsg == NULL || cd.cluster_state != NULL) {
            fprintf(stderr, "fuzz_controldata: failed without a message, or kept a value\n");
            abort();
        }
        free(errmsg);
    }
    free(text);
    return 0;
}
