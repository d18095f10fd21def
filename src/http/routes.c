/* routes.c: the route table, one row per endpoint (docs/API.md), and the
 * lookup that tells 404 (no such path) from 405 (path exists, other method). */
#include "http_impl.h"

#include <stdio.h>
#include <string.h>

static const struct zt_route routes[] = {
    /* method, path or prefix*, metrics name, kind, handler */
    {"GET", "/", "page", ZT_ROUTE_LIGHT, zt_page_index, NULL},
    {"GET", "/static/*", "static", ZT_ROUTE_LIGHT, zt_page_static, NULL},
    {"GET", "/healthz", "healthz", ZT_ROUTE_LIGHT, zt_api_healthz, NULL},
    {"GET", "/readyz", "readyz", ZT_ROUTE_LIGHT, zt_api_readyz, NULL},
    {"GET", "/metrics", "metrics", ZT_ROUTE_LIGHT, zt_api_metrics, NULL},
    {"GET", "/api/config", "config", ZT_ROUTE_LIGHT, zt_api_config, NULL},
    {"GET", "/api/categories", "categories", ZT_ROUTE_LIGHT, zt_api_categories, NULL},
    {"GET", "/api/products/*", "products", ZT_ROUTE_LIGHT, zt_api_product, NULL},
    {"GET", "/images/*", "images", ZT_ROUTE_LIGHT, zt_api_image, NULL},
    {"GET", "/thumbs/*", "thumbs", ZT_ROUTE_LIGHT, zt_api_thumb, NULL},
    {"GET", "/edges/*", "edge_maps", ZT_ROUTE_LIGHT, zt_api_edges_image, NULL},
    {"GET", "/product/*", "product_page", ZT_ROUTE_LIGHT, zt_page_product, NULL},
    {"POST", "/api/generate", "generate", ZT_ROUTE_HEAVY, NULL, zt_api_generate},
    {"POST", "/api/search", "search", ZT_ROUTE_HEAVY, NULL, zt_api_search},
    {"POST", "/api/edges", "edges", ZT_ROUTE_HEAVY, NULL, zt_api_edges},
};

static int path_match(const char *pattern, const char *path, const char **param)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*') {
        if (strncmp(pattern, path, n - 1) || !path[n - 1]) return 0;
        *param = path + n - 1;
        return 1;
    }
    *param = NULL;
    return !strcmp(pattern, path);
}

const struct zt_route *zt_route_find(const char *method, const char *path, char *allowed,
                                     size_t n, const char **param)
{
    const char *m = strcmp(method, "HEAD") ? method : "GET";
    if (n) allowed[0] = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const char *p;
        if (!path_match(routes[i].pattern, path, &p)) continue;
        if (!strcmp(routes[i].method, m)) {
            *param = p;
            return &routes[i];
        }
        if (n && !strstr(allowed, routes[i].method)) {
            size_t used = strlen(allowed);
            snprintf(allowed + used, n - used, "%s%s", used ? ", " : "", routes[i].method);
            if (!strcmp(routes[i].method, "GET") && !strstr(allowed, "HEAD")) {
                used = strlen(allowed);
                snprintf(allowed + used, n - used, ", HEAD");
            }
        }
    }
    *param = NULL;
    return NULL;
}
