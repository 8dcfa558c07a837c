/* Key files: who may read them (keyfile.h). */
#include "cdranon/keyfile.h"

#include <errno.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#define ACL_XATTR   "system.posix_acl_access"
#define ACL_MAX     4096 /* bytes: 511 entries, far beyond any real ACL */
#define ENTRY_SIZE  8    /* e_tag (2), e_perm (2), e_id (4), little-endian */
#define HEADER_SIZE 4    /* a_version (4) */

static uint32_t le32(const unsigned char *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p)
{
        return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static int refuse_mode(const char *path, const struct stat *st,
                       const char *what, char *errstr, size_t errstr_size)
{
        cdr_errf(errstr, errstr_size,
                 "%s: %s mode %04o gives access to group or others; chmod "
                 "600 it",
                 path, what, (unsigned)(st->st_mode & 07777));
        return CDR_ERR_PERM;
}

/* The ACL of a file whose group bits are set (they are then its mask):
 * no entry but the owner's and the effective user's may grant access. */
static int check_acl(int fd, const char *path, const struct stat *st,
                     const char *what, char *errstr, size_t errstr_size)
{
        unsigned char acl[ACL_MAX];
        unsigned mask = 7, perm, tag;
        ssize_t n;
        size_t i, count;
        uint32_t id;

        n = fgetxattr(fd, ACL_XATTR, acl, sizeof(acl));
        if (n < 0 && (errno == ENODATA || errno == ENOTSUP))
                return refuse_mode(path, st, what, errstr, errstr_size);
        if (n < 0 || n < HEADER_SIZE || (n - HEADER_SIZE) % ENTRY_SIZE != 0 ||
            le32(acl) != POSIX_ACL_XATTR_VERSION) {
                cdr_errf(errstr, errstr_size, "%s: cannot read its ACL: %s",
                         path, n < 0 ? strerror(errno) : "malformed");
                return CDR_ERR_IO;
        }
        count = (size_t)(n - HEADER_SIZE) / ENTRY_SIZE;
        for (i = 0; i < count; i++)
                if (le16(acl + HEADER_SIZE + i * ENTRY_SIZE) == ACL_MASK)
                        mask = le16(acl + HEADER_SIZE + i * ENTRY_SIZE + 2);
        for (i = 0; i < count; i++) {
                const unsigned char *e = acl + HEADER_SIZE + i * ENTRY_SIZE;

                tag = le16(e);
                perm = le16(e + 2) & 7;
                id = le32(e + 4);
                switch (tag) {
                case ACL_USER_OBJ:
                case ACL_MASK:
                        break;
                case ACL_USER:
                        if (id != (uint32_t)geteuid() && (perm & mask) != 0) {
                                cdr_errf(errstr, errstr_size,
                                         "%s: %s ACL gives uid %lu access; "
                                         "remove the entry (setfacl -x)",
                                         path, what, (unsigned long)id);
                                return CDR_ERR_PERM;
                        }
                        break;
                case ACL_GROUP_OBJ:
                case ACL_GROUP:
                        if ((perm & mask) != 0) {
                                cdr_errf(errstr, errstr_size,
                                         "%s: %s ACL gives a group access; "
                                         "remove the entry (setfacl -x) or "
                                         "chmod g-rwx it",
                                         path, what);
                                return CDR_ERR_PERM;
                        }
                        break;
                case ACL_OTHER:
                        if (perm != 0)
                                return refuse_mode(path, st, what, errstr,
                                                   errstr_size);
                        break;
                default:
                        cdr_errf(errstr, errstr_size,
                                 "%s: cannot read its ACL: entry tag %u", path,
                                 tag);
                        return CDR_ERR_IO;
                }
        }
        return CDR_OK;
}

int cdr_keyfile_check(int fd, const char *path, const struct stat *st,
                      const char *what, char *errstr, size_t errstr_size)
{
        if (!S_ISREG(st->st_mode)) {
                cdr_errf(errstr, errstr_size, "%s: not a regular file", path);
                return CDR_ERR_IO;
        }
        /* Someone else's file could have been swapped in, or read. */
        if (st->st_uid != geteuid() && st->st_uid != 0) {
                cdr_errf(errstr, errstr_size,
                         "%s: %s owned by uid %lu, not by this user (uid %lu) "
                         "or root",
                         path, what, (unsigned long)st->st_uid,
                         (unsigned long)geteuid());
                return CDR_ERR_PERM;
        }
        if (st->st_mode & S_IRWXO)
                return refuse_mode(path, st, what, errstr, errstr_size);
        if (st->st_mode & S_IRWXG)
                return check_acl(fd, path, st, what, errstr, errstr_size);
        return CDR_OK;
}
