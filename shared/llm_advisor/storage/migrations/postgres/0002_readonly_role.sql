-- 0002: read-only role for the portfolio API (SELECT only). Roles are cluster-wide, so the
-- creation tolerates a concurrent creator (two databases migrating at once).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'llm_advisor_readonly') THEN
        BEGIN
            CREATE ROLE llm_advisor_readonly NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO llm_advisor_readonly', current_database());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO llm_advisor_readonly', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO llm_advisor_readonly',
                   current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO llm_advisor_readonly',
                   current_schema());
END
$$;
