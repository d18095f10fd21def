/* test_http.c: the server's pure parts: JSON and multipart forms (fields,
 * data URLs, malformed bodies), base64, HTML escaping, URL escaping, the
 * route table (404 vs 405 with Allow), the one error body and its status
 * mapping, metrics rendering, and the embedded assets. The whole server
 * against a real process: tests/http_test.sh. */
#include "test.h"
#include "../src/http/http_impl.h"
#include "../src/data/drawing.h"
#include "../src/img/hints.h"
#include "../src/nn/sample.h"
#include "../src/util/zt.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *ct, const char *body, struct zt_form *f)
{
    return zt_form_parse(ct, (const uint8_t *)body, strlen(body), f);
}

TEST(http, json_form)
{
    struct zt_form f;
    CHECK_OK(parse("application/json; charset=utf-8",
                   "{\"sketch\":\"data:x\",\"k\":12,\"p\":1.5,\"b\":true,\"n\":null}", &f));
    CHECK_EQ_INT(f.n, 4); /* null counts as absent */
    CHECK(!strcmp(zt_form_text(&f, "sketch", NULL), "data:x"));
    long k = 0;
    CHECK_OK(zt_form_int(&f, "k", 24, 1, 100, &k));
    CHECK_EQ_INT(k, 12);
    CHECK_OK(zt_form_int(&f, "missing", 24, 1, 100, &k));
    CHECK_EQ_INT(k, 24);
    CHECK_RC(zt_form_int(&f, "k", 24, 1, 10, &k), ZT_EINVAL);
    CHECK_RC(zt_form_int(&f, "p", 24, 1, 10, &k), ZT_EINVAL);
    CHECK(!strcmp(zt_form_text(&f, "b", NULL), "1"));
    CHECK(zt_form_get(&f, "n") == NULL);
    zt_form_deinit(&f);
}

TEST(http, json_form_rejects)
{
    struct zt_form f;
    CHECK_RC(parse("application/json", "{\"a\":", &f), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "malformed JSON") != NULL);
    CHECK_RC(parse("application/json", "[1]", &f), ZT_EINVAL);
    CHECK_RC(parse("application/json", "{\"a\":[1]}", &f), ZT_EINVAL);
    CHECK_RC(parse("application/json", "{\"a\":{}}", &f), ZT_EINVAL);
    CHECK_RC(parse("application/json", "{\"a\":1,\"a\":2}", &f), ZT_EINVAL);
    CHECK_RC(parse("text/plain", "{}", &f), ZT_EINVAL);
    CHECK_RC(parse(NULL, "{}", &f), ZT_EINVAL);
    CHECK_EQ_INT(f.n, 0);
    /* 33 fields: over the cap */
    char big[2048] = "{";
    for (int i = 0; i < 33; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s\"f%d\":1", i ? "," : "", i);
    strcat(big, "}");
    CHECK_RC(parse("application/json", big, &f), ZT_EINVAL);
    /* NUL inside a JSON string is refused (jansson without JSON_ALLOW_NUL) */
    CHECK_RC(parse("application/json", "{\"a\":\"x\\u0000y\"}", &f), ZT_EINVAL);
    /* in a multipart part it makes the field binary, never text */
    static const char mp[] = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\0y\r\n--B--";
    CHECK_OK(zt_form_parse("multipart/form-data; boundary=B", (const uint8_t *)mp, sizeof mp - 1, &f));
    CHECK(zt_form_get(&f, "a") && zt_form_get(&f, "a")->len == 3);
    CHECK(zt_form_text(&f, "a", NULL) == NULL);
    zt_form_deinit(&f);
}

TEST(http, multipart_form)
{
    static const char body[] = "preamble\r\n--B0undary\r\n"
                               "Content-Disposition: form-data; name=\"category\"\r\n\r\n"
                               "skirt\r\n--B0undary\r\n"
                               "Content-Disposition: form-data; name=\"sketch\"; filename=\"a.png\"\r\n"
                               "Content-Type: image/png\r\n\r\n"
                               "\x89PNG\r\n--not-the-boundary\r\nbytes\r\n--B0undary--\r\nepilogue";
    struct zt_form f;
    CHECK_OK(zt_form_parse("multipart/form-data; boundary=\"B0undary\"", (const uint8_t *)body,
                           sizeof body - 1, &f));
    CHECK_EQ_INT(f.n, 2);
    CHECK(!strcmp(zt_form_text(&f, "category", NULL), "skirt"));
    const struct zt_field *s = zt_form_get(&f, "sketch");
    CHECK(s && !s->is_string);
    CHECK(s && s->len == strlen("\x89PNG\r\n--not-the-boundary\r\nbytes") &&
          !memcmp(s->data, "\x89PNG\r\n--not-the-boundary\r\nbytes", s->len));
    zt_form_deinit(&f);
}

TEST(http, multipart_rejects)
{
    struct zt_form e;
    /* an empty body comes as NULL, 0 (issue 14: UB under the sanitizers) */
    CHECK_RC(zt_form_parse("multipart/form-data; boundary=B", NULL, 0, &e), ZT_EINVAL);
    CHECK_RC(zt_form_parse("application/json", NULL, 0, &e), ZT_EINVAL);
    struct zt_form f;
    const char *ct = "multipart/form-data; boundary=XyZ";
    CHECK_RC(parse("multipart/form-data", "--XyZ--", &f), ZT_EINVAL);          /* no boundary */
    CHECK_RC(parse(ct, "", &f), ZT_EINVAL);                                    /* empty */
    CHECK_RC(parse(ct, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc", &f),
             ZT_EINVAL);                                                      /* unterminated */
    CHECK_RC(parse(ct, "--XyZ\r\nContent-Type: x\r\n\r\nabc\r\n--XyZ--", &f), ZT_EINVAL); /* no name */
    CHECK_RC(parse(ct, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"", &f), ZT_EINVAL);
    CHECK_RC(parse(ct, "--XyZjunk", &f), ZT_EINVAL);
    CHECK_RC(parse(ct, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
                       "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--XyZ--", &f),
             ZT_EINVAL); /* duplicate field */
    /* an empty form is fine */
    CHECK_OK(parse(ct, "--XyZ--\r\n", &f));
    CHECK_EQ_INT(f.n, 0);
    zt_form_deinit(&f);
}

TEST(http, base64)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        struct zt_buf e = {0}, d = {0};
        CHECK_OK(zt_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), &e));
        CHECK_EQ_INT(e.len, strlen(enc[i]));
        CHECK(e.len == 0 || !memcmp(e.data, enc[i], e.len));
        CHECK_OK(zt_base64_decode(enc[i], strlen(enc[i]), &d));
        CHECK(d.len == strlen(plain[i]) && (d.len == 0 || !memcmp(d.data, plain[i], d.len)));
        zt_buf_deinit(&e);
        zt_buf_deinit(&d);
    }
    struct zt_buf d = {0};
    CHECK_RC(zt_base64_decode("Zm9v!", 5, &d), ZT_EINVAL);
    CHECK_RC(zt_base64_decode("Zg=a", 4, &d), ZT_EINVAL); /* data after padding */
    CHECK_RC(zt_base64_decode("Z", 1, &d), ZT_EINVAL);    /* a lone 6 bits */
    zt_buf_deinit(&d);
    CHECK_OK(zt_base64_decode("Zm9v\nYmFy", 9, &d)); /* line breaks are skipped */
    CHECK(d.len == 6 && !memcmp(d.data, "foobar", 6));
    zt_buf_deinit(&d);
}

TEST(http, form_image)
{
    /* a 2x1 RGB PNG as a data URL and as raw bytes */
    struct zt_image im = {0};
    CHECK_OK(zt_image_new(&im, 2, 1, 3));
    im.px[0] = 255;
    struct zt_buf png = {0}, url = {0}, json = {0};
    CHECK_OK(zt_image_encode_png(&im, &png));
    CHECK_OK(zt_data_url("image/png", png.data, png.len, &url));
    CHECK_OK(zt_buf_printf(&json, "{\"a\":\"%s\",\"b\":\"data:text/plain;base64,QUFB\","
                                  "\"c\":\"data:image/png,raw\",\"d\":\"hello\"}",
                           (const char *)url.data));
    struct zt_form f;
    CHECK_OK(zt_form_parse("application/json", json.data, json.len, &f));
    const struct zt_image_limits lim = {16, 16, 256}, tiny = {1, 1, 1};
    struct zt_image out = {0};
    CHECK_OK(zt_form_image(&f, "a", 0, &lim, &out));
    CHECK(out.w == 2 && out.h == 1 && out.c == 3 && out.px[0] == 255);
    zt_image_free(&out);
    CHECK_RC(zt_form_image(&f, "a", 0, &tiny, &out), ZT_ETOOBIG);
    CHECK_RC(zt_form_image(&f, "b", 0, &lim, &out), ZT_EINVAL);
    CHECK_RC(zt_form_image(&f, "c", 0, &lim, &out), ZT_EINVAL);
    CHECK_RC(zt_form_image(&f, "d", 0, &lim, &out), ZT_EINVAL);
    CHECK_RC(zt_form_image(&f, "nope", 0, &lim, &out), ZT_ENOTFOUND);
    CHECK(out.px == NULL);
    zt_form_deinit(&f);
    zt_image_free(&im);
    zt_buf_deinit(&png);
    zt_buf_deinit(&url);
    zt_buf_deinit(&json);
}

/* A layer as the page sends it: a 512-px canvas's PNG as a data URL. */
static int layer_url(const struct zt_image *im, struct zt_buf *url)
{
    struct zt_buf png = {0};
    int rc = zt_image_encode_png(im, &png);
    if (!rc) rc = zt_data_url("image/png", png.data, png.len, url);
    zt_buf_deinit(&png);
    return rc;
}

/* Paints a disc of colour rgb into an RGBA canvas, with the canvas's own
 * anti-aliasing: rim pixels keep the colour at a lower alpha. */
static void dab(struct zt_image *im, int cx, int cy, int r, const uint8_t rgb[3])
{
    for (int y = cy - r - 1; y <= cy + r + 1; y++)
        for (int x = cx - r - 1; x <= cx + r + 1; x++) {
            double d = sqrt((double)(x - cx) * (x - cx) + (double)(y - cy) * (y - cy));
            int a = d <= r - 0.5 ? 255 : d <= r + 0.5 ? 96 : 0;
            uint8_t *p = im->px + 4 * ((size_t)y * im->w + x);
            if (a > p[3]) memcpy(p, rgb, 3), p[3] = (uint8_t)a;
        }
}

/* The hint encoding end to end, as the page sends it: an outline layer and
 * an RGBA colour layer (512 px, anti-aliased dabs) -> /api/generate's planes
 * -> the model's input floats, against what the trainer feeds for a hint of
 * the same colour. A resampled plane would darken a dab's rim (colour mixed
 * with the empty layer's zeros) and grey the pen lines; the planes must hold
 * the dab's own colour, binary masks and binary lines, as in training. */
TEST(http, hint_encoding_page_to_model_input)
{
    static const uint8_t brown[3] = {139, 69, 19}, red[3] = {200, 30, 40};
    struct zt_image lines = {0}, hints = {0};
    CHECK_OK(zt_image_new(&lines, 512, 512, 4));
    CHECK_OK(zt_image_new(&hints, 512, 512, 4));
    for (int t = 0; t < 3600; t++) { /* a 3-px black ring of radius 150 */
        double a = t * 2 * M_PI / 3600;
        for (int k = -1; k <= 1; k++) {
            int x = (int)lround(256 + (150 + k) * cos(a)), y = (int)lround(256 + (150 + k) * sin(a));
            uint8_t *p = lines.px + 4 * ((size_t)y * 512 + x);
            p[0] = p[1] = p[2] = 0, p[3] = 255;
        }
    }
    dab(&hints, 256, 256, 6, brown);
    for (int x = 300; x < 340; x += 2) dab(&hints, x, 200, 2, red); /* a short stroke */
    struct zt_buf lu = {0}, hu = {0}, json = {0};
    CHECK_OK(layer_url(&lines, &lu));
    CHECK_OK(layer_url(&hints, &hu));
    CHECK_OK(zt_buf_printf(&json, "{\"sketch\":\"%s\",\"hints\":\"%s\"}", (const char *)lu.data,
                           (const char *)hu.data));
    struct zt_form f;
    CHECK_OK(zt_form_parse("application/json", json.data, json.len, &f));
    const struct zt_image_limits lim = {4096, 4096, 1 << 24};
    struct zt_planes pl = {0}, full = {0};
    CHECK_OK(zt_http_drawing_planes(&f, &lim, &full));
    CHECK(full.edges.w == 512 && full.hint_rgb.c == 3 && full.hint_mask.c == 1);
    /* as /api/generate: framed on the ink, the ring (303 px) filling 0.8 of
     * a 379-px square, reduced to 128: radius 150 -> 50.7 */
    CHECK_OK(zt_planes_reframe(&full.edges, &full.hint_rgb, &full.hint_mask, 128, ZT_GEN_FRAME, &pl));
    CHECK(pl.edges.w == 128 && pl.hint_rgb.c == 3 && pl.hint_mask.c == 1);
    int nbrown = 0, nred = 0, nline = 0;
    for (int i = 0; i < 128 * 128; i++) {
        CHECK(pl.edges.px[i] == 0 || pl.edges.px[i] == 255);
        CHECK(pl.hint_mask.px[i] == 0 || pl.hint_mask.px[i] == 255);
        nline += pl.edges.px[i] == 0;
        if (!pl.hint_mask.px[i]) continue;
        const uint8_t *c = pl.hint_rgb.px + 3 * i;
        int is_brown = !memcmp(c, brown, 3), is_red = !memcmp(c, red, 3);
        CHECK_MSG(is_brown || is_red, "hint pixel %d is (%d,%d,%d), not a colour the shopper used",
                  i, c[0], c[1], c[2]);
        nbrown += is_brown, nred += is_red;
    }
    CHECK_MSG(nbrown >= 9 && nbrown <= 30, "brown %d", nbrown); /* a 13-px dab at 1/3 scale */
    CHECK(nred >= 10);
    CHECK_MSG(nline > 2 * 3.14 * 50 * 0.9 && nline < 2 * 3.14 * 50 * 2.5, "line %d", nline); /* thin */
    CHECK(pl.edges.px[64 * 128 + 64 + 50] == 0 || pl.edges.px[64 * 128 + 64 + 51] == 0);

    /* the model's input: the same floats the trainer makes for a simulated
     * hint of that colour on a photo of that colour */
    enum { S = 128, NCAT = 4 };
    float *A = malloc(sizeof(float) * zt_sample_in_channels(NCAT) * S * S),
          *T = malloc(sizeof(float) * zt_sample_in_channels(NCAT) * S * S);
    CHECK(A && T);
    CHECK_OK(zt_sample_encode_input(&pl.edges, &pl.hint_rgb, &pl.hint_mask, 1, NCAT, A));
    struct zt_image photo = {0}, hr = {0}, hm = {0};
    CHECK_OK(zt_image_new(&photo, S, S, 3));
    for (int i = 0; i < S * S; i++) memcpy(photo.px + 3 * i, brown, 3);
    struct zt_hint_params hp;
    zt_hint_params_default(&hp);
    hp.fixed_count = 3;
    CHECK_OK(zt_hints_simulate(&photo, NULL, &hp, 7, &hr, &hm, NULL));
    CHECK_OK(zt_sample_encode_input(&pl.edges, &hr, &hm, 1, NCAT, T));
    size_t n = (size_t)S * S, centre = 64 * S + 64, sim = n;
    for (size_t i = 0; i < n && sim == n; i++)
        if (hm.px[i]) sim = i;
    CHECK(sim < n);
    for (int c = 1; c <= 3; c++) { /* hint RGB in [-1, 1], the same scale in both */
        CHECK_NEAR(A[c * n + centre], brown[c - 1] / 127.5f - 1.0f, 1e-6);
        CHECK_NEAR(A[c * n + centre], T[c * n + sim], 1e-6);
    }
    CHECK_NEAR(A[4 * n + centre], 1.0f, 0); /* mask */
    CHECK_NEAR(A[4 * n + 0], 0.0f, 0);
    CHECK_NEAR(A[1 * n + 0], 0.0f, 0);      /* no hint: 0, not black (-1) */
    CHECK_NEAR(A[0 * n + 0], 1.0f, 0);      /* paper */
    CHECK_NEAR(A[(5 + 1) * n + 5], 1.0f, 0); /* the chosen category's plane */
    CHECK_NEAR(A[(5 + 0) * n + 5], 0.0f, 0);

    /* one flattened drawing (the upload form) gives the same planes */
    struct zt_image flat = {0};
    struct zt_planes p2 = {0};
    CHECK_OK(zt_image_new(&flat, 512, 512, 3));
    memset(flat.px, 255, (size_t)512 * 512 * 3);
    for (size_t i = 0; i < 512 * 512; i++) {
        const uint8_t *h = hints.px + 4 * i, *l = lines.px + 4 * i;
        if (h[3] >= 128) memcpy(flat.px + 3 * i, h, 3);
        if (l[3] >= 128) memset(flat.px + 3 * i, 0, 3);
    }
    CHECK_OK(zt_drawing_planes(&flat, NULL, 128, ZT_GEN_FRAME, &p2));
    CHECK(!memcmp(p2.hint_mask.px, pl.hint_mask.px, n));
    CHECK(!memcmp(p2.hint_rgb.px, pl.hint_rgb.px, 3 * n));
    CHECK(!memcmp(p2.edges.px, pl.edges.px, n));
    /* and so does one whose dabs are anti-aliased, as a drawing program
     * exports them: a rim half dab, half paper (it made the hints lighter) */
    struct zt_image aa = {0};
    CHECK_OK(zt_image_clone(&flat, &aa));
    for (int y = 1; y < 511; y++)
        for (int x = 1; x < 511; x++) {
            uint8_t *q = aa.px + 3 * ((size_t)y * 512 + x);
            if (q[0] != 255 || q[1] != 255 || q[2] != 255) continue;
            for (int k = 0; k < 9; k++) {
                const uint8_t *h = hints.px + 4 * ((size_t)(y + k / 3 - 1) * 512 + x + k % 3 - 1);
                if (h[3] < 128) continue;
                for (int c = 0; c < 3; c++) q[c] = (uint8_t)((h[c] + 255) / 2);
                break;
            }
        }
    zt_planes_deinit(&p2);
    CHECK_OK(zt_drawing_planes(&aa, NULL, 128, ZT_GEN_FRAME, &p2));
    int aa_hints = 0, aa_wrong = 0;
    for (size_t i = 0; i < n; i++) {
        if (!p2.hint_mask.px[i]) continue;
        const uint8_t *c = p2.hint_rgb.px + 3 * i;
        aa_hints++;
        aa_wrong += memcmp(c, brown, 3) && memcmp(c, red, 3);
    }
    CHECK_MSG(aa_hints >= nbrown + nred && aa_wrong == 0,
              "anti-aliased dabs: %d of %d reduced hint pixels are neither brown nor red", aa_wrong, aa_hints);
    zt_image_free(&aa);

    free(A);
    free(T);
    zt_planes_deinit(&pl);
    zt_planes_deinit(&full);
    zt_planes_deinit(&p2);
    zt_image_free(&flat);
    zt_image_free(&photo);
    zt_image_free(&hr);
    zt_image_free(&hm);
    zt_image_free(&lines);
    zt_image_free(&hints);
    zt_form_deinit(&f);
    zt_buf_deinit(&lu);
    zt_buf_deinit(&hu);
    zt_buf_deinit(&json);
}

TEST(http, escaping)
{
    struct zt_buf b = {0};
    CHECK_OK(zt_buf_html_escape(&b, "<a href=\"x\">'&'</a>"));
    CHECK(!strcmp((const char *)b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"));
    zt_buf_deinit(&b);
    CHECK_OK(zt_buf_url_escape(&b, "a b/../é?x=1"));
    CHECK(!strcmp((const char *)b.data, "a%20b%2F..%2F%C3%A9%3Fx%3D1"));
    zt_buf_deinit(&b);
}

TEST(http, routes)
{
    char allow[64];
    const char *param;
    const struct zt_route *r = zt_route_find("GET", "/api/products/abc", allow, sizeof allow, &param);
    CHECK(r && !strcmp(r->name, "products") && !strcmp(param, "abc"));
    r = zt_route_find("HEAD", "/healthz", allow, sizeof allow, &param);
    CHECK(r && !strcmp(r->name, "healthz"));
    r = zt_route_find("POST", "/api/search", allow, sizeof allow, &param);
    CHECK(r && r->kind == ZT_ROUTE_HEAVY);
    r = zt_route_find("GET", "/api/search", allow, sizeof allow, &param);
    CHECK(!r && !strcmp(allow, "POST"));
    r = zt_route_find("DELETE", "/api/products/x", allow, sizeof allow, &param);
    CHECK(!r && !strcmp(allow, "GET, HEAD"));
    r = zt_route_find("GET", "/api/products/", allow, sizeof allow, &param);
    CHECK(!r && !allow[0]); /* an empty id is no route */
    r = zt_route_find("GET", "/nope", allow, sizeof allow, &param);
    CHECK(!r && !allow[0]);
}

TEST(http, error_replies)
{
    static const struct {
        int rc, status;
        const char *code;
    } map[] = {{ZT_EINVAL, 400, "bad_request"}, {ZT_EFORMAT, 400, "bad_request"},
               {ZT_ENOTFOUND, 404, "not_found"}, {ZT_ETOOBIG, 413, "too_large"},
               {ZT_EBUSY, 503, "busy"},          {ZT_EIO, 500, "internal"}};
    for (size_t i = 0; i < ZT_ARRAY_LEN(map); i++) {
        struct zt_reply r = {0};
        zt_seterr("why <%d>", (int)i);
        zt_reply_code(&r, map[i].rc);
        CHECK_EQ_INT(r.status, map[i].status);
        json_error_t err;
        json_t *j = json_loadb((const char *)r.body.data, r.body.len, 0, &err);
        CHECK(j != NULL);
        CHECK(j && !strcmp(json_string_value(json_object_get(j, "error")), map[i].code));
        CHECK(j && json_integer_value(json_object_get(j, "status")) == map[i].status);
        char want[32];
        snprintf(want, sizeof want, "why <%d>", (int)i);
        /* a 500's own words (paths, database errors) stay in the server log */
        if (map[i].status == 500)
            CHECK(j && !strstr(json_string_value(json_object_get(j, "message")), want));
        else
            CHECK(j && !strcmp(json_string_value(json_object_get(j, "message")), want));
        if (map[i].rc == ZT_EBUSY) CHECK(strstr(r.headers, "Retry-After: 1\n") != NULL);
        json_decref(j);
        zt_reply_deinit(&r);
    }
}

TEST(http, metrics_text)
{
    struct zt_metrics *m = zt_metrics_new();
    CHECK(m != NULL);
    if (!m) return;
    zt_metrics_observe(m, "search", 200, 0.03);
    zt_metrics_observe(m, "search", 200, 0.2);
    zt_metrics_observe(m, "search", 503, 0.001);
    zt_metrics_gauge_inflight(m, 2);
    zt_metrics_event(m, ZT_EV_REJECTED);
    struct zt_buf b = {0};
    CHECK_OK(zt_metrics_render(m, 3, 2, &b));
    const char *t = (const char *)b.data;
    CHECK(strstr(t, "ztyle_http_requests_total{endpoint=\"search\",code=\"200\"} 2\n") != NULL);
    CHECK(strstr(t, "ztyle_http_requests_total{endpoint=\"search\",code=\"503\"} 1\n") != NULL);
    CHECK(strstr(t, "ztyle_http_errors_total{endpoint=\"search\"} 1\n") != NULL);
    CHECK(strstr(t, "ztyle_http_request_duration_seconds_bucket{endpoint=\"search\",le=\"0.005\"} 1\n") != NULL);
    CHECK(strstr(t, "ztyle_http_request_duration_seconds_bucket{endpoint=\"search\",le=\"0.05\"} 2\n") != NULL);
    CHECK(strstr(t, "ztyle_http_request_duration_seconds_bucket{endpoint=\"search\",le=\"+Inf\"} 3\n") != NULL);
    CHECK(strstr(t, "ztyle_http_request_duration_seconds_count{endpoint=\"search\"} 3\n") != NULL);
    CHECK(strstr(t, "ztyle_http_in_flight 2\n") != NULL);
    CHECK(strstr(t, "ztyle_jobs_queued 3\n") != NULL);
    CHECK(strstr(t, "ztyle_jobs_rejected_total 1\n") != NULL);
    zt_buf_deinit(&b);
    zt_metrics_free(m);
}

TEST(http, assets)
{
    const struct zt_asset *a = zt_asset_find("index.html");
    CHECK(a && a->len > 100 && strstr((const char *)a->data, "/static/app.js"));
    CHECK(zt_asset_find("app.js") && zt_asset_find("templates/skirt.svg") &&
          zt_asset_find("config/shops.json"));
    CHECK(zt_asset_find("../Makefile") == NULL && zt_asset_find("web/app.js") == NULL);
    CHECK(!strcmp(zt_content_type("a/b.svg"), "image/svg+xml"));
    CHECK(!strcmp(zt_content_type("app.js"), "text/javascript; charset=utf-8"));
    CHECK(!strcmp(zt_content_type("noext"), "application/octet-stream"));
    /* each embedded file has a NUL past len, so text assets are C strings */
    CHECK(a && a->data[a->len] == 0);
}

/* Host (DNS rebinding), Origin / Sec-Fetch-Site (other sites) and /metrics
 * (loopback or token), as guard.c decides them (issue 14, finding 6). */
TEST(http, guard_checks)
{
    struct zt_server *s = calloc(1, sizeof *s);
    CHECK(s != NULL);
    if (!s) return;
    snprintf(s->host_names, sizeof s->host_names, "192.168.1.5,shop.example, *.bad");
    snprintf(s->allow_origins, sizeof s->allow_origins, "https://shop.example");
    s->o.allow_origins = s->allow_origins;
    CHECK(zt_guard_host_ok(s, "localhost:8080"));
    CHECK(zt_guard_host_ok(s, "127.0.0.1"));
    CHECK(zt_guard_host_ok(s, "[::1]:8080"));
    CHECK(zt_guard_host_ok(s, "LOCALHOST"));
    CHECK(zt_guard_host_ok(s, "192.168.1.5:80"));
    CHECK(zt_guard_host_ok(s, "shop.example"));
    CHECK(zt_guard_host_ok(s, NULL)); /* HTTP/1.0, no browser */
    CHECK(!zt_guard_host_ok(s, "evil.example:8080"));
    CHECK(!zt_guard_host_ok(s, "localhost.evil.example"));
    CHECK(!zt_guard_host_ok(s, "127.0.0.1.nip.io"));
    CHECK(!zt_guard_host_ok(s, ""));
    CHECK(!zt_guard_host_ok(s, "x.bad")); /* no wildcards but a lone "*" */
    snprintf(s->host_names, sizeof s->host_names, "*");
    CHECK(zt_guard_host_ok(s, "anything.example"));

    CHECK(zt_guard_origin_ok(s, "http://localhost:8080", NULL, "localhost:8080"));
    CHECK(zt_guard_origin_ok(s, "https://shop.example", "cross-site", "localhost:8080"));
    CHECK(!zt_guard_origin_ok(s, "http://evil.example", NULL, "localhost:8080"));
    CHECK(!zt_guard_origin_ok(s, "http://localhost:9999", NULL, "localhost:8080"));
    CHECK(!zt_guard_origin_ok(s, "null", NULL, "localhost:8080"));
    CHECK(!zt_guard_origin_ok(s, "https://shop.example.evil", NULL, "localhost:8080"));
    CHECK(zt_guard_origin_ok(s, NULL, NULL, "localhost:8080")); /* curl, the CLI */
    CHECK(zt_guard_origin_ok(s, NULL, "same-origin", "localhost:8080"));
    CHECK(zt_guard_origin_ok(s, NULL, "none", "localhost:8080"));
    CHECK(!zt_guard_origin_ok(s, NULL, "cross-site", "localhost:8080"));
    CHECK(!zt_guard_origin_ok(s, NULL, "same-site", "localhost:8080"));

    struct sockaddr_in lo = {.sin_family = AF_INET}, far = {.sin_family = AF_INET};
    lo.sin_addr.s_addr = htonl(0x7f000002);  /* 127.0.0.2 */
    far.sin_addr.s_addr = htonl(0xc0a80105); /* 192.168.1.5 */
    struct sockaddr_in6 lo6 = {.sin6_family = AF_INET6};
    lo6.sin6_addr = in6addr_loopback;
    CHECK(zt_guard_metrics_ok(s, (struct sockaddr *)&lo, NULL));
    CHECK(zt_guard_metrics_ok(s, (struct sockaddr *)&lo6, NULL));
    CHECK(!zt_guard_metrics_ok(s, (struct sockaddr *)&far, NULL));
    CHECK(!zt_guard_metrics_ok(s, (struct sockaddr *)&far, "Bearer "));
    s->o.metrics_token = "s3cret";
    CHECK(zt_guard_metrics_ok(s, (struct sockaddr *)&far, "Bearer s3cret"));
    CHECK(!zt_guard_metrics_ok(s, (struct sockaddr *)&far, "Bearer s3cre"));
    CHECK(!zt_guard_metrics_ok(s, (struct sockaddr *)&far, "Bearer s3cret2"));
    CHECK(!zt_guard_metrics_ok(s, (struct sockaddr *)&far, "Basic s3cret"));
    free(s);
}
