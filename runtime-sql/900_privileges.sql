-- Last file: whatever the files above created, PUBLIC gets nothing in df.
-- Functions are executable by PUBLIC by default, hence the blanket revoke;
-- access is then granted per role by df.grant_usage. The step runner (the
-- background worker) connects as the bootstrap superuser and needs no grant.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA df FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA df FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA df FROM PUBLIC;
REVOKE ALL ON TYPE df.step FROM PUBLIC;
-- Compiled workflow functions are created later by deploy scripts; they stay
-- out of reach because df_workflows grants USAGE to nobody.
