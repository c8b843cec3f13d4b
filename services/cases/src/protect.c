/*
 * Keys of the cases service and their use on the request path (protect.h).
 * The key ring is read once per process from the environment; plaintext
 * buffers are wiped before they are freed; nothing here logs a value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mp/config.h"
#include "mp/log.h"

#include "protect.h"

static struct cases_keyring keyring;
static struct cases_keyring index_ring;

static int open_one(json_t *obj, const char *id, const char *key,
                    json_t *value);
static json_t *tokens_json(char tokens[][CASES_INDEX_TOKEN_MAX + 1], size_t n);

int
cases_protect_init(void)
{
	static char keys[2048], idx[128];
	static const struct mp_cfg_var vars[] = {
	    {"MP_FIELD_KEYS", MP_CFG_STRING, 1, NULL, 0, 0, NULL, keys,
	     sizeof(keys),
	     "keys of personal data: id:base64[,...], "
	     "the first seals"},
	    {"MP_BLIND_INDEX_KEY", MP_CFG_STRING, 1, NULL, 0, 0, NULL, idx,
	     sizeof(idx),
	     "keys of the name search index: id:base64[,...] "
	     "(the first indexes, every one is searched) or one base64 key"},
	};
	char err[256];
	int rc = -1;

	if (mp_config_load(vars, 2, NULL, err, sizeof(err)) != 0) {
		mp_log(MP_LOG_ERROR, "config", "%s", err);
		goto done;
	}
	/* a key file mounted as a variable may end with a newline */
	keys[strcspn(keys, "\r\n")] = '\0';
	idx[strcspn(idx, "\r\n")] = '\0';
	if (cases_keyring_parse(keys, &keyring, err, sizeof(err)) != 0) {
		mp_log(MP_LOG_ERROR, "config", "config: MP_FIELD_KEYS: %s",
		       err);
		goto done;
	}
	if (cases_index_ring_parse(idx, &index_ring, err, sizeof(err)) != 0) {
		mp_log(MP_LOG_ERROR, "config", "config: MP_BLIND_INDEX_KEY: %s",
		       err);
		goto done;
	}
	rc = 0;
done:
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(idx, sizeof(idx));
	return rc;
}

const struct cases_keyring *
cases_keys(void)
{
	return &keyring;
}

int
cases_seal_json(const char *id, const char *field, const json_t *value,
                char **out)
{
	char aad[128], *text;
	int rc;

	*out = NULL;
	snprintf(aad, sizeof(aad), "%s:%s", id, field);
	if ((text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return -ENOMEM;
	rc = cases_seal(&keyring, aad, text, strlen(text), out);
	sodium_memzero(text, strlen(text));
	free(text);
	return rc;
}

/* Open obj[key] (value: "enc1:..." or null) into obj[<field>]. */
static int
open_one(json_t *obj, const char *id, const char *key, json_t *value)
{
	char field[64], aad[160], *pt = NULL;
	size_t flen = strlen(key) - 4, len;
	json_t *opened = NULL;
	int rc;

	if (flen >= sizeof(field))
		return -EINVAL;
	memcpy(field, key, flen);
	field[flen] = '\0';
	if (json_is_string(value)) {
		snprintf(aad, sizeof(aad), "%s:%s", id, field);
		rc = cases_open(&keyring, aad, json_string_value(value), &pt,
		                &len);
		if (rc == 0)
			opened = json_loadb(pt, len, JSON_DECODE_ANY, NULL);
		if (pt != NULL) {
			sodium_memzero(pt, len);
			free(pt);
		}
		if (opened == NULL) {
			const char *kv[] = {"row", id, "field", field, NULL};

			mp_logkv(MP_LOG_ERROR, "protect", kv,
			         "a sealed value "
			         "did not open (%s)",
			         rc == -ENOKEY ? "unknown key"
			                       : "altered or misplaced");
		}
	}
	json_object_set_new(obj, field, opened != NULL ? opened : json_null());
	return opened != NULL || json_is_null(value) ? 0 : -EBADMSG;
}

int
cases_open_fields(json_t *v)
{
	const char *key, *id;
	json_t *e, *enc, *todo;
	size_t i;
	int bad = 0;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e) bad += cases_open_fields(e);
		return bad;
	}
	if (!json_is_object(v))
		return 0;
	id = json_string_value(json_object_get(v, "id"));
	todo = json_array();
	json_object_foreach(v, key, e)
	{
		size_t n = strlen(key);

		if (id != NULL && n > 4 && strcmp(key + n - 4, "_enc") == 0)
			json_array_append_new(todo, json_string(key));
		else
			bad += cases_open_fields(e);
	}
	json_array_foreach(todo, i, e)
	{
		key = json_string_value(e);
		enc = json_incref(json_object_get(v, key));
		json_object_del(v, key);
		if (open_one(v, id, key, enc) != 0)
			bad++;
		json_decref(enc);
	}
	json_decref(todo);
	return bad;
}

json_t *
cases_name_index(const char *name)
{
	char tokens[CASES_TOKENS_MAX][CASES_INDEX_TOKEN_MAX + 1];
	size_t n;

	if (index_ring.n == 0 ||
	    cases_index_tokens(&index_ring.keys[0], name, tokens,
	                       CASES_TOKENS_MAX, &n) != 0)
		return NULL;
	return tokens_json(tokens, n);
}

json_t *
cases_name_search(const char *name, size_t *words)
{
	char tokens[CASES_KEYS_MAX * CASES_TOKENS_MAX]
	           [CASES_INDEX_TOKEN_MAX + 1]; /* 8.4 KB */
	size_t n;

	if (cases_index_search(&index_ring, name, tokens,
	                       CASES_KEYS_MAX * CASES_TOKENS_MAX, &n,
	                       words) != 0)
		return NULL;
	return tokens_json(tokens, n);
}

/* The n index values as a new JSON array of strings, or NULL. */
static json_t *
tokens_json(char tokens[][CASES_INDEX_TOKEN_MAX + 1], size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		if (json_array_append_new(arr, json_string(tokens[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	return arr;
}
