/* fs.h: the file-system helpers: whole-file reads into a buffer, atomic
 * writes, mkdir -p, paths, folder tests and sorted listings. */
#ifndef ZT_FS_H
#define ZT_FS_H

#include <stddef.h>

#include "buf.h"

/* Reads a whole file into b (appending). max_bytes 0 = unlimited.
 * ZT_ENOTFOUND if missing, ZT_ETOOBIG past max_bytes, ZT_EIO otherwise. */
int zt_file_read(const char *path, size_t max_bytes, struct zt_buf *b);
/* Writes data to path atomically: temp file in the same folder, fsync,
 * rename. A crash leaves either the old file or the new one. */
int zt_file_write_atomic(const char *path, const void *data, size_t len);
/* The same for a file made of several pieces written in order (a header and
 * arrays), without gathering them into one buffer first. */
struct zt_part {
    const void *data;
    size_t len;
};
int zt_file_write_atomic_parts(const char *path, const struct zt_part *parts, int nparts);
/* mkdir -p; ok if it exists. */
int zt_mkdirs(const char *path);
int zt_file_exists(const char *path);
/* Joins a and b with one '/' into out (size n). ZT_ETOOBIG if it won't fit. */
int zt_path_join(char *out, size_t n, const char *a, const char *b);
/* 1 when path is a folder (following links). */
int zt_is_dir(const char *path);
/* The entry names of folder path, sorted, without those starting with '.'.
 * *names: caller frees with zt_names_free. ZT_ENOTFOUND (missing or not a
 * folder), ZT_EIO, ZT_ENOMEM; nothing is returned on failure. */
int zt_list_dir(const char *path, char ***names, int *n);
void zt_names_free(char **names, int n); /* NULL-safe */

#endif
