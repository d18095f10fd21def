/* assets.c: the page's files, embedded at build time from web/ and
 * config/ (scripts/embed_assets.sh -> build/<mode>/gen/assets.c): lookup by
 * exact name (nothing is read from disk, so no path can escape) and
 * content types by extension. */
#include "http_impl.h"

#include <string.h>

extern const struct zt_asset zt_assets_table[]; /* generated; ends with a NULL name */

const struct zt_asset *zt_asset_find(const char *name)
{
    for (const struct zt_asset *a = zt_assets_table; a->name; a++)
        if (!strcmp(a->name, name)) return a;
    return NULL;
}

const char *zt_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},    {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".json", "application/json"},
        {".ico", "image/x-icon"},               {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}
