/*
 * Unicity against p as a PNG (risk.h): drawn in process with libgd and
 * its built-in fonts, so no program is spawned and no font file read.
 */
#include "cdranon/risk.h"

#include <gd.h>
#include <gdfontmb.h>
#include <gdfonts.h>
#include <stdio.h>
#include <string.h>

#define PLOT_W 720
#define PLOT_H 460
#define LEFT   64
#define RIGHT  190 /* room for the legend */
#define TOP    40
#define BOTTOM 52

/* Distinguishable line colours (Okabe and Ito's palette). */
static const int palette[][3] = {
    {0, 114, 178}, {213, 94, 0},   {0, 158, 115}, {204, 121, 167},
    {230, 159, 0}, {86, 180, 233}, {0, 0, 0},     {240, 228, 66},
};
#define NCOLOURS (sizeof(palette) / sizeof(palette[0]))

static int x_of(unsigned p)
{
        return LEFT +
               (int)((p - 1) * (PLOT_W - LEFT - RIGHT) / (CDR_RISK_POINTS - 1));
}

static int y_of(double share)
{
        return PLOT_H - BOTTOM - (int)(share * (PLOT_H - TOP - BOTTOM) + 0.5);
}

static void put_text(gdImagePtr im, gdFontPtr font, int x, int y, const char *s,
                     int colour)
{
        gdImageString(im, font, x, y, (unsigned char *)s, colour);
}

int cdr_risk_plot_png(const cdr_risk_report_t *report, cdr_buf_t *png,
                      char *errstr, size_t errstr_size)
{
        gdImagePtr im = gdImageCreateTrueColor(PLOT_W, PLOT_H);
        gdFontPtr small = gdFontGetSmall(), bold = gdFontGetMediumBold();
        int white, black, grey, colour, size = 0, x, y, px = 0, py = 0;
        char label[160];
        unsigned p, tick;
        size_t i;
        void *data;
        int err = CDR_ERR_NOMEM;

        if (im == NULL)
                goto out;
        white = gdImageColorAllocate(im, 255, 255, 255);
        black = gdImageColorAllocate(im, 0, 0, 0);
        grey = gdImageColorAllocate(im, 220, 220, 220);
        gdImageFilledRectangle(im, 0, 0, PLOT_W - 1, PLOT_H - 1, white);

        /* Grid and axes: 0-100% by 10, p = 1..5. */
        for (tick = 0; tick <= 10; tick++) {
                y = y_of(tick / 10.0);
                gdImageLine(im, LEFT, y, PLOT_W - RIGHT, y, grey);
                snprintf(label, sizeof(label), "%u%%", tick * 10);
                put_text(im, small, LEFT - 8 - (int)strlen(label) * small->w,
                         y - small->h / 2, label, black);
        }
        for (p = 1; p <= CDR_RISK_POINTS; p++) {
                x = x_of(p);
                gdImageLine(im, x, TOP, x, PLOT_H - BOTTOM, grey);
                snprintf(label, sizeof(label), "%u", p);
                put_text(im, small, x - small->w / 2, PLOT_H - BOTTOM + 6,
                         label, black);
        }
        gdImageRectangle(im, LEFT, TOP, PLOT_W - RIGHT, PLOT_H - BOTTOM, black);
        put_text(im, bold, LEFT, 12,
                 "Unicity: share of traces that p points single out", black);
        put_text(im, small, (LEFT + PLOT_W - RIGHT) / 2 - 13 * small->w,
                 PLOT_H - BOTTOM + 24, "p, points known of a trace", black);

        for (i = 0; i < report->ntraces; i++) {
                const cdr_risk_trace_t *t = &report->traces[i];
                const int *rgb = palette[i % NCOLOURS];
                int have = 0;

                colour = gdImageColorAllocate(im, rgb[0], rgb[1], rgb[2]);
                gdImageSetThickness(im, 2);
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        const cdr_risk_unicity_t *u = &t->at[p - 1];

                        if (u->tested == 0) {
                                have = 0;
                                continue;
                        }
                        x = x_of(p);
                        y = y_of(u->share);
                        if (have)
                                gdImageLine(im, px, py, x, y, colour);
                        gdImageSetThickness(im, 1);
                        /* The 95% interval as a bar with caps. */
                        gdImageLine(im, x, y_of(u->lo), x, y_of(u->hi), colour);
                        gdImageLine(im, x - 4, y_of(u->lo), x + 4, y_of(u->lo),
                                    colour);
                        gdImageLine(im, x - 4, y_of(u->hi), x + 4, y_of(u->hi),
                                    colour);
                        gdImageFilledRectangle(im, x - 3, y - 3, x + 3, y + 3,
                                               colour);
                        gdImageSetThickness(im, 2);
                        px = x;
                        py = y;
                        have = 1;
                }
                gdImageSetThickness(im, 1);
                y = TOP + 8 + (int)i * (small->h + 8);
                gdImageFilledRectangle(im, PLOT_W - RIGHT + 14, y + 2,
                                       PLOT_W - RIGHT + 30, y + small->h - 2,
                                       colour);
                snprintf(label, sizeof(label), "%.24s", t->field);
                put_text(im, small, PLOT_W - RIGHT + 36, y, label, black);
        }
        if (report->ntraces == 0)
                put_text(im, small, LEFT + 12, TOP + 12,
                         "no field holds pseudonyms", black);

        data = gdImagePngPtr(im, &size);
        if (data == NULL || size <= 0)
                goto out;
        err = cdr_buf_append(png, data, (size_t)size);
        gdFree(data);
out:
        if (im != NULL)
                gdImageDestroy(im);
        if (err != CDR_OK)
                cdr_errf(errstr, errstr_size,
                         "plot: the PNG image could not "
                         "be made");
        return err;
}
