/*
 * Unicity against p as a PNG (risk.h): drawn in process with libgd and
 * its built-in fonts, so no program is spawned and no font file read.
 *
 * libgd is loaded with dlopen on the first plot rather than linked: it
 * brings some forty libraries (image codecs among them) whose loading and
 * initialisation cost every start of the binary ~16 ms of CPU, for
 * `cdranon risk --plot` alone.  gd.h still gives the types.
 */
#include "cdranon/risk.h"

#include <dlfcn.h>
#include <gd.h>
#include <pthread.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#define LIBGD "libgd.so.3"

/* The libgd functions the plot uses, resolved once. */
struct gd_api {
        gdImagePtr (*create_true_color)(int, int);
        void (*destroy)(gdImagePtr);
        gdFontPtr (*font_small)(void);
        gdFontPtr (*font_medium_bold)(void);
        int (*colour_allocate)(gdImagePtr, int, int, int);
        void (*filled_rectangle)(gdImagePtr, int, int, int, int, int);
        void (*rectangle)(gdImagePtr, int, int, int, int, int);
        void (*line)(gdImagePtr, int, int, int, int, int);
        void (*set_thickness)(gdImagePtr, int);
        void (*string)(gdImagePtr, gdFontPtr, int, int, unsigned char *, int);
        void *(*png_ptr)(gdImagePtr, int *);
        void (*free)(void *);
        int ok;
        char why[200];
};
static struct gd_api gd;
static pthread_once_t gd_once = PTHREAD_ONCE_INIT;

static void gd_load(void)
{
        static const struct {
                const char *name;
                size_t off;
        } syms[] = {
#define SYM(name, field) {name, offsetof(struct gd_api, field)}
            SYM("gdImageCreateTrueColor", create_true_color),
            SYM("gdImageDestroy", destroy),
            SYM("gdFontGetSmall", font_small),
            SYM("gdFontGetMediumBold", font_medium_bold),
            SYM("gdImageColorAllocate", colour_allocate),
            SYM("gdImageFilledRectangle", filled_rectangle),
            SYM("gdImageRectangle", rectangle),
            SYM("gdImageLine", line),
            SYM("gdImageSetThickness", set_thickness),
            SYM("gdImageString", string),
            SYM("gdImagePngPtr", png_ptr),
            SYM("gdFree", free),
#undef SYM
        };
        void *lib = dlopen(LIBGD, RTLD_NOW | RTLD_LOCAL);
        size_t i;

        if (lib == NULL) {
                snprintf(gd.why, sizeof(gd.why), "%s", dlerror());
                return;
        }
        for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
                void *f = dlsym(lib, syms[i].name);

                if (f == NULL) {
                        snprintf(gd.why, sizeof(gd.why), "%s: no %s", LIBGD,
                                 syms[i].name);
                        return;
                }
                memcpy((char *)&gd + syms[i].off, &f, sizeof(f));
        }
        gd.ok = 1; /* the library stays loaded */
}

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
        gd.string(im, font, x, y, (unsigned char *)s, colour);
}

int cdr_risk_plot_png(const cdr_risk_report_t *report, cdr_buf_t *png,
                      char *errstr, size_t errstr_size)
{
        gdImagePtr im;
        gdFontPtr small, bold;
        int white, black, grey, colour, size = 0, x, y, px = 0, py = 0;
        char label[160];
        unsigned p, tick;
        size_t i;
        void *data;
        int err = CDR_ERR_NOMEM;

        pthread_once(&gd_once, gd_load);
        if (!gd.ok) {
                cdr_errf(errstr, errstr_size,
                         "plot: libgd cannot be loaded: %s", gd.why);
                return CDR_ERR_IO;
        }
        im = gd.create_true_color(PLOT_W, PLOT_H);
        small = gd.font_small();
        bold = gd.font_medium_bold();
        if (im == NULL)
                goto out;
        white = gd.colour_allocate(im, 255, 255, 255);
        black = gd.colour_allocate(im, 0, 0, 0);
        grey = gd.colour_allocate(im, 220, 220, 220);
        gd.filled_rectangle(im, 0, 0, PLOT_W - 1, PLOT_H - 1, white);

        /* Grid and axes: 0-100% by 10, p = 1..5. */
        for (tick = 0; tick <= 10; tick++) {
                y = y_of(tick / 10.0);
                gd.line(im, LEFT, y, PLOT_W - RIGHT, y, grey);
                snprintf(label, sizeof(label), "%u%%", tick * 10);
                put_text(im, small, LEFT - 8 - (int)strlen(label) * small->w,
                         y - small->h / 2, label, black);
        }
        for (p = 1; p <= CDR_RISK_POINTS; p++) {
                x = x_of(p);
                gd.line(im, x, TOP, x, PLOT_H - BOTTOM, grey);
                snprintf(label, sizeof(label), "%u", p);
                put_text(im, small, x - small->w / 2, PLOT_H - BOTTOM + 6,
                         label, black);
        }
        gd.rectangle(im, LEFT, TOP, PLOT_W - RIGHT, PLOT_H - BOTTOM, black);
        put_text(im, bold, LEFT, 12,
                 "Unicity: share of traces that p points single out", black);
        put_text(im, small, (LEFT + PLOT_W - RIGHT) / 2 - 13 * small->w,
                 PLOT_H - BOTTOM + 24, "p, points known of a trace", black);

        for (i = 0; i < report->ntraces; i++) {
                const cdr_risk_trace_t *t = &report->traces[i];
                const int *rgb = palette[i % NCOLOURS];
                int have = 0;

                colour = gd.colour_allocate(im, rgb[0], rgb[1], rgb[2]);
                gd.set_thickness(im, 2);
                for (p = 1; p <= CDR_RISK_POINTS; p++) {
                        const cdr_risk_unicity_t *u = &t->at[p - 1];

                        if (u->tested == 0) {
                                have = 0;
                                continue;
                        }
                        x = x_of(p);
                        y = y_of(u->share);
                        if (have)
                                gd.line(im, px, py, x, y, colour);
                        gd.set_thickness(im, 1);
                        /* The 95% interval as a bar with caps. */
                        gd.line(im, x, y_of(u->lo), x, y_of(u->hi), colour);
                        gd.line(im, x - 4, y_of(u->lo), x + 4, y_of(u->lo),
                                colour);
                        gd.line(im, x - 4, y_of(u->hi), x + 4, y_of(u->hi),
                                colour);
                        gd.filled_rectangle(im, x - 3, y - 3, x + 3, y + 3,
                                            colour);
                        gd.set_thickness(im, 2);
                        px = x;
                        py = y;
                        have = 1;
                }
                gd.set_thickness(im, 1);
                y = TOP + 8 + (int)i * (small->h + 8);
                gd.filled_rectangle(im, PLOT_W - RIGHT + 14, y + 2,
                                    PLOT_W - RIGHT + 30, y + small->h - 2,
                                    colour);
                snprintf(label, sizeof(label), "%.24s", t->field);
                put_text(im, small, PLOT_W - RIGHT + 36, y, label, black);
        }
        if (report->ntraces == 0)
                put_text(im, small, LEFT + 12, TOP + 12,
                         "no field holds pseudonyms", black);

        data = gd.png_ptr(im, &size);
        if (data == NULL || size <= 0)
                goto out;
        err = cdr_buf_append(png, data, (size_t)size);
        gd.free(data);
out:
        if (im != NULL)
                gd.destroy(im);
        if (err != CDR_OK)
                cdr_errf(errstr, errstr_size,
                         "plot: the PNG image could not "
                         "be made");
        return err;
}
