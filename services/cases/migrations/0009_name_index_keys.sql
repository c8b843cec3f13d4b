-- The blind index of names gets a key ring, so its key can rotate while
-- the service runs. Each index value records the key that made it:
-- "<key id>:<32 hex>"; values written before had no id and were made by
-- the one bare MP_BLIND_INDEX_KEY, whose id is "0". A search looks under
-- every key of the ring (the C side sends each key's values), and a
-- person matches when all the words searched are theirs under one key.
-- mp-cases-rekey re-indexes persons under the ring's first key, person by
-- person under the person's row lock, so a rotation needs no downtime.

ALTER TABLE person_name_tokens DROP CONSTRAINT person_name_tokens_token_check;
UPDATE person_name_tokens SET token = '0:' || token WHERE token ~ '^[0-9a-f]{32}$';
ALTER TABLE person_name_tokens ADD CONSTRAINT person_name_tokens_token_check
  CHECK (token ~ '^[a-z0-9_-]{1,32}:[0-9a-f]{32}$');
ALTER TABLE person_name_tokens ADD COLUMN key_id text GENERATED ALWAYS AS (split_part(token, ':', 1)) STORED;

-- A worker of the previous release, still running during the upgrade,
-- writes bare values under the key "0": they are recorded as such.
CREATE FUNCTION c_name_token_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.token ~ '^[0-9a-f]{32}$' THEN NEW.token := '0:' || NEW.token; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER person_name_tokens_key BEFORE INSERT ON person_name_tokens
  FOR EACH ROW EXECUTE FUNCTION c_name_token_key();

-- Persons the principal may see, optionally those whose name holds every
-- word searched under one key of the ring (d = {"name_tokens": [the
-- values of every key], "name_words": words per key}, or null). Every
-- person listed is a read, audited as such.
CREATE OR REPLACE FUNCTION cases_person_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  lim int := c_limit(a);
  cur uuid := c_cursor(a);
  toks text[] := coalesce(array(SELECT jsonb_array_elements_text(d->'name_tokens')), '{}');
  words int := coalesce((d->>'name_words')::int, cardinality(toks));
  items jsonb;
BEGIN
  IF a ? 'name' AND words = 0 THEN PERFORM mp_field_error('name', 'no word to search for'); END IF;
  SELECT jsonb_agg(c_person_json(x) ORDER BY x.id) INTO items FROM (
    SELECT * FROM persons x
    WHERE c_person_visible(p, x) AND x.erased_at IS NULL AND (cur IS NULL OR x.id > cur)
      AND (NOT a ? 'commune' OR x.commune = a->>'commune')
      AND (words = 0 OR EXISTS (SELECT 1 FROM person_name_tokens t
             WHERE t.person_id = x.id AND t.token = ANY (toks) GROUP BY t.key_id HAVING count(*) = words))
    ORDER BY x.id LIMIT lim) x;
  INSERT INTO audit_log (actor_sub, actor_roles, region, commune, subject_type, subject_id, action, purpose, request_id)
  SELECT p->>'sub', c_roles(p), i->>'region', i->>'commune', 'person', (i->>'id')::uuid,
    CASE WHEN words > 0 THEN 'search' ELSE 'list' END, 'accompaniment', rid
  FROM jsonb_array_elements(coalesce(items, '[]')) i;
  RETURN c_page(items, lim);
END $$;
