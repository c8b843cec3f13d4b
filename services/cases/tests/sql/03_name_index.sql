-- The blind index under a key ring (0009_name_index_keys.sql): each
-- value records its key id, a value from a worker of the previous
-- release is recorded under the key "0", and a search during a rotation
-- (every key's values, name_words per key) finds persons indexed under
-- either key, when all the words are theirs under one key.
BEGIN;
\ir fixture.psql
SELECT plan(6);

SELECT t_certify(t_agent()) IS NOT NULL AS certified \gset
-- Naima, indexed before the rotation by the bare key (an older worker)
SELECT cases_person_create(t_agent(), '{}', '{"sex": "female", "beneficiary_type": "mre"}',
  '{"id": "01930000-0000-7000-8000-0000000000a1", "identity_enc": "enc1:k:AA",
    "name_tokens": ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"]}', 'r') IS NOT NULL AS a \gset
-- Samira, indexed after it under the new key "k2"
SELECT cases_person_create(t_agent(), '{}', '{"sex": "female", "beneficiary_type": "mre"}',
  '{"id": "01930000-0000-7000-8000-0000000000b2", "identity_enc": "enc1:k:AA",
    "name_tokens": ["k2:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "k2:ffffffffffffffffffffffffffffffff"]}', 'r') IS NOT NULL AS b \gset

SELECT is((SELECT array_agg(token || '=' || key_id ORDER BY token) FROM person_name_tokens
  WHERE person_id = '01930000-0000-7000-8000-0000000000a1'),
  ARRAY['0:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=0', '0:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee=0'],
  'a bare value is recorded under the key "0"');
SELECT throws_ok($$INSERT INTO person_name_tokens (person_id, token)
  VALUES ('01930000-0000-7000-8000-0000000000a1', 'K2:nothex')$$, '23514', NULL,
  'an index value is "<key id>:<32 hex>"');
-- "exemple" under both keys: e... under "0", f... under "k2"
SELECT is((SELECT array_agg(i->>'id' ORDER BY i->>'id') FROM jsonb_array_elements(cases_person_list(t_agent(),
  '{"name": "exemple"}', NULL, '{"name_tokens": ["k2:ffffffffffffffffffffffffffffffff",
  "0:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"], "name_words": 1}', 'r')::jsonb->'items') i),
  ARRAY['01930000-0000-7000-8000-0000000000a1', '01930000-0000-7000-8000-0000000000b2'],
  'during a rotation a search finds persons indexed under either key');
SELECT is((SELECT array_agg(i->>'id') FROM jsonb_array_elements(cases_person_list(t_agent(),
  '{"name": "naima exemple"}', NULL, '{"name_tokens": ["k2:cccccccccccccccccccccccccccccccc",
  "k2:ffffffffffffffffffffffffffffffff", "0:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "0:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"], "name_words": 2}', 'r')::jsonb->'items') i),
  ARRAY['01930000-0000-7000-8000-0000000000a1'], 'every word, under one key');
-- words split across keys are no match (a value of each key is not a name)
SELECT is(jsonb_array_length(cases_person_list(t_agent(), '{"name": "x"}', NULL,
  '{"name_tokens": ["0:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "k2:ffffffffffffffffffffffffffffffff"],
    "name_words": 2}', 'r')::jsonb->'items'), 0, 'words found under two different keys do not match');
SELECT throws_ok($$SELECT cases_person_list(t_agent(), '{"name": "-"}', NULL, '{"name_tokens": [], "name_words": 0}', 'r')$$,
  'MP400', NULL, 'a name without a word is refused');

SELECT * FROM finish();
ROLLBACK;
