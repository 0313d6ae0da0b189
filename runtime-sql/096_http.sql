-- HTTP steps (RUNTIME.md section 3, "HTTP"; docs/runtime.md, "HTTP steps").
-- df._run checks the call (df._http_request) and parks the item; the step
-- runner makes the call outside any transaction (bgworker/dfc.c, which also
-- refuses loopback destinations unless dfc.http_allow_loopback is on, and
-- private, link-local and the like unless dfc.http_allow_private is on) and
-- reports the outcome with df._http_done.

-- The call of an HTTP step, checked: a refusal raises, and df._run records it
-- as the node's failure. Only roles granted usage with include_http (or a
-- role they are members of) may make calls.
CREATE OR REPLACE FUNCTION df._http_request(p_submitter oid, p_step df.step)
RETURNS df._http_call
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_call    df._http_call;
    v_method  text := upper(coalesce(p_step.method, 'POST'));
    v_seconds double precision := coalesce(p_step.seconds, 30);
    v_header  record;
    v_typed   boolean := false;
    v_void    json;
    v_part    jsonb;
BEGIN
    IF NOT EXISTS (SELECT FROM df._usage u
                    WHERE u.include_http AND pg_has_role(p_submitter, u.role::oid, 'USAGE'))
       AND NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = p_submitter), false) THEN
        RAISE EXCEPTION 'role % may not make HTTP calls', p_submitter::regrole
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'An administrator allows it with df.grant_usage(role, include_http => true).';
    END IF;
    -- (messages show the URL without its user information, query and fragment: they may hold secrets)
    IF p_step.url IS NULL OR p_step.url !~* '^https?://[^/?#\s]' THEN
        RAISE EXCEPTION 'HTTP URL must start with http:// or https:// and a host: %',
                        coalesce(regexp_replace(p_step.url, '[?#].*$|(?<=//)[^/@]*@', '', 'g'), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_step.url ~ '[\s\x01-\x1f\x7f]' THEN
        RAISE EXCEPTION 'HTTP URL contains white space or control characters: %',
                        regexp_replace(p_step.url, '[?#].*$|(?<=//)[^/@]*@', '', 'g')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Percent-encode them (%20 for a space).';
    END IF;
    IF v_method NOT IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') THEN
        RAISE EXCEPTION 'unknown HTTP method "%"', p_step.method
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.';
    END IF;
    IF v_seconds IS NULL OR NOT (v_seconds > 0 AND v_seconds <= 3600) THEN
        RAISE EXCEPTION 'HTTP timeout must be more than 0 and at most 3600 seconds, not %', v_seconds
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_step.headers IS NOT NULL AND jsonb_typeof(p_step.headers) <> 'object' THEN
        RAISE EXCEPTION 'HTTP headers must be a JSON object, not %', p_step.headers
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    v_call.headers := ARRAY[]::text[];
    FOR v_header IN SELECT h.key, h.value FROM jsonb_each(coalesce(p_step.headers, '{}')) AS h LOOP
        IF v_header.key !~ '^[!#$%&''*+.^_`|~0-9A-Za-z-]+$' THEN
            RAISE EXCEPTION 'HTTP header name "%" is not a token', v_header.key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF jsonb_typeof(v_header.value) NOT IN ('string', 'number', 'boolean') THEN
            RAISE EXCEPTION 'HTTP header "%" must be a string, not a JSON %', v_header.key, jsonb_typeof(v_header.value)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF (v_header.value #>> '{}') ~ '[\r\n]' THEN
            RAISE EXCEPTION 'HTTP header "%" contains a line break', v_header.key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF (v_header.value #>> '{}') ~ '[\x01-\x08\x0b-\x1f\x7f]' THEN
            RAISE EXCEPTION 'HTTP header "%" contains a control character', v_header.key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- framing and connection headers are the client's: set by hand they could split one
        -- request into two (a Content-Length shorter than the body)
        IF lower(v_header.key) IN ('content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade',
                                   'te', 'trailer', 'keep-alive', 'proxy-connection') THEN
            RAISE EXCEPTION 'HTTP header "%" is set by dfc, not by the workflow', v_header.key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_typed := v_typed OR lower(v_header.key) = 'content-type';
        v_call.headers := v_call.headers || (v_header.key || ': ' || (v_header.value #>> '{}'));
    END LOOP;
    IF p_step.parts IS NOT NULL THEN
        IF jsonb_typeof(p_step.parts) <> 'array' THEN
            RAISE EXCEPTION 'HTTP multipart parts must be a JSON array, not %', p_step.parts
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF v_typed THEN
            RAISE EXCEPTION 'a multipart HTTP request sets its own Content-Type header'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give each part its content_type instead.';
        END IF;
        v_call.part_names := ARRAY[]::text[];
        v_call.part_data := ARRAY[]::bytea[];
        v_call.part_filenames := ARRAY[]::text[];
        v_call.part_types := ARRAY[]::text[];
        FOR v_part IN SELECT p.value FROM jsonb_array_elements(p_step.parts) AS p LOOP
            IF jsonb_typeof(v_part) <> 'object' OR jsonb_typeof(v_part -> 'name') IS DISTINCT FROM 'string'
               OR (v_part ? 'value') = (v_part ? 'value_base64')
               OR jsonb_typeof(coalesce(v_part -> 'value', v_part -> 'value_base64')) <> 'string'
               OR coalesce(jsonb_typeof(v_part -> 'filename'), 'string') <> 'string'
               OR coalesce(jsonb_typeof(v_part -> 'content_type'), 'string') <> 'string'
               OR EXISTS (SELECT FROM jsonb_object_keys(v_part) AS k
                           WHERE k NOT IN ('name', 'value', 'value_base64', 'filename', 'content_type')) THEN
                RAISE EXCEPTION 'HTTP multipart part % is not {"name": text, "value" or "value_base64": text[, "filename": text][, "content_type": text]}', v_part
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF concat(v_part ->> 'name', v_part ->> 'filename', v_part ->> 'content_type') ~ '[\r\n\x00"]' THEN
                RAISE EXCEPTION 'HTTP multipart part "%": its name, filename and content_type may not contain quotes or line breaks', v_part ->> 'name'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            v_call.part_names := v_call.part_names || (v_part ->> 'name');
            BEGIN
                v_call.part_data := v_call.part_data || CASE WHEN v_part ? 'value' THEN convert_to(v_part ->> 'value', 'UTF8')
                                                             ELSE decode(v_part ->> 'value_base64', 'base64') END;
            EXCEPTION WHEN invalid_parameter_value THEN
                RAISE EXCEPTION 'HTTP multipart part "%": value_base64 is not base64', v_part ->> 'name'
                    USING ERRCODE = 'invalid_parameter_value';
            END;
            v_call.part_filenames := v_call.part_filenames || (v_part ->> 'filename');
            v_call.part_types := v_call.part_types || (v_part ->> 'content_type');
        END LOOP;
    END IF;

    -- a body without a Content-Type is sent as JSON when it is JSON, else as text
    IF p_step.body IS NOT NULL AND NOT v_typed THEN
        BEGIN
            v_void := p_step.body::json;
            v_call.headers := v_call.headers || 'Content-Type: application/json'::text;
        EXCEPTION WHEN invalid_text_representation THEN
            v_call.headers := v_call.headers || 'Content-Type: text/plain; charset=utf-8'::text;
        END;
    END IF;

    v_call.url := p_step.url;
    v_call.method := v_method;
    v_call.body := p_step.body;
    v_call.timeout_ms := ceil(v_seconds * 1000)::integer;
    RETURN v_call;
END;
$$;
COMMENT ON FUNCTION df._http_request(oid, df.step)
    IS 'checks an HTTP step''s call (permission, URL, method, headers, timeout) and returns it for the step runner';

-- The outcome of the call df._run returned for p_item (token: the call's
-- v_call.token), in a new transaction: a response completes the node with
-- {"status","body","encoding","headers","ok","duration_ms"} (any status: ok is
-- false outside 2xx, and the workflow decides); p_error (a network error, a
-- timeout, a refused destination) fails it. An outcome for an item that moved
-- on (cancelled, a decided race, an older call) is dropped.
-- (the signature before the step's bind and next were handed back; quietly)
DO $$
BEGIN
    IF to_regprocedure('df._http_done(bigint, timestamptz, integer, text[], bytea, double precision, text, text)') IS NOT NULL THEN
        DROP FUNCTION df._http_done(bigint, timestamptz, integer, text[], bytea, double precision, text, text);
    END IF;
END;
$$;

-- p_bind and p_next are the step's, as df._run returned them: the step is not
-- rendered again (its references may have changed meanwhile).
CREATE OR REPLACE FUNCTION df._http_done(p_item bigint, p_token timestamptz, p_bind text, p_next integer,
                                         p_status integer, p_headers text[],
                                         p_body bytea, p_duration_ms double precision,
                                         p_error text DEFAULT NULL, p_sqlstate text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_awaited  record;
    v_item     df._queue;
    v_status   text;
    v_headers  jsonb;
    v_textual  boolean;
    v_text     text;
    v_result   json;
BEGIN
    SELECT * INTO v_awaited FROM df._awaited_item(p_item, 'http', p_token);
    v_item := v_awaited.o_item;
    v_status := v_awaited.o_status;
    IF v_item.id IS NULL THEN
        RETURN;
    END IF;
    IF p_error IS NOT NULL THEN
        PERFORM df._fail(p_item, coalesce(p_sqlstate, '08000'), p_error);
        RETURN;
    END IF;

    -- header names in lower case; a repeated header's values joined with ", "
    SELECT jsonb_object_agg(h.name, h.value) INTO v_headers
      FROM (SELECT lower(btrim(split_part(l.line, ':', 1))) AS name,
                   string_agg(btrim(substr(l.line, strpos(l.line, ':') + 1)), ', ' ORDER BY l.ord) AS value
              FROM unnest(p_headers) WITH ORDINALITY AS l(line, ord)
             WHERE strpos(l.line, ':') > 1
             GROUP BY 1) h;
    -- a textual body (by its Content-Type; none counts as text) that is
    -- valid UTF-8 is given as text, anything else in base64
    v_textual := coalesce(v_headers ->> 'content-type', 'text/plain')
                 ~* '^\s*(text/|application/(json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql)\M|[^;]*\+(json|xml)\M)';
    IF v_textual THEN
        BEGIN
            v_text := convert_from(coalesce(p_body, ''::bytea), 'UTF8');
        EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
            v_textual := false;
        END;
    END IF;
    v_result := json_build_object(
        'status', p_status,
        'body', CASE WHEN v_textual THEN v_text ELSE translate(encode(coalesce(p_body, ''::bytea), 'base64'), E'\n', '') END,
        'encoding', CASE WHEN v_textual THEN 'text' ELSE 'base64' END,
        'headers', coalesce(v_headers, '{}'::jsonb),
        'ok', p_status BETWEEN 200 AND 299,
        'duration_ms', round(p_duration_ms::numeric, 3));

    PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed', v_result);
    IF p_bind IS NOT NULL THEN
        PERFORM df._bind(v_item.instance_id, p_bind, v_result);
    END IF;
    PERFORM df._advance(v_item, p_next, NULL, v_result, v_status);
END;
$$;
COMMENT ON FUNCTION df._http_done(bigint, timestamptz, text, integer, integer, text[], bytea, double precision, text, text)
    IS 'records the outcome of an HTTP step''s call (response or error) and moves its thread on (step runner, new transaction)';
