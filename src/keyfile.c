/* Key files: who may read them, and making new ones (keyfile.h). */
#include "cdranon/keyfile.h"
#include "cdranon/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

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

void cdr_keyfile_sync_dir(const char *path)
{
        char *copy = strdup(path);
        int dfd;

        if (copy == NULL)
                return;
        dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                (void)fsync(dfd);
                close(dfd);
        }
        free(copy);
}

/* Creates `path` (which must not exist) with `mode` whatever the umask,
 * writes bio's contents and syncs.  On failure the file is removed. */
static int write_new_file(const char *path, mode_t mode, BIO *bio, char *errstr,
                          size_t errstr_size)
{
        char *data;
        long n = BIO_get_mem_data(bio, &data);
        int fd;

        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0) {
                cdr_errf(errstr, errstr_size, "%s: %s", path,
                         errno == EEXIST ? "already exists; not overwriting "
                                           "a key file"
                                         : strerror(errno));
                return CDR_ERR_IO;
        }
        if (fchmod(fd, mode) != 0 || n <= 0 ||
            cdr_write_all(fd, data, (size_t)n) != 0 || fsync(fd) != 0) {
                cdr_errf(errstr, errstr_size, "%s: cannot write: %s", path,
                         strerror(errno));
                close(fd);
                unlink(path);
                return CDR_ERR_IO;
        }
        if (close(fd) != 0) {
                cdr_errf(errstr, errstr_size, "%s: cannot write: %s", path,
                         strerror(errno));
                unlink(path);
                return CDR_ERR_IO;
        }
        return CDR_OK;
}

int cdr_custodian_keygen(const char *private_path, const char *public_path,
                         char *errstr, size_t errstr_size)
{
        EVP_PKEY *pkey = NULL;
        BIO *priv = NULL, *pub = NULL;
        int rc = CDR_ERR_CRYPTO;

        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        priv = BIO_new(BIO_s_secmem()); /* wiped when freed */
        pub = BIO_new(BIO_s_mem());
        if (pkey == NULL || priv == NULL || pub == NULL ||
            PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) !=
                1 ||
            PEM_write_bio_PUBKEY(pub, pkey) != 1) {
                cdr_errf(errstr, errstr_size, "custodian key generation: %s",
                         cdr_strerror(CDR_ERR_CRYPTO));
                goto out;
        }
        rc = write_new_file(private_path, 0600, priv, errstr, errstr_size);
        if (rc != CDR_OK)
                goto out;
        rc = write_new_file(public_path, 0644, pub, errstr, errstr_size);
        if (rc != CDR_OK)
                unlink(private_path);
out:
        BIO_free(pub);
        BIO_free(priv);
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return rc;
}
