/*
 * SVG charts of indicators (see domain.h): a bar or line chart of women
 * vs men by region or period, written by hand as SVG 1.1 so the service
 * needs no graphics library. The document is standalone (xmlns, viewBox,
 * width and height) so it shows in a browser, in an <img> of a council's
 * website, and rasterises with rsvg-convert. Arabic titles and labels are
 * laid out right to left (direction="rtl", unicode-bidi="embed", the
 * legend mirrored); a suppressed value is a hatched gap, never a zero bar.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

struct buf {
	char *s;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put_text(struct buf *b, const char *s);
static void text_el(struct buf *b, double x, double y, const char *anchor,
                    int size, const char *weight, const char *s, bool rtl);
static int64_t nice_max(int64_t v);
static void axis_label(char *out, size_t len, int64_t v);

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *ns;

	if (b->err != 0)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if ((ns = realloc(b->s, b->cap * 2 + (size_t)n)) == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->s = ns;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

/* XML text content and attribute values: escape the five specials. */
static void
put_text(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			put(b, "&amp;");
			break;
		case '<':
			put(b, "&lt;");
			break;
		case '>':
			put(b, "&gt;");
			break;
		case '"':
			put(b, "&quot;");
			break;
		case '\'':
			put(b, "&#39;");
			break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				break; /* not allowed in XML 1.0 */
			put(b, "%c", *s);
		}
	}
}

int
gender_text_is_rtl(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	/* U+0590..U+08FF (Hebrew, Arabic, Syriac, Thaana...) are encoded
	 * with a lead byte 0xD6..0xDF or 0xE0 0xA0..0xA3; Arabic
	 * presentation forms U+FB50..U+FDFF and U+FE70..U+FEFF */
	for (; p != NULL && *p != '\0'; p++) {
		if (*p >= 0xD6 && *p <= 0xDF)
			return 1;
		if (*p == 0xE0 && p[1] >= 0xA0 && p[1] <= 0xA3)
			return 1;
		if (*p == 0xEF && ((p[1] >= 0xAD && p[1] <= 0xB7) ||
		                   (p[1] >= 0xB9 && p[1] <= 0xBB)))
			return 1;
	}
	return 0;
}

static void
text_el(struct buf *b, double x, double y, const char *anchor, int size,
        const char *weight, const char *s, bool rtl)
{
	put(b,
	    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
	    "font-size=\"%d\" font-weight=\"%s\"",
	    x, y, anchor, size, weight);
	if (rtl || gender_text_is_rtl(s))
		put(b, " direction=\"rtl\" unicode-bidi=\"embed\"");
	put(b, ">");
	put_text(b, s);
	put(b, "</text>\n");
}

/* 1, 2 or 5 times a power of ten, >= v (and >= 1). */
static int64_t
nice_max(int64_t v)
{
	int64_t p = 1;

	if (v < 1)
		return 1;
	while (p <= v / 10)
		p *= 10;
	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	if (v <= 5 * p)
		return 5 * p;
	return 10 * p;
}

/* 1234567 -> "1 234 567" (thin grouping as in French and Arabic use). */
static void
axis_label(char *out, size_t len, int64_t v)
{
	char raw[32];
	size_t n, o = 0, i;

	snprintf(raw, sizeof(raw), "%lld", (long long)v);
	n = strlen(raw);
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && raw[i - 1] != '-' && (n - i) % 3 == 0)
			out[o++] = ' ';
		out[o++] = raw[i];
	}
	out[o] = '\0';
}

char *
gender_chart_svg(const struct gender_chart *c, int *err)
{
	struct buf b = {0};
	int w, h, left = 80, right = 24, top = 56, bottom = 88;
	double pw, ph, slot, bw, x, y, bh;
	int64_t maxv = 0, ymax;
	bool rtl;
	char lbl[40];
	size_t i, s;

	if (c == NULL || c->npoints == 0 ||
	    c->npoints > GENDER_CHART_MAX_POINTS || c->nseries == 0 ||
	    c->nseries > GENDER_CHART_MAX_SERIES) {
		if (err != NULL)
			*err = -EINVAL;
		return NULL;
	}
	w = c->width > 0 ? c->width : 640;
	h = c->height > 0 ? c->height : 400;
	rtl = c->lang != NULL && strcmp(c->lang, "ar") == 0;
	pw = w - left - right;
	ph = h - top - bottom;
	for (s = 0; s < c->nseries; s++)
		for (i = 0; i < c->npoints; i++)
			if (!c->series[s].missing[i] &&
			    c->series[s].values[i] > maxv)
				maxv = c->series[s].values[i];
	/* at least 5 so that the 5 grid steps are whole numbers */
	ymax = nice_max(maxv) < 5 ? 5 : nice_max(maxv);
	if ((b.s = malloc(4096)) == NULL) {
		if (err != NULL)
			*err = -ENOMEM;
		return NULL;
	}
	b.cap = 4096;
	put(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "font-family=\"DejaVu Sans, Noto Sans Arabic, Arial, sans-serif\" "
	    "role=\"img\" lang=\"%s\"%s>\n",
	    w, h, w, h, c->lang != NULL ? c->lang : "fr",
	    rtl ? " direction=\"rtl\"" : "");
	put(&b, "<title>");
	put_text(&b, c->title);
	put(&b,
	    "</title>\n<defs><pattern id=\"hatch\" width=\"6\" "
	    "height=\"6\" patternUnits=\"userSpaceOnUse\" "
	    "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" "
	    "fill=\"#ffffff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
	    "stroke=\"#9a9a9a\" stroke-width=\"3\"/></pattern></defs>\n");
	put(&b, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
	text_el(&b, w / 2.0, 30, "middle", 17, "bold", c->title, rtl);
	/* grid and y axis labels: 5 steps */
	for (i = 0; i <= 5; i++) {
		y = top + ph - ph * (double)i / 5.0;
		put(&b,
		    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"%s\" stroke-width=\"1\"/>\n",
		    left, y, left + pw, y, i == 0 ? "#333333" : "#dddddd");
		axis_label(lbl, sizeof(lbl), ymax * (int64_t)i / 5);
		if (c->unit != NULL && c->unit[0] != '\0' && i == 5) {
			strncat(lbl, " ", sizeof(lbl) - strlen(lbl) - 1);
			strncat(lbl, c->unit, sizeof(lbl) - strlen(lbl) - 1);
		}
		text_el(&b, left - 8, y + 4, "end", 11, "normal", lbl, false);
	}
	slot = pw / (double)c->npoints;
	for (i = 0; i < c->npoints; i++) {
		/* right to left: the first category at the right */
		size_t pos = rtl ? c->npoints - 1 - i : i;

		text_el(&b, left + slot * ((double)pos + 0.5), top + ph + 20,
		        "middle", 12, "normal", c->categories[i], rtl);
	}
	if (c->kind == GENDER_CHART_BAR) {
		bw = slot * 0.8 / (double)c->nseries;
		for (i = 0; i < c->npoints; i++) {
			size_t pos = rtl ? c->npoints - 1 - i : i;

			for (s = 0; s < c->nseries; s++) {
				size_t spos = rtl ? c->nseries - 1 - s : s;

				x = left + slot * (double)pos + slot * 0.1 +
				    bw * (double)spos;
				if (c->series[s].missing[i]) {
					put(&b,
					    "<rect x=\"%.1f\" y=\"%.1f\" "
					    "width=\"%.1f\" height=\"%.1f\" "
					    "fill=\"url(#hatch)\" "
					    "stroke=\"#9a9a9a\"><title>"
					    "suppressed</title></rect>\n",
					    x + 1, top + ph - 24, bw - 2, 24.0);
					continue;
				}
				bh = ph * (double)c->series[s].values[i] /
				     (double)ymax;
				put(&b,
				    "<rect x=\"%.1f\" y=\"%.1f\" "
				    "width=\"%.1f\" height=\"%.1f\" "
				    "fill=\"%s\"><title>%lld</title></rect>\n",
				    x + 1, top + ph - bh, bw - 2, bh,
				    c->series[s].color,
				    (long long)c->series[s].values[i]);
			}
		}
	} else {
		for (s = 0; s < c->nseries; s++) {
			bool open = false;

			for (i = 0; i < c->npoints; i++) {
				size_t pos = rtl ? c->npoints - 1 - i : i;

				x = left + slot * ((double)pos + 0.5);
				if (c->series[s].missing[i]) {
					if (open)
						put(&b, "\"/>\n");
					open = false;
					put(&b,
					    "<rect x=\"%.1f\" y=\"%.1f\" "
					    "width=\"10\" height=\"10\" "
					    "fill=\"url(#hatch)\" "
					    "stroke=\"%s\"><title>suppressed"
					    "</title></rect>\n",
					    x - 5, top + ph - 12,
					    c->series[s].color);
					continue;
				}
				y = top + ph -
				    ph * (double)c->series[s].values[i] /
				        (double)ymax;
				if (!open)
					put(&b,
					    "<polyline fill=\"none\" "
					    "stroke=\"%s\" stroke-width=\"3\" "
					    "points=\"",
					    c->series[s].color);
				put(&b, "%s%.1f,%.1f", open ? " " : "", x, y);
				open = true;
			}
			if (open)
				put(&b, "\"/>\n");
			for (i = 0; i < c->npoints; i++) {
				size_t pos = rtl ? c->npoints - 1 - i : i;

				if (c->series[s].missing[i])
					continue;
				put(&b,
				    "<circle cx=\"%.1f\" cy=\"%.1f\" "
				    "r=\"4\" fill=\"%s\"/>\n",
				    left + slot * ((double)pos + 0.5),
				    top + ph -
				        ph * (double)c->series[s].values[i] /
				            (double)ymax,
				    c->series[s].color);
			}
		}
	}
	/* legend, bottom; mirrored for Arabic */
	for (s = 0; s < c->nseries; s++) {
		double lx = rtl ? w - right - 140.0 * (double)(s + 1)
		                : left + 140.0 * (double)s;

		put(&b,
		    "<rect x=\"%.1f\" y=\"%d\" width=\"14\" height=\"14\" "
		    "fill=\"%s\"/>\n",
		    rtl ? lx + 122 : lx, h - 34, c->series[s].color);
		text_el(&b, rtl ? lx + 116 : lx + 20, h - 22, "start", 13,
		        "normal", c->series[s].label, rtl);
	}
	put(&b, "</svg>\n");
	if (b.err != 0) {
		if (err != NULL)
			*err = b.err;
		free(b.s);
		return NULL;
	}
	return b.s;
}
