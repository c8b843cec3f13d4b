-- ERC members are real accounts of their region, and a member can leave.
--
-- The services share nothing with the gateway but events: the gateway
-- publishes its accounts (gateway.user.registered.v1 / .updated.v1, data
-- {sub, roles, region}: no name, no contact) on events:gateway and funding
-- projects them here (consumer group "funding", services/funding/src/
-- users.c). An officer may add as ERC member only a subject the gateway
-- knows as an erc_member of the member's region; an account that loses
-- the role or changes region leaves the ERCs it sat on (deactivated, with
-- the event), and an officer can deactivate a member. Only active members
-- count towards quorum, attend and vote (0003: funding_erc_quorum_facts,
-- funding_erc_attendance, f_member_of).

CREATE TABLE gateway_users (
  sub text PRIMARY KEY,
  roles text[] NOT NULL,
  region text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Memberships of `sub` that its account no longer backs become inactive,
-- each with its funding.erc.member_deactivated.v1.
CREATE FUNCTION f_members_unbacked(p_sub text, rid text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE m erc_members;
BEGIN
  FOR m IN
    UPDATE erc_members e SET active = false
    WHERE e.user_sub = p_sub AND e.active AND NOT EXISTS (
      SELECT 1 FROM gateway_users u
      WHERE u.sub = e.user_sub AND u.region = e.region AND 'erc_member' = ANY (u.roles))
    RETURNING *
  LOOP
    PERFORM mp_emit('funding.erc.member_deactivated.v1', m.id::text,
      jsonb_build_object('member_id', m.id, 'region', m.region, 'college', m.college), rid);
  END LOOP;
END $$;

-- The effect of one gateway.user.*.v1 event (the CloudEvent as jsonb).
CREATE FUNCTION funding_user_project(ev jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  d jsonb := ev->'data';
  r text[];
BEGIN
  IF ev->>'type' NOT IN ('gateway.user.registered.v1', 'gateway.user.updated.v1') THEN
    RETURN;
  END IF;
  IF jsonb_typeof(d->'sub') <> 'string' OR jsonb_typeof(d->'roles') <> 'array' THEN
    RAISE WARNING 'funding_user_project: malformed % skipped', ev->>'type';
    RETURN;
  END IF;
  SELECT coalesce(array_agg(x), '{}') INTO r FROM jsonb_array_elements_text(d->'roles') x;
  INSERT INTO gateway_users (sub, roles, region, updated_at)
  VALUES (d->>'sub', r, d->>'region', now())
  ON CONFLICT (sub) DO UPDATE SET roles = excluded.roles, region = excluded.region,
    updated_at = excluded.updated_at;
  PERFORM f_members_unbacked(d->>'sub', ev->>'requestid');
END $$;

DROP FUNCTION funding_erc_member_add(jsonb, jsonb, jsonb, jsonb, text);
CREATE FUNCTION funding_erc_member_add(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE m erc_members;
BEGIN
  IF NOT f_officer_of(p, b->>'region') THEN
    PERFORM f_raise('MP403', 'officers manage the ERC of their own region');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM gateway_users u WHERE u.sub = b->>'user_sub'
                 AND u.region = b->>'region' AND 'erc_member' = ANY (u.roles)) THEN
    PERFORM f_field_error('user_sub', 'not an erc_member account of this region');
  END IF;
  -- a member who left may come back: the same row, active again
  INSERT INTO erc_members (region, user_sub, name, college)
  VALUES (b->>'region', b->>'user_sub', b->>'name', b->>'college')
  ON CONFLICT (region, user_sub) DO UPDATE SET active = true, name = excluded.name,
    college = excluded.college
  WHERE NOT erc_members.active
  RETURNING * INTO m;
  IF NOT FOUND THEN
    PERFORM f_raise('MP409', 'already a member of this ERC');
  END IF;
  PERFORM mp_emit('funding.erc.member_added.v1', m.id::text,
    jsonb_build_object('member_id', m.id, 'region', m.region, 'college', m.college), rid);
  RETURN f_member_json(m);
END $$;

CREATE FUNCTION funding_erc_member_deactivate(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE m erc_members;
BEGIN
  SELECT * INTO m FROM erc_members WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT f_officer_of(p, m.region) THEN
    PERFORM f_not_found();
  END IF;
  IF NOT m.active THEN
    PERFORM f_raise('MP409', 'the member is not active', jsonb_build_object('state', 'inactive'));
  END IF;
  UPDATE erc_members SET active = false WHERE id = m.id RETURNING * INTO m;
  PERFORM mp_emit('funding.erc.member_deactivated.v1', m.id::text,
    jsonb_build_object('member_id', m.id, 'region', m.region, 'college', m.college), rid);
  RETURN f_member_json(m);
END $$;
