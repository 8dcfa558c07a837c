/* Key files: who may read them, and making new ones (keyfile.h). */
#include "cdranon/keyfile.h"
#include "cdranon/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <acl/libacl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

static int refuse_mode(const char *path, const struct stat *st,
                       const char *what, char *errstr, size_t errstr_size)
{
        cdr_errf(errstr, errstr_size,
                 "%s: %s mode %04o gives access to group or others; chmod "
                 "600 it",
                 path, what, (unsigned)(st->st_mode & 07777));
        return CDR_ERR_PERM;
}

/* rwx of an ACL entry as mode bits. */
static unsigned entry_perm(acl_entry_t entry)
{
        acl_permset_t set;

        if (acl_get_permset(entry, &set) != 0)
                return 7;
        return (acl_get_perm(set, ACL_READ) == 1 ? 4 : 0) |
               (acl_get_perm(set, ACL_WRITE) == 1 ? 2 : 0) |
               (acl_get_perm(set, ACL_EXECUTE) == 1 ? 1 : 0);
}

/* The ACL of a file whose group bits are set (they are then its mask):
 * no entry but the owner's and the effective user's may grant access.
 * A file without an extended ACL (or on a file system without ACLs) has
 * real group bits, and is refused for them. */
static int check_acl(int fd, const char *path, const struct stat *st,
                     const char *what, char *errstr, size_t errstr_size)
{
        acl_entry_t entry;
        acl_tag_t tag;
        unsigned mask = 7, perm;
        int extended, which, rc = CDR_OK;
        acl_t acl;

        extended = acl_extended_fd(fd);
        if (extended == 0 ||
            (extended < 0 &&
             (errno == ENOTSUP || errno == EOPNOTSUPP || errno == ENODATA)))
                return refuse_mode(path, st, what, errstr, errstr_size);
        acl = extended > 0 ? acl_get_fd(fd) : NULL;
        if (acl == NULL) {
                cdr_errf(errstr, errstr_size, "%s: cannot read its ACL: %s",
                         path, strerror(errno));
                return CDR_ERR_IO;
        }
        for (which = ACL_FIRST_ENTRY; acl_get_entry(acl, which, &entry) == 1;
             which = ACL_NEXT_ENTRY)
                if (acl_get_tag_type(entry, &tag) == 0 && tag == ACL_MASK)
                        mask = entry_perm(entry);
        for (which = ACL_FIRST_ENTRY;
             rc == CDR_OK && acl_get_entry(acl, which, &entry) == 1;
             which = ACL_NEXT_ENTRY) {
                uid_t *uid;

                if (acl_get_tag_type(entry, &tag) != 0)
                        tag = ACL_UNDEFINED_TAG;
                perm = entry_perm(entry);
                switch (tag) {
                case ACL_USER_OBJ:
                case ACL_MASK:
                        break;
                case ACL_USER:
                        uid = acl_get_qualifier(entry);
                        if (uid == NULL) {
                                cdr_errf(errstr, errstr_size,
                                         "%s: cannot read its ACL: %s", path,
                                         strerror(errno));
                                rc = CDR_ERR_IO;
                        } else if (*uid != geteuid() && (perm & mask) != 0) {
                                cdr_errf(errstr, errstr_size,
                                         "%s: %s ACL gives uid %lu access; "
                                         "remove the entry (setfacl -x)",
                                         path, what, (unsigned long)*uid);
                                rc = CDR_ERR_PERM;
                        }
                        acl_free(uid);
                        break;
                case ACL_GROUP_OBJ:
                case ACL_GROUP:
                        if ((perm & mask) != 0) {
                                cdr_errf(errstr, errstr_size,
                                         "%s: %s ACL gives a group access; "
                                         "remove the entry (setfacl -x) or "
                                         "chmod g-rwx it",
                                         path, what);
                                rc = CDR_ERR_PERM;
                        }
                        break;
                case ACL_OTHER:
                        if (perm != 0)
                                rc = refuse_mode(path, st, what, errstr,
                                                 errstr_size);
                        break;
                default:
                        cdr_errf(errstr, errstr_size,
                                 "%s: cannot read its ACL: entry tag %d", path,
                                 (int)tag);
                        rc = CDR_ERR_IO;
                        break;
                }
        }
        acl_free(acl);
        return rc;
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
