/* Key files: owner, mode bits and POSIX ACLs (keyfile.h). */
#include "cdranon/keyfile.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/posix_acl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define NO_ID 0xFFFFFFFFu

struct entry {
        unsigned tag, perm;
        uint32_t id;
};

static char path[64];

static void make_file(mode_t mode)
{
        int fd;

        snprintf(path, sizeof(path), "/tmp/cdranon-keyfile.XXXXXX");
        fd = mkstemp(path);
        cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
        cr_assert_eq(write(fd, "k1 00\n", 6), 6);
        close(fd);
        cr_assert_eq(chmod(path, mode), 0);
}

static void fini(void)
{
        if (path[0] != '\0')
                unlink(path);
        path[0] = '\0';
}

/* Writes the ACL as the kernel's xattr (linux/posix_acl_xattr.h:
 * a little-endian version 2, then tag, perm, id per entry). */
static void set_acl(const struct entry *e, size_t n)
{
        unsigned char buf[4 + 8 * 16], *p = buf + 4;
        size_t i;

        cr_assert_leq(n, 16);
        memcpy(buf, "\x02\x00\x00\x00", 4);
        for (i = 0; i < n; i++, p += 8) {
                p[0] = (unsigned char)e[i].tag;
                p[1] = (unsigned char)(e[i].tag >> 8);
                p[2] = (unsigned char)e[i].perm;
                p[3] = 0;
                p[4] = (unsigned char)e[i].id;
                p[5] = (unsigned char)(e[i].id >> 8);
                p[6] = (unsigned char)(e[i].id >> 16);
                p[7] = (unsigned char)(e[i].id >> 24);
        }
        cr_assert_eq(
            setxattr(path, "system.posix_acl_access", buf, 4 + 8 * n, 0), 0,
            "setxattr (the file system must support ACLs): %s",
            strerror(errno));
}

static int check(char *errstr, size_t size)
{
        struct stat st;
        int fd, rc;

        fd = open(path, O_RDONLY);
        cr_assert_geq(fd, 0);
        cr_assert_eq(fstat(fd, &st), 0);
        rc = cdr_keyfile_check(fd, path, &st, "key file", errstr, size);
        close(fd);
        return rc;
}

Test(keyfile, mode_bits, .fini = fini)
{
        static const struct {
                mode_t mode;
                int want;
        } cases[] = {
            {0400, CDR_OK},       {0600, CDR_OK},       {0700, CDR_OK},
            {0640, CDR_ERR_PERM}, {0620, CDR_ERR_PERM}, {0610, CDR_ERR_PERM},
            {0604, CDR_ERR_PERM}, {0602, CDR_ERR_PERM}, {0601, CDR_ERR_PERM},
            {0644, CDR_ERR_PERM},
        };
        char errstr[256], want[300];
        size_t i;

        make_file(0600);
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cr_assert_eq(chmod(path, cases[i].mode), 0);
                errstr[0] = '\0';
                cr_expect_eq(check(errstr, sizeof(errstr)), cases[i].want,
                             "mode %04o: %s", (unsigned)cases[i].mode, errstr);
                if (cases[i].want == CDR_OK)
                        continue;
                snprintf(want, sizeof(want),
                         "%s: key file mode %04o gives access to group or "
                         "others; chmod 600 it",
                         path, (unsigned)cases[i].mode);
                cr_expect_str_eq(errstr, want);
        }
}

Test(keyfile, not_a_regular_file)
{
        char errstr[256];
        struct stat st;
        int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

        cr_assert_geq(fd, 0);
        cr_assert_eq(fstat(fd, &st), 0);
        cr_expect_eq(cdr_keyfile_check(fd, "/tmp", &st, "key file", errstr,
                                       sizeof(errstr)),
                     CDR_ERR_IO);
        cr_expect_str_eq(errstr, "/tmp: not a regular file");
        close(fd);
}

/* The shape systemd gives a credential on kernels 6.3 and later. */
Test(keyfile, acl_for_this_user_accepted, .fini = fini)
{
        const struct entry acl[] = {
            {ACL_USER_OBJ, 4, NO_ID},  {ACL_USER, 4, (uint32_t)geteuid()},
            {ACL_GROUP_OBJ, 0, NO_ID}, {ACL_MASK, 4, NO_ID},
            {ACL_OTHER, 0, NO_ID},
        };
        char errstr[256] = "";
        struct stat st;

        make_file(0400);
        set_acl(acl, 5);
        cr_assert_eq(stat(path, &st), 0);
        cr_assert_eq(st.st_mode & 0777, 0440, "the mask shows as group bits");
        cr_expect_eq(check(errstr, sizeof(errstr)), CDR_OK, "%s", errstr);
}

Test(keyfile, acl_refusals, .fini = fini)
{
        static const struct {
                const char *what;
                struct entry acl[6];
                size_t n;
                const char *message; /* after "PATH: " */
        } cases[] = {
            {"another user",
             {{ACL_USER_OBJ, 6, NO_ID},
              {ACL_USER, 4, 4242},
              {ACL_GROUP_OBJ, 0, NO_ID},
              {ACL_MASK, 4, NO_ID},
              {ACL_OTHER, 0, NO_ID}},
             5,
             "key file ACL gives uid 4242 access; remove the entry "
             "(setfacl -x)"},
            {"the owning group only",
             {{ACL_USER_OBJ, 6, NO_ID},
              {ACL_GROUP_OBJ, 4, NO_ID},
              {ACL_GROUP, 0, 4243},
              {ACL_MASK, 4, NO_ID},
              {ACL_OTHER, 0, NO_ID}},
             5,
             "key file ACL gives a group access; remove the entry "
             "(setfacl -x) or chmod g-rwx it"},
            {"a named group",
             {{ACL_USER_OBJ, 6, NO_ID},
              {ACL_GROUP_OBJ, 0, NO_ID},
              {ACL_GROUP, 4, 4243},
              {ACL_MASK, 4, NO_ID},
              {ACL_OTHER, 0, NO_ID}},
             5,
             "key file ACL gives a group access; remove the entry "
             "(setfacl -x) or chmod g-rwx it"},
        };
        char errstr[256], want[300];
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                make_file(0600);
                set_acl(cases[i].acl, cases[i].n);
                errstr[0] = '\0';
                cr_expect_eq(check(errstr, sizeof(errstr)), CDR_ERR_PERM,
                             "%s: %s", cases[i].what, errstr);
                snprintf(want, sizeof(want), "%s: %s", path, cases[i].message);
                cr_expect_str_eq(errstr, want, "%s", cases[i].what);
                fini();
        }
}

/* A mask of nothing: named entries grant nothing, and the group bits
 * show 0, as for a 0600 file. */
Test(keyfile, acl_masked_out_accepted, .fini = fini)
{
        const struct entry acl[] = {
            {ACL_USER_OBJ, 6, NO_ID},  {ACL_USER, 4, 4242},
            {ACL_GROUP_OBJ, 4, NO_ID}, {ACL_MASK, 0, NO_ID},
            {ACL_OTHER, 0, NO_ID},
        };
        char errstr[256] = "";

        make_file(0600);
        set_acl(acl, 5);
        cr_expect_eq(check(errstr, sizeof(errstr)), CDR_OK, "%s", errstr);
}
