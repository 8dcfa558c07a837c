/*
 * Key files: the HMAC key ring and the custodian's private key, who may
 * read them, and the making of new ones.
 *
 * A key file must be a regular file owned by the effective user or by
 * root, and no one else may read, write or execute it.  "No one else"
 * comes from the permission bits or, when the file has a POSIX access
 * ACL, from the ACL: every entry but the owner's and a named entry for
 * the effective user must grant nothing once the ACL mask is applied.
 * That is how systemd on kernels 6.3 and later hands credentials to a
 * service user (owner root, mode 0400, a `user:SERVICE:r` entry and a
 * mask of r, which `ls` shows as 0440).  The ACL is read with libacl.
 */
#ifndef CDRANON_KEYFILE_H
#define CDRANON_KEYFILE_H

#include "cdranon/common.h"

#include <sys/stat.h>

/* Checks the open key file `fd` at `path`, whose fstat is `st`.  `what`
 * names it in messages ("key file", "private key file").  Returns 0;
 * CDR_ERR_IO (not a regular file, or its ACL cannot be read) or
 * CDR_ERR_PERM (wrong owner, or someone else has access), with a
 * message naming the path and the cause, never the contents. */
int cdr_keyfile_check(int fd, const char *path, const struct stat *st,
                      const char *what, char *errstr,
                      size_t errstr_size) CDR_MUST_CHECK;

/* Makes a new directory entry (a key file just created and synced)
 * durable by syncing its folder.  Failure is not reported: the key
 * itself is already on disk. */
void cdr_keyfile_sync_dir(const char *path);

/* Creates an X25519 key pair: the private key as PEM PKCS#8 ("BEGIN
 * PRIVATE KEY", the shape `openssl genpkey -algorithm X25519` writes),
 * mode 0600, and the public key as PEM SubjectPublicKeyInfo ("BEGIN
 * PUBLIC KEY", as `openssl pkey -pubout` writes).  Neither file may exist
 * already; on failure neither is left behind.  Returns 0, CDR_ERR_IO (a
 * file exists or cannot be written) or CDR_ERR_CRYPTO. */
int cdr_custodian_keygen(const char *private_path, const char *public_path,
                         char *errstr, size_t errstr_size) CDR_MUST_CHECK;

#endif
