-- Dashboards: disclosure control moves to C. cases_dashboard now returns
-- exact counts per (dimension, sex) cell; the service lays each table out
-- with its totals and applies primary and complementary suppression
-- (lib/include/mp/suppress.h, services/cases/src/domain_dashboard.c)
-- before anything leaves the process. Cells of 1 to 4 alone were not
-- enough: with totals published, a lone suppressed cell of a row was the
-- total minus the others. Only the service's role runs this function.
DROP FUNCTION c_cell(bigint);

CREATE OR REPLACE FUNCTION cases_dashboard(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  reg text := coalesce(a->>'region', nullif(p->>'region', ''));
  com text := a->>'commune';
BEGIN
  IF reg IS NULL OR NOT c_officer_of(p, reg) THEN PERFORM mp_not_found(); END IF;
  IF com IS NOT NULL AND NOT EXISTS (SELECT 1 FROM communes c WHERE c.code = com AND c.region = reg) THEN
    PERFORM mp_field_error('commune', 'not a commune of the region');
  END IF;
  RETURN json_build_object('region', reg, 'commune', com, 'suppression_threshold', 5,
    'cases_by_state', (SELECT coalesce(jsonb_agg(jsonb_build_object('state', s.status, 'sex', s.sex, 'n', s.n)
        ORDER BY s.status, s.sex), '[]')
      FROM (SELECT k.status, x.sex, count(*) AS n FROM cases k JOIN persons x ON x.id = k.person_id
            WHERE k.region = reg AND (com IS NULL OR k.commune = com) GROUP BY 1, 2) s),
    'cases_by_need', (SELECT coalesce(jsonb_agg(jsonb_build_object('need', s.need, 'sex', s.sex, 'n', s.n)
        ORDER BY s.need, s.sex), '[]')
      FROM (SELECT n.need, x.sex, count(*) AS n FROM cases k JOIN persons x ON x.id = k.person_id,
              unnest(k.needs) AS n(need)
            WHERE k.region = reg AND (com IS NULL OR k.commune = com) GROUP BY 1, 2) s),
    'referrals_by_outcome', (SELECT coalesce(jsonb_agg(jsonb_build_object('status', s.status, 'outcome', s.outcome,
        'sex', s.sex, 'n', s.n) ORDER BY s.status, s.outcome, s.sex), '[]')
      FROM (SELECT r.status, r.outcome, x.sex, count(*) AS n FROM referrals r JOIN cases k ON k.id = r.case_id
              JOIN persons x ON x.id = k.person_id
            WHERE r.region = reg AND (com IS NULL OR r.commune = com) GROUP BY 1, 2, 3) s),
    'referrals_by_category', (SELECT coalesce(jsonb_agg(jsonb_build_object('category', s.code, 'sex', s.sex,
        'n', s.n) ORDER BY s.code, s.sex), '[]')
      FROM (SELECT t.code, x.sex, count(*) AS n FROM referrals r JOIN cases k ON k.id = r.case_id
              JOIN persons x ON x.id = k.person_id
              JOIN service_attributes sa ON sa.service_id = r.service_id
              JOIN taxonomy_terms t ON t.id = sa.taxonomy_term_id
            WHERE r.region = reg AND (com IS NULL OR r.commune = com) GROUP BY 1, 2) s),
    'median_days_to_first_referral', (SELECT coalesce(jsonb_agg(jsonb_build_object('sex', s.sex,
        'median_days', s.median, 'n', s.n) ORDER BY s.sex), '[]')
      FROM (SELECT x.sex, count(*) AS n,
              round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.first_at - k.opened_at) / 86400))::numeric, 1)
                AS median
            FROM cases k JOIN persons x ON x.id = k.person_id
              JOIN LATERAL (SELECT min(r.created_at) AS first_at FROM referrals r WHERE r.case_id = k.id) f ON f.first_at IS NOT NULL
            WHERE k.region = reg AND (com IS NULL OR k.commune = com) GROUP BY 1) s),
    'certified', (SELECT coalesce(jsonb_agg(jsonb_build_object('role', s.role, 'count', s.n) ORDER BY s.role), '[]')
      FROM (SELECT c.role, count(DISTINCT c.person_sub) AS n FROM certifications c
              JOIN training_sessions ts ON ts.id = c.session_id
            WHERE c.region = reg AND c.revoked_at IS NULL AND c.expires_at > now()
              AND (com IS NULL OR ts.commune = com) GROUP BY 1) s));
END $$;
