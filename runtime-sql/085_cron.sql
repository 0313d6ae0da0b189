-- Cron expressions of df.wait_for_schedule, evaluated in SQL with the rules of
-- the compiler's validator (compiler/.../check/Cron.java, Vixie cron as in
-- pg_cron): five fields (minute hour day-of-month month day-of-week), '*',
-- numbers, ranges a-b, lists a,b, steps */n and a-b/n, names JAN-DEC and
-- SUN-SAT, 0 and 7 both Sunday, macros @hourly ... @yearly. When both day
-- fields are restricted a day matches if either does; a day field written
-- with a leading '*' (even */2) makes both have to match. Both implementations
-- are tested against test-corpus/cron/cases.tsv.

-- One field as the sorted set of values it allows; raises on any error.
CREATE OR REPLACE FUNCTION df._cron_field(p_text text, p_field text, p_min integer, p_max integer, p_names text[])
RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_element text;
    v_base    text;
    v_step    integer;
    v_low     integer;
    v_high    integer;
    v_parts   text[];
    v_values  integer[] := '{}'::integer[];
    v_name_base integer := CASE WHEN p_field = 'month' THEN 1 ELSE 0 END;
BEGIN
    FOREACH v_element IN ARRAY string_to_array(p_text, ',') LOOP
        IF v_element = '' THEN
            RAISE EXCEPTION 'invalid cron %: empty list element in "%"', p_field, p_text
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_base := split_part(v_element, '/', 1);
        v_step := 1;
        IF position('/' IN v_element) > 0 THEN
            IF substr(v_element, length(v_base) + 2) !~ '^[0-9]+$' THEN
                RAISE EXCEPTION 'invalid cron %: step "%" is not a number', p_field, substr(v_element, length(v_base) + 2)
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            v_step := least(substr(v_element, length(v_base) + 2)::numeric, 1000)::integer;
            IF v_step = 0 THEN
                RAISE EXCEPTION 'invalid cron %: step must be positive, found 0', p_field
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END IF;
        IF v_base = '*' THEN
            v_low := p_min;
            v_high := p_max;
        ELSE
            v_parts := string_to_array(v_base, '-');
            IF cardinality(v_parts) > 2 OR (cardinality(v_parts) = 1 AND position('/' IN v_element) > 0) THEN
                RAISE EXCEPTION 'invalid cron %: "%" is not a value, a range or ''*''%', p_field, v_element,
                        CASE WHEN position('/' IN v_element) > 0 THEN ' before a step' ELSE '' END
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'A step needs a range or ''*'' before it: a-b/n or */n.';
            END IF;
            v_low := df._cron_value(v_parts[1], p_field, p_min, p_max, p_names, v_name_base);
            v_high := df._cron_value(v_parts[cardinality(v_parts)], p_field, p_min, p_max, p_names, v_name_base);
            IF v_low > v_high THEN
                RAISE EXCEPTION 'invalid cron %: range % is reversed', p_field, v_base
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END IF;
        v_values := v_values || ARRAY(SELECT generate_series(v_low, v_high, v_step));
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT v FROM unnest(v_values) AS v ORDER BY v);
END;
$$;

CREATE OR REPLACE FUNCTION df._cron_value(p_text text, p_field text, p_min integer, p_max integer,
                                          p_names text[], p_name_base integer)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index integer;
BEGIN
    IF p_text ~ '^[0-9]+$' THEN
        IF length(p_text) > 9 OR p_text::integer NOT BETWEEN p_min AND p_max THEN
            RAISE EXCEPTION 'invalid cron %: % is out of range %-%', p_field, p_text, p_min, p_max
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN p_text::integer;
    END IF;
    v_index := array_position(p_names, upper(p_text));
    IF v_index IS NULL THEN
        RAISE EXCEPTION 'invalid cron %: "%" is not a number%', p_field, p_text,
                CASE WHEN p_names IS NULL THEN '' ELSE ' or a name' END
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = CASE WHEN p_names IS NULL THEN 'Only numbers, ranges, lists and steps are supported.'
                              ELSE format('Names are %s to %s.', p_names[1], p_names[cardinality(p_names)]) END;
    END IF;
    RETURN v_index - 1 + p_name_base;
END;
$$;

-- The parsed expression; raises a clear error when it is invalid.
CREATE OR REPLACE FUNCTION df._cron_parse(
    p_expr text,
    OUT minutes integer[], OUT hours integer[], OUT days integer[], OUT months integer[], OUT weekdays integer[],
    OUT dom_star boolean, OUT dow_star boolean)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_expr   text := btrim(coalesce(p_expr, ''), ' ' || chr(9) || chr(10) || chr(13));
    v_fields text[];
BEGIN
    IF left(v_expr, 1) = '@' THEN
        v_expr := CASE lower(v_expr)
                      WHEN '@yearly' THEN '0 0 1 1 *'
                      WHEN '@annually' THEN '0 0 1 1 *'
                      WHEN '@monthly' THEN '0 0 1 * *'
                      WHEN '@weekly' THEN '0 0 * * 0'
                      WHEN '@daily' THEN '0 0 * * *'
                      WHEN '@midnight' THEN '0 0 * * *'
                      WHEN '@hourly' THEN '0 * * * *'
                  END;
        IF v_expr IS NULL THEN
            RAISE EXCEPTION 'unknown cron macro "%"', btrim(p_expr)
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly.';
        END IF;
    END IF;
    v_fields := regexp_split_to_array(v_expr, '[[:space:]]+');
    IF v_expr = '' OR cardinality(v_fields) <> 5 THEN
        RAISE EXCEPTION 'cron expression "%" has % fields, expected 5', p_expr,
                CASE WHEN v_expr = '' THEN 0 ELSE cardinality(v_fields) END
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The fields are minute hour day-of-month month day-of-week, e.g. ''0 3 * * *''.';
    END IF;
    minutes := df._cron_field(v_fields[1], 'minute', 0, 59, NULL);
    hours := df._cron_field(v_fields[2], 'hour', 0, 23, NULL);
    days := df._cron_field(v_fields[3], 'day-of-month', 1, 31, NULL);
    months := df._cron_field(v_fields[4], 'month', 1, 12,
                             '{JAN,FEB,MAR,APR,MAY,JUN,JUL,AUG,SEP,OCT,NOV,DEC}');
    weekdays := df._cron_field(v_fields[5], 'day-of-week', 0, 7, '{SUN,MON,TUE,WED,THU,FRI,SAT}');
    IF 7 = ANY (weekdays) THEN
        weekdays := ARRAY(SELECT DISTINCT CASE WHEN w = 7 THEN 0 ELSE w END FROM unnest(weekdays) AS w ORDER BY 1);
    END IF;
    dom_star := left(v_fields[3], 1) = '*';
    dow_star := left(v_fields[5], 1) = '*';
    -- When both must match (or only the day of month is restricted), an
    -- allowed day must exist in some allowed month (February has 29).
    IF (dom_star OR dow_star)
       AND NOT EXISTS (SELECT FROM unnest(months) AS m
                        WHERE days[1] <= (ARRAY[31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[m]) THEN
        RAISE EXCEPTION 'cron expression "%" never fires: no month it allows has any day-of-month it allows', p_expr
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'February has at most 29 days; April, June, September and November 30.';
    END IF;
END;
$$;

-- The first fire time strictly after p_after, in time zone p_tz. A fire time
-- is a local minute matching the expression turned into an instant as
-- "timestamp AT TIME ZONE" does: a local time skipped by a DST change is the
-- same time before the change, a repeated one its later occurrence; so each
-- matching local minute fires once. Looks up to nine years ahead (February 29
-- can be eight years away); NULL beyond.
CREATE OR REPLACE FUNCTION df._cron_next(p_expr text, p_after timestamptz, p_tz text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cron  record;
    v_start timestamp := date_trunc('minute', p_after AT TIME ZONE p_tz) - interval '3 hours';
    v_day   date := v_start::date;
    v_last  date := (v_start + interval '9 years')::date;
    v_dom   boolean;
    v_dow   boolean;
    v_hour  integer;
    v_minute integer;
    v_local timestamp;
    v_at    timestamptz;
BEGIN
    v_cron := df._cron_parse(p_expr);
    WHILE v_day <= v_last LOOP
        IF NOT (extract(month FROM v_day)::integer = ANY (v_cron.months)) THEN
            v_day := (date_trunc('month', v_day) + interval '1 month')::date;
            CONTINUE;
        END IF;
        v_dom := extract(day FROM v_day)::integer = ANY (v_cron.days);
        v_dow := extract(dow FROM v_day)::integer = ANY (v_cron.weekdays);
        IF (v_dom AND v_dow) OR ((v_dom OR v_dow) AND NOT (v_cron.dom_star OR v_cron.dow_star)) THEN
            FOREACH v_hour IN ARRAY v_cron.hours LOOP
                CONTINUE WHEN v_day + make_interval(hours => v_hour, mins => 59) < v_start;
                FOREACH v_minute IN ARRAY v_cron.minutes LOOP
                    v_local := v_day + make_interval(hours => v_hour, mins => v_minute);
                    CONTINUE WHEN v_local < v_start;
                    v_at := v_local AT TIME ZONE p_tz;
                    IF v_at > p_after THEN
                        RETURN v_at;
                    END IF;
                END LOOP;
            END LOOP;
        END IF;
        v_day := v_day + 1;
    END LOOP;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION df._cron_next(text, timestamptz, text)
    IS 'next fire time of a 5-field cron expression strictly after a time, in a time zone (Vixie cron rules)';
