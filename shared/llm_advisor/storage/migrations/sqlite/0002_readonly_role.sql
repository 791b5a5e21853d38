-- 0002: PostgreSQL creates the API's read-only role here. SQLite has no roles (the API opens
-- the file read-only instead); this file keeps the version numbers of both engines aligned.
SELECT 1;
