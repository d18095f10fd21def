/* fs.c: the file-system helpers: whole-file reads, atomic writes, mkdir -p,
 * folder tests and sorted listings. */
#include "fs.h"
#include "zt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int zt_file_read(const char *path, size_t max_bytes, struct zt_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        zt_seterr("%s: %s", path, strerror(errno));
        return errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO;
    }
    int rc = ZT_OK;
    uint8_t chunk[65536];
    size_t n, total = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        total += n;
        if (max_bytes && total > max_bytes) {
            zt_seterr("%s: larger than the %zu-byte limit", path, max_bytes);
            rc = ZT_ETOOBIG;
            goto out;
        }
        if ((rc = zt_buf_append(b, chunk, n))) goto out;
    }
    if (ferror(f)) {
        zt_seterr("%s: read error: %s", path, strerror(errno));
        rc = ZT_EIO;
    }
out:
    fclose(f);
    return rc;
}

int zt_file_write_atomic_parts(const char *path, const struct zt_part *parts, int nparts)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        zt_seterr("%s: path too long", path);
        return ZT_EINVAL;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        zt_seterr("%s: %s", tmp, strerror(errno));
        return ZT_EIO;
    }
    for (int k = 0; k < nparts; k++) {
        const uint8_t *p = parts[k].data;
        size_t left = parts[k].len;
        while (left) {
            ssize_t w = write(fd, p, left);
            if (w < 0) {
                if (errno == EINTR) continue;
                zt_seterr("%s: write: %s", tmp, strerror(errno));
                close(fd);
                unlink(tmp);
                return ZT_EIO;
            }
            p += w;
            left -= (size_t)w;
        }
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        zt_seterr("%s: %s", tmp, strerror(errno));
        unlink(tmp);
        return ZT_EIO;
    }
    if (rename(tmp, path) != 0) {
        zt_seterr("%s: rename: %s", path, strerror(errno));
        unlink(tmp);
        return ZT_EIO;
    }
    return ZT_OK;
}

int zt_file_write_atomic(const char *path, const void *data, size_t len)
{
    const struct zt_part one = {data, len};
    return zt_file_write_atomic_parts(path, &one, 1);
}

int zt_mkdirs(const char *path)
{
    char p[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof p) {
        zt_seterr("bad directory path '%s'", path);
        return ZT_EINVAL;
    }
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == 0) {
            char c = p[i];
            p[i] = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                zt_seterr("mkdir %s: %s", p, strerror(errno));
                return ZT_EIO;
            }
            p[i] = c;
        }
    }
    return ZT_OK;
}

int zt_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int zt_path_join(char *out, size_t n, const char *a, const char *b)
{
    size_t la = strlen(a);
    int slash = la > 0 && a[la - 1] != '/';
    int w = snprintf(out, n, "%s%s%s", a, slash ? "/" : "", b);
    if (w < 0 || (size_t)w >= n) {
        zt_seterr("path too long: %s/%s", a, b);
        return ZT_ETOOBIG;
    }
    return ZT_OK;
}

int zt_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int zt_list_dir(const char *path, char ***names, int *n)
{
    *names = NULL;
    *n = 0;
    DIR *dir = opendir(path);
    if (!dir) {
        int err = errno;
        zt_seterr("%s: %s", path, strerror(err));
        return err == ENOENT || err == ENOTDIR ? ZT_ENOTFOUND : ZT_EIO;
    }
    char **v = NULL;
    int cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.') continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) goto oom;
            v = nv;
        }
        if (!(v[cnt] = strdup(e->d_name))) goto oom;
        cnt++;
    }
    closedir(dir);
    if (cnt) qsort(v, (size_t)cnt, sizeof *v, cmp_name);
    *names = v;
    *n = cnt;
    return ZT_OK;
oom:
    closedir(dir);
    zt_names_free(v, cnt);
    zt_seterr("out of memory listing %s", path);
    return ZT_ENOMEM;
}

void zt_names_free(char **names, int n)
{
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}
