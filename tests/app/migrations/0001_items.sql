CREATE TABLE items (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  qty int NOT NULL CHECK (qty BETWEEN 0 AND 1000),
  colour text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE effects (
  id bigserial PRIMARY KEY,
  item_id uuid NOT NULL,
  event_id text NOT NULL
);

-- The write and its event in one transaction.
CREATE FUNCTION testapp_item_create(p_name text, p_qty int, p_colour text,
    p_request_id text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE i items;
BEGIN
  INSERT INTO items (name, qty, colour) VALUES (p_name, p_qty, p_colour)
  RETURNING * INTO i;
  PERFORM mp_emit('testapp.item.created.v1', i.id::text,
      jsonb_build_object('item_id', i.id, 'qty', i.qty), p_request_id);
  RETURN row_to_json(i);
END $$;
