-- S7: appends one audit row in a single round trip. The advisory lock serialises writers until
-- their transaction ends; in READ COMMITTED each statement of this (volatile) function takes a
-- fresh snapshot, so the predecessor read after the lock sees the previous writer's committed row.
-- hash = sha256(prev_hash || '\n' || seq || '\n' || content); src/domain/admin/audit-verify.ts recomputes it.
CREATE OR REPLACE FUNCTION "audit_append"(
  p_at timestamptz, p_actor text, p_action text, p_subject text, p_detail jsonb, p_result text, p_content text
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_prev_seq bigint;
  v_prev_hash text;
  v_seq bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(5117311);
  SELECT seq, hash INTO v_prev_seq, v_prev_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
  v_seq := coalesce(v_prev_seq, 0) + 1;
  INSERT INTO audit_events (seq, at, actor, action, subject, detail, result, prev_hash, hash, hash_version)
  VALUES (v_seq, p_at, p_actor, p_action, p_subject, p_detail, p_result, v_prev_hash,
          encode(sha256(convert_to(coalesce(v_prev_hash, '') || chr(10) || v_seq::text || chr(10) || p_content, 'UTF8')), 'hex'), 2);
  RETURN v_seq;
END
$$;
