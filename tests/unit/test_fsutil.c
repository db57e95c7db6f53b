/*
 * test_fsutil.c - atomic writes that cannot be hijacked, reads that refuse
 * what is not a regular text file, directory states, path resolution and
 * normalisation, private directories.
 */
#include "fsutil.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/pgdrill-test-fsutil-XXXXXX";

static char *in_dir(const char *name)
{
    return pgd_asprintf("%s/%s", dir, name);
}

static void write_plain(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* path_within with a formatted path that is freed here */
static bool within(char *path, const char *parent)
{
    bool result = pgd_path_within(path, parent);

    free(path);
    return result;
}

static char *slurp(const char *path)
{
    char *errmsg = NULL;
    char *text = pgd_read_file(path, 1 << 20, &errmsg);

    assert_non_null(text);
    return text;
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pgd_remove_tree(dir);
    return 0;
}

/*
 * The old scheme wrote "<path>.tmp.<pid>" with O_CREAT|O_TRUNC, following a
 * link planted there; the new one never writes through any planted name.
 */
static void test_atomic_write_ignores_planted_links(void **state)
{
    char *target = in_dir("report.json");
    char *victim = in_dir("victim");
    char *errmsg = NULL;
    char *text;
    struct stat st;

    (void)state;
    write_plain(victim, "precious\n");
    for (long pid = getpid(); pid < getpid() + 64; pid++) {
        char *planted = pgd_asprintf("%s.tmp.%ld", target, pid);

        assert_int_equal(symlink(victim, planted), 0);
        free(planted);
    }
    assert_true(pgd_write_file_atomic(target, "{}\n", 0640, &errmsg));
    text = slurp(victim);
    assert_string_equal(text, "precious\n");
    free(text);
    text = slurp(target);
    assert_string_equal(text, "{}\n");
    free(text);

    /* the file gets exactly the mode asked for, whatever the umask */
    umask(077);
    assert_true(pgd_write_file_atomic(target, "{}\n", 0644, &errmsg));
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    umask(022);

    /* a link at the target itself is replaced, not written through */
    unlink(target);
    assert_int_equal(symlink(victim, target), 0);
    assert_true(pgd_write_file_atomic(target, "new\n", 0640, &errmsg));
    text = slurp(victim);
    assert_string_equal(text, "precious\n");
    free(text);
    assert_int_equal(lstat(target, &st), 0);
    assert_true(S_ISREG(st.st_mode));

    /* no temporary file is left behind */
    {
        char *listing = pgd_asprintf("ls -A %s | grep -c '^\\.report' > %s/count", dir, dir);
        char *count_path = in_dir("count");

        assert_int_equal(system(listing) >= 0, 1);
        text = slurp(count_path);
        assert_string_equal(text, "0\n");
        free(text);
        free(count_path);
        free(listing);
    }
    free(target);
    free(victim);
}

static void test_read_refuses_what_is_not_a_regular_text_file(void **state)
{
    char *fifo = in_dir("fifo");
    char *link = in_dir("link");
    char *big = in_dir("big");
    char *nul = in_dir("nul");
    char *plain = in_dir("plain");
    char *errmsg = NULL;
    char *text;
    int errnum = 0;
    int fd;

    (void)state;
    /* a FIFO without a writer must not block */
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_null(pgd_read_file_ex(fifo, 1024, PGD_READ_FOLLOW, &errnum, &errmsg));
    assert_non_null(strstr(errmsg, "is a FIFO"));
    free(errmsg);

    assert_null(pgd_read_file_ex(dir, 1024, PGD_READ_FOLLOW, &errnum, &errmsg));
    assert_non_null(strstr(errmsg, "is a directory"));
    free(errmsg);

    write_plain(plain, "text\n");
    assert_int_equal(symlink(plain, link), 0);
    text = pgd_read_file_ex(link, 1024, PGD_READ_FOLLOW, &errnum, &errmsg);
    assert_string_equal(text, "text\n");
    free(text);
    assert_null(pgd_read_file_ex(link, 1024, PGD_READ_NOFOLLOW, &errnum, &errmsg));
    assert_non_null(strstr(errmsg, "symbolic link"));
    assert_int_not_equal(errnum, ENOENT);
    free(errmsg);

    fd = open(big, O_WRONLY | O_CREAT, 0600);
    assert_int_equal(ftruncate(fd, 10 * 1024 * 1024), 0);
    close(fd);
    assert_null(pgd_read_file_ex(big, 1024, PGD_READ_FOLLOW, &errnum, &errmsg));
    assert_non_null(strstr(errmsg, "larger than"));
    free(errmsg);

    fd = open(nul, O_WRONLY | O_CREAT, 0600);
    assert_int_equal(write(fd, "a\0b", 3), 3);
    close(fd);
    assert_null(pgd_read_file_ex(nul, 1024, PGD_READ_FOLLOW, &errnum, &errmsg));
    assert_non_null(strstr(errmsg, "NUL byte"));
    free(errmsg);

    /* only a file that does not exist is ENOENT */
    text = in_dir("absent");
    assert_null(pgd_read_file_ex(text, 1024, PGD_READ_NOFOLLOW, &errnum, &errmsg));
    assert_int_equal(errnum, ENOENT);
    free(errmsg);
    free(text);
    if (geteuid() != 0) {
        assert_int_equal(chmod(plain, 0), 0);
        assert_null(pgd_read_file_ex(plain, 1024, PGD_READ_NOFOLLOW, &errnum, &errmsg));
        assert_int_equal(errnum, EACCES);
        free(errmsg);
    }
    free(fifo);
    free(link);
    free(big);
    free(nul);
    free(plain);
}

static void test_dir_state(void **state)
{
    char *empty = in_dir("empty");
    char *full = in_dir("full");
    char *file = in_dir("full/file");
    char *dangling = in_dir("dangling");
    char *missing = in_dir("missing");
    char *errmsg = NULL;

    (void)state;
    assert_int_equal(mkdir(empty, 0700), 0);
    assert_int_equal(mkdir(full, 0700), 0);
    write_plain(file, "x");
    assert_int_equal(symlink(missing, dangling), 0);
    assert_int_equal(pgd_dir_state_of(empty, &errmsg), PGD_DIR_EMPTY);
    assert_int_equal(pgd_dir_state_of(missing, &errmsg), PGD_DIR_MISSING);
    assert_int_equal(pgd_dir_state_of(full, &errmsg), PGD_DIR_NOT_EMPTY);
    free(errmsg);
    assert_int_equal(pgd_dir_state_of(file, &errmsg), PGD_DIR_NOT_A_DIR);
    free(errmsg);
    assert_int_equal(pgd_dir_state_of(dangling, &errmsg), PGD_DIR_DANGLING);
    assert_non_null(strstr(errmsg, "symbolic link"));
    free(errmsg);
    free(empty);
    free(full);
    free(file);
    free(dangling);
    free(missing);
}

static void test_path_resolve_and_within(void **state)
{
    char *real = in_dir("real");
    char *alias = in_dir("alias");
    char *resolved;
    char *expected;

    (void)state;
    assert_int_equal(mkdir(real, 0700), 0);
    assert_int_equal(symlink(real, alias), 0);
    resolved = pgd_path_resolve(alias);
    assert_string_equal(resolved, real);
    free(resolved);
    /* the part that does not exist yet is appended, . and .. applied */
    expected = pgd_asprintf("%s/./not/yet/../there", alias);
    resolved = pgd_path_resolve(expected);
    free(expected);
    expected = pgd_asprintf("%s/not/there", real);
    assert_string_equal(resolved, expected);
    free(resolved);
    free(expected);
    resolved = pgd_path_resolve("/");
    assert_string_equal(resolved, "/");
    free(resolved);

    assert_true(pgd_path_within(alias, real));
    assert_true(within(pgd_asprintf("%s/state/report.json", alias), real));
    assert_true(within(pgd_asprintf("%s/a/../../real/x", real), real));
    assert_false(within(pgd_asprintf("%s-sibling/x", real), real));
    assert_false(pgd_path_within(dir, real));
    free(real);
    free(alias);
}

/* As execvp finds it: the first executable regular file in PATH, its links resolved. */
static void test_find_program(void **state)
{
    char *first = in_dir("first");
    char *second = in_dir("second");
    char *old_path = pgd_strdup(getenv("PATH"));
    char *path = pgd_asprintf("%s::%s", first, second);
    char *program = pgd_asprintf("%s/prog", second);
    char *link = pgd_asprintf("%s/prog", first);
    char *found;

    (void)state;
    assert_int_equal(mkdir(first, 0700), 0);
    assert_int_equal(mkdir(second, 0700), 0);
    write_plain(program, "#!/bin/sh\n");
    setenv("PATH", path, 1);
    assert_null(pgd_find_program("prog")); /* not executable */
    assert_int_equal(chmod(program, 0700), 0);
    found = pgd_find_program("prog");
    assert_string_equal(found, program);
    free(found);
    assert_int_equal(symlink(program, link), 0);
    found = pgd_find_program("prog");
    assert_string_equal(found, program);
    free(found);
    assert_null(pgd_find_program("first")); /* a directory is no program */
    assert_null(pgd_find_program("second/prog"));
    assert_null(pgd_find_program("missing"));
    unsetenv("PATH");
    assert_null(pgd_find_program("prog"));
    setenv("PATH", old_path, 1);
    free(first);
    free(second);
    free(old_path);
    free(path);
    free(program);
    free(link);
}

static void assert_normalized(const char *path, const char *expected)
{
    char *normalized = pgd_path_normalize(path);

    if (strcmp(normalized, expected) != 0)
        fail_msg("\"%s\" normalised to \"%s\", expected \"%s\"", path, normalized, expected);
    free(normalized);
}

static void test_path_normalize(void **state)
{
    (void)state;
    assert_normalized("/var/lib/pgdrill", "/var/lib/pgdrill");
    assert_normalized("/var/lib/pgdrill/", "/var/lib/pgdrill");
    assert_normalized("//var//lib///pgdrill//", "/var/lib/pgdrill");
    assert_normalized("/var/./lib/pgdrill/.", "/var/lib/pgdrill");
    assert_normalized("/./", "/");
    assert_normalized("/", "/");
    assert_normalized("///", "/");
    /* ".." is kept as written: before it may stand a symbolic link */
    assert_normalized("/srv/link/../state/", "/srv/link/../state");
    assert_normalized("/srv/..", "/srv/..");
    /* relative paths stay relative (--datadir is made absolute by its caller) */
    assert_normalized("data//", "data");
    assert_normalized("./data/./x", "data/x");
    assert_normalized("./", ".");
    assert_normalized("", ".");
    assert_normalized("a.b/.c/..d", "a.b/.c/..d");
}

/* --datadir and --state-dir typed by hand: taken from the working directory, one spelling. */
static void test_path_absolute(void **state)
{
    char cwd[4096];
    char *expected;
    char *absolute;

    (void)state;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    absolute = pgd_path_absolute("/srv//state/");
    assert_string_equal(absolute, "/srv/state");
    free(absolute);
    expected = pgd_asprintf("%s/state", strcmp(cwd, "/") == 0 ? "" : cwd);
    absolute = pgd_path_absolute("./state//");
    assert_string_equal(absolute, expected);
    free(absolute);
    free(expected);
}

static void test_dir_not_private(void **state)
{
    char *why;

    (void)state;
    assert_null(pgd_dir_not_private(S_IFDIR | 0700, 999, 999));
    assert_null(pgd_dir_not_private(S_IFDIR | 0755, 999, 999));
    /* what pgdrill creates inside a Kubernetes emptyDir under fsGroup: setgid, not writable */
    assert_null(pgd_dir_not_private(S_IFDIR | 02700, 999, 999));

    why = pgd_dir_not_private(S_IFDIR | 0777, 999, 999);
    assert_string_equal(why, "can be written by every user (mode 0777)");
    free(why);
    why = pgd_dir_not_private(S_IFDIR | 0770, 999, 999);
    assert_string_equal(why, "can be written by its group (mode 0770)");
    free(why);
    why = pgd_dir_not_private(S_IFDIR | 01777, 999, 999);
    assert_string_equal(why, "can be written by every user (mode 1777; the sticky bit still lets "
                             "others create names in it)");
    free(why);
    /* an emptyDir itself: the kubelet's, 0777 and with fsGroup setgid */
    why = pgd_dir_not_private(S_IFDIR | 02777, 0, 999);
    assert_string_equal(why, "belongs to uid 0, not to uid 999 that runs pgdrill (mode 2777)");
    free(why);
    why = pgd_dir_not_private(S_IFDIR | 0700, 1000, 999);
    assert_string_equal(why, "belongs to uid 1000, not to uid 999 that runs pgdrill (mode 0700)");
    free(why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_write_ignores_planted_links),
        cmocka_unit_test(test_read_refuses_what_is_not_a_regular_text_file),
        cmocka_unit_test(test_dir_state),
        cmocka_unit_test(test_path_resolve_and_within),
        cmocka_unit_test(test_find_program),
        cmocka_unit_test(test_path_normalize),
        cmocka_unit_test(test_path_absolute),
        cmocka_unit_test(test_dir_not_private),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
