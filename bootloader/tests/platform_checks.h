/* What the C check programs share: the one line each check prints, and the checks of
 * platform.c (fk_platform_make_dirs, fk_platform_run_parallel) and of the platform files'
 * fk_platform_alloc_pages for every operating system, and the onefile watchdog on POSIX,
 * run by platform_check (pytest) and by win_check (under wine). */
#ifndef FK_PLATFORM_CHECKS_H
#define FK_PLATFORM_CHECKS_H

struct tally {
    int passed;
    int failed;
};

/* Prints "ok <name>" or "FAIL <name>: <why>" and counts it. */
void report(struct tally *tally, int ok, const char *name, const char *why);

/* The checks of platform.c; they make and remove folders below the existing folder
 * `scratch`. */
void fk_platform_checks(const char *scratch, struct tally *tally);

#endif /* FK_PLATFORM_CHECKS_H */
