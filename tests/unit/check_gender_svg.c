/*
 * The SVG chart writer: a well-formed standalone document, escaped text,
 * right-to-left Arabic, suppressed values drawn as gaps, bar heights in
 * proportion (the picture itself is compared in the integration suite
 * after rasterising with rsvg-convert).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/gender/src/domain.h"

static void
two_regions(struct gender_chart *c, const char *lang)
{
	memset(c, 0, sizeof(*c));
	c->kind = GENDER_CHART_BAR;
	c->lang = lang;
	c->npoints = 2;
	c->nseries = 2;
	c->categories[0] = strcmp(lang, "ar") == 0 ? "سوس ماسة" : "Souss-Massa";
	c->categories[1] = strcmp(lang, "ar") == 0 ? "الشرق" : "Oriental";
	c->title = strcmp(lang, "ar") == 0
	               ? "حاملو المشاريع"
	               : "Porteurs de projets <financés> & \"retenus\"";
	c->series[0].label = strcmp(lang, "ar") == 0 ? "نساء" : "Femmes";
	c->series[0].color = "#7b3294";
	c->series[1].label = strcmp(lang, "ar") == 0 ? "رجال" : "Hommes";
	c->series[1].color = "#008837";
	c->series[0].values[0] = 40;
	c->series[0].values[1] = 20;
	c->series[1].values[0] = 10;
	c->series[1].missing[1] = true;
	c->series[1].values[1] = 3; /* suppressed: must not be drawn */
}

START_TEST(test_bar_chart_french)
{
	struct gender_chart c;
	char *svg;

	two_regions(&c, "fr");
	svg = gender_chart_svg(&c, NULL);
	ck_assert_ptr_nonnull(svg);
	ck_assert(strncmp(svg, "<?xml", 5) == 0);
	ck_assert_ptr_nonnull(
	    strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
	ck_assert_ptr_nonnull(strstr(svg, "viewBox=\"0 0 640 400\""));
	/* escaped title, never raw markup */
	ck_assert_ptr_nonnull(
	    strstr(svg, "&lt;financés&gt; &amp; &quot;retenus&quot;"));
	ck_assert_ptr_null(strstr(svg, "<financés>"));
	ck_assert_ptr_null(strstr(svg, "direction=\"rtl\""));
	/* the suppressed value is a hatched gap; its number is not shown */
	ck_assert_ptr_nonnull(strstr(svg, "fill=\"url(#hatch)\""));
	ck_assert_ptr_null(strstr(svg, "<title>3</title>"));
	/* 40 on a 0..50 axis over a 256 px plot: 204.8 px */
	ck_assert_ptr_nonnull(strstr(svg, "height=\"204.8\" fill=\"#7b3294\""));
	ck_assert_ptr_nonnull(strstr(svg, "height=\"102.4\" fill=\"#7b3294\""));
	ck_assert(svg[strlen(svg) - 7] == '<' &&
	          strcmp(svg + strlen(svg) - 7, "</svg>\n") == 0);
	free(svg);
}
END_TEST

START_TEST(test_arabic_right_to_left)
{
	struct gender_chart c;
	char *svg, *first, *second;

	two_regions(&c, "ar");
	svg = gender_chart_svg(&c, NULL);
	ck_assert_ptr_nonnull(svg);
	ck_assert_ptr_nonnull(
	    strstr(svg, "direction=\"rtl\" unicode-bidi=\"embed\">الشرق"));
	ck_assert_ptr_nonnull(strstr(svg, "lang=\"ar\""));
	/* the first category is laid out on the right */
	first = strstr(svg, ">سوس ماسة<");
	second = strstr(svg, ">الشرق<");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(second);
	{
		const char *x1 = first, *x2 = second;
		double a, b;

		while (strncmp(x1, "<text x=\"", 9) != 0)
			x1--;
		while (strncmp(x2, "<text x=\"", 9) != 0)
			x2--;
		a = strtod(x1 + 9, NULL);
		b = strtod(x2 + 9, NULL);
		ck_assert(a > b);
	}
	ck_assert_int_eq(gender_text_is_rtl("نساء"), 1);
	ck_assert_int_eq(gender_text_is_rtl("Femmes é"), 0);
	free(svg);
}
END_TEST

START_TEST(test_line_chart_gap)
{
	struct gender_chart c;
	char *svg, *p;
	int polylines = 0;

	two_regions(&c, "fr");
	c.kind = GENDER_CHART_LINE;
	c.npoints = 3;
	c.categories[2] = "2027Q3";
	c.series[0].values[2] = 30;
	c.series[1].values[2] = 12;
	svg = gender_chart_svg(&c, NULL);
	ck_assert_ptr_nonnull(svg);
	for (p = svg; (p = strstr(p, "<polyline")) != NULL; p++)
		polylines++;
	/* women: one line of 3 points; men: broken by the gap in 2 parts */
	ck_assert_int_eq(polylines, 3);
	free(svg);
}
END_TEST

START_TEST(test_bad_chart)
{
	struct gender_chart c;
	int err = 0;

	memset(&c, 0, sizeof(c));
	ck_assert_ptr_null(gender_chart_svg(&c, &err));
	ck_assert_int_eq(err, -EINVAL);
	ck_assert_ptr_null(gender_chart_svg(NULL, NULL));
}
END_TEST

static Suite *
svg_suite(void)
{
	Suite *s = suite_create("gender_svg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_bar_chart_french);
	tcase_add_test(tc, test_arabic_right_to_left);
	tcase_add_test(tc, test_line_chart_gap);
	tcase_add_test(tc, test_bad_chart);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(svg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
