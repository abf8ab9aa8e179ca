/*  console_chart: SVG charts drawn on the server for the team lead
    dashboard (console_dash.h), plain string building and no script.

    Colour is never the only sign: each line series has its own colour,
    dash pattern and marker shape and its name written at its last point;
    each bar segment kind its own fill pattern (solid, hatched, dotted) and
    a legend in words. Every text goes through portal_esc, and only the five
    entities XML knows are used, so that each <svg> is well-formed XML. The
    numbers are also in a <table> next to each chart (console_dash.c). */
#include "console_dash.h"
#include <math.h>
#include <stdio.h>

#define LINE_W 640
#define LINE_H 240
#define LINE_LEFT 48
#define LINE_RIGHT 130
#define LINE_TOP 16
#define LINE_BOTTOM 36

static const char *const s_colours[] = {"#1f5fa8", "#b35806", "#2d7a2d", "#7a1fa2", "#8a6d00", "#444444"};
static const char *const s_dashes[] = {"", "6 3", "2 3", "8 3 2 3", "10 4", "1 2"};
#define NSTYLES 6

static void
s_svg_open (GString *b, const char *id, const char *title, int w, int h)
{
    g_string_append_printf (b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"%s\" "
                               "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                               "aria-labelledby=\"%s-t\"><title id=\"%s-t\">",
                            id, w, h, w, h, id, id);
    portal_esc (b, title);
    g_string_append (b, "</title>");
}

//  One marker of series k at (x, y): circle, square, triangle, diamond, ...
static void
s_marker (GString *b, size_t k, double x, double y)
{
    const char *c = s_colours[k % NSTYLES];
    switch (k % 4) {
    case 0:
        g_string_append_printf (b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>", x, y, c);
        break;
    case 1:
        g_string_append_printf (b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\"/>", x - 4,
                                y - 4, c);
        break;
    case 2:
        g_string_append_printf (b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"/>", x, y - 5, x + 5,
                                y + 4, x - 5, y + 4, c);
        break;
    default:
        g_string_append_printf (b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"none\" "
                                   "stroke=\"%s\" stroke-width=\"2\"/>",
                                x, y - 5, x + 5, y, x, y + 5, x - 5, y, c);
    }
}

static void
s_line_axes (GString *b, const char *const *x, size_t nx, double step)
{
    int plot_h = LINE_H - LINE_TOP - LINE_BOTTOM;
    for (int p = 0; p <= 4; p++) {
        double y = LINE_TOP + plot_h - plot_h * p / 4.0;
        g_string_append_printf (b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ccc\"/>"
                                   "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%d%%</text>",
                                LINE_LEFT, y, LINE_W - LINE_RIGHT, y, LINE_LEFT - 4, y + 4, p * 25);
    }
    for (size_t i = 0; i < nx; i++) {
        g_string_append_printf (b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">",
                                LINE_LEFT + 10 + step * (double) i, LINE_H - LINE_BOTTOM + 16);
        portal_esc (b, x[i]);
        g_string_append (b, "</text>");
    }
}

//  Series k as a path through its values (a gap where a value is NAN),
//  its markers and its name after its last point.
static void
s_line_series (GString *b, const chart_series_t *s, size_t k, size_t nx, double step)
{
    int plot_h = LINE_H - LINE_TOP - LINE_BOTTOM;
    GString *d = g_string_new (NULL);
    bool pen = false;
    double lx = -1, ly = 0;
    for (size_t i = 0; i < nx; i++) {
        if (isnan (s->v[i])) {
            pen = false;
            continue;
        }
        double v = s->v[i] < 0 ? 0 : s->v[i] > 1 ? 1 : s->v[i];
        lx = LINE_LEFT + 10 + step * (double) i, ly = LINE_TOP + plot_h - plot_h * v;
        g_string_append_printf (d, "%s%.1f %.1f", pen ? "L" : "M", lx, ly);
        pen = true;
    }
    const char *c = s_colours[k % NSTYLES], *dash = s_dashes[k % NSTYLES];
    if (d->len)
        g_string_append_printf (b, "<path class=\"line\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>",
                                d->str, c, *dash ? " stroke-dasharray=\"" : "", dash, *dash ? "\"" : "");
    g_string_free (d, TRUE);
    for (size_t i = 0; i < nx; i++)
        if (!isnan (s->v[i])) {
            double v = s->v[i] < 0 ? 0 : s->v[i] > 1 ? 1 : s->v[i];
            s_marker (b, k, LINE_LEFT + 10 + step * (double) i, LINE_TOP + plot_h - plot_h * v);
        }
    if (lx >= 0) {
        g_string_append_printf (b, "<text class=\"name\" x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\">", lx + 8,
                                ly + 4 + 12.0 * (double) (k % 3) - 12, c);
        portal_esc (b, s->label);
        g_string_append (b, "</text>");
    }
}

void
chart_lines (GString *b, const char *id, const char *title, const char *const *x, size_t nx,
             const chart_series_t *s, size_t ns)
{
    s_svg_open (b, id, title, LINE_W, LINE_H);
    double step = nx > 1 ? (double) (LINE_W - LINE_LEFT - LINE_RIGHT - 20) / (double) (nx - 1) : 0;
    s_line_axes (b, x, nx, step);
    for (size_t k = 0; k < ns; k++)
        s_line_series (b, &s[k], k, nx, step);
    if (!ns)
        g_string_append_printf (b, "<text x=\"%d\" y=\"%d\" font-size=\"13\">No data</text>", LINE_LEFT + 10,
                                LINE_TOP + 20);
    g_string_append (b, "</svg>");
}

#define BAR_LABEL 150
#define BAR_AREA 360
#define BAR_ROW 22
#define BAR_TOP 28

//  The fill patterns of the segment kinds: solid, hatched, dotted.
static void
s_bar_defs (GString *b, const char *id)
{
    g_string_append_printf (b, "<defs><pattern id=\"%s-p1\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
                               "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fde0c5\"/>"
                               "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"%s\" stroke-width=\"3\"/></pattern>"
                               "<pattern id=\"%s-p2\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
                               "<rect width=\"6\" height=\"6\" fill=\"#e0f0e0\"/><circle cx=\"3\" cy=\"3\" r=\"1.6\" "
                               "fill=\"%s\"/></pattern></defs>",
                            id, s_colours[1], id, s_colours[2]);
}

static void
s_bar_fill (GString *b, const char *id, size_t seg)
{
    if (seg % 3 == 0)
        g_string_append_printf (b, "fill=\"%s\"", s_colours[0]);
    else
        g_string_append_printf (b, "fill=\"url(#%s-p%zu)\" stroke=\"%s\"", id, seg % 3, s_colours[seg % 3]);
}

static void
s_bar_legend (GString *b, const char *id, const char *const *segs, size_t nseg)
{
    for (size_t k = 0; k < nseg && nseg > 1; k++) {
        int x = BAR_LABEL + (int) k * 110;
        g_string_append_printf (b, "<rect x=\"%d\" y=\"6\" width=\"14\" height=\"14\" ", x);
        s_bar_fill (b, id, k);
        g_string_append_printf (b, "/><text x=\"%d\" y=\"18\" font-size=\"12\">", x + 18);
        portal_esc (b, segs[k]);
        g_string_append (b, "</text>");
    }
}

void
chart_bars (GString *b, const char *id, const char *title, const char *const *labels, size_t n,
            const double *v, const char *const *segs, size_t nseg, const char *const *texts)
{
    double max = 0;
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (size_t k = 0; k < nseg; k++)
            sum += v[i * nseg + k] > 0 ? v[i * nseg + k] : 0;
        max = sum > max ? sum : max;
    }
    int h = BAR_TOP + (int) (n ? n : 1) * BAR_ROW + 8;
    s_svg_open (b, id, title, BAR_LABEL + BAR_AREA + 110, h);
    s_bar_defs (b, id);
    s_bar_legend (b, id, segs, nseg);
    for (size_t i = 0; i < n; i++) {
        double y = BAR_TOP + (double) i * BAR_ROW, x = BAR_LABEL;
        g_string_append_printf (b, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">", BAR_LABEL - 6,
                                y + 14);
        portal_esc (b, labels[i]);
        g_string_append (b, "</text>");
        double sum = 0;
        for (size_t k = 0; k < nseg; k++) {
            double val = v[i * nseg + k] > 0 ? v[i * nseg + k] : 0, w = max > 0 ? BAR_AREA * val / max : 0;
            sum += v[i * nseg + k];
            if (w <= 0)
                continue;
            g_string_append_printf (b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" ", x, y + 2, w);
            s_bar_fill (b, id, k);
            g_string_append (b, "/>");
            x += w;
        }
        g_string_append_printf (b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", x + 6, y + 14);
        if (texts)
            portal_esc (b, texts[i]);
        else
            g_string_append_printf (b, sum == (double) (long long) sum ? "%.0f" : "%.1f", sum);
        g_string_append (b, "</text>");
    }
    g_string_append (b, "</svg>");
}
