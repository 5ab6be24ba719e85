/* `ftsim merge OUT.db SHARD.db...`: combines shard databases of a sweep into one
 * (DESIGN.md §9). Each shard is merged in its own transaction (res_merge): runs OUT.db
 * lacks are copied with all their rows, identical runs are skipped, and a shard of
 * another schema version, another version of a scenario file or with a conflicting
 * run is refused with exit 2 — the shards merged before it stay merged. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "store.h"
#include "suggest.h"

static void usage(FILE *f) {
    fputs("usage: ftsim merge OUT.db SHARD.db...\n"
          "\n"
          "Copies into OUT.db (created if missing) every run of each SHARD.db that OUT.db\n"
          "does not have, with its outcome, time series and other rows, one transaction per\n"
          "shard. A run both have with the same trace hash is skipped, so merging twice\n"
          "changes nothing. Refused (exit 2, that shard left out): a shard of another schema\n"
          "version, a scenario whose file hash differs from OUT.db's for the same name, a run\n"
          "stored in both with different trace hashes.\n"
          "\n"
          "  --help          this text\n",
          f);
}

int cli_merge(int argc, char **argv) {
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* 0: glibc re-initialises getopt (argument permutation included) */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CLI_OK;
        }
        return cli_bad_option("merge", opts, argv);
    }
    if (argc - optind < 2) {
        fprintf(stderr, "ftsim merge: expected OUT.db and at least one SHARD.db "
                        "(see 'ftsim merge --help')\n");
        return CLI_USAGE;
    }
    struct ft_error err = {0};
    struct res_db *db = NULL;
    int dr = res_open(argv[optind], &db, &err);
    if (dr != 0) {
        fprintf(stderr, "ftsim merge: %s\n", err.msg);
        return cli_db_exit(dr);
    }
    int rc = CLI_OK;
    for (int i = optind + 1; i < argc && rc == CLI_OK; i++) {
        uint64_t added = 0, skipped = 0;
        int r = res_merge(db, argv[i], &added, &skipped, &err);
        if (r) {
            fprintf(stderr, "ftsim merge: %s\n", err.msg);
            rc = r == FT_EPARSE || r == FT_EIO || r == FT_EINVAL ? CLI_USAGE : CLI_INTERNAL;
            break;
        }
        printf("%s: %llu runs added, %llu already in %s\n", argv[i], (unsigned long long)added,
               (unsigned long long)skipped, argv[optind]);
    }
    res_close(db);
    return rc;
}
