-- Each trade-validation verdict carries what it cost and how sure it was (issue 13): the
-- validator's confidence (0-100, NULL for the rules validator), the call's latency and its
-- cost in US dollars (exact, as llm_calls.cost_usd), so a verdict row stands alone.
ALTER TABLE llm_validations ADD COLUMN IF NOT EXISTS confidence double precision
    CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 100));
ALTER TABLE llm_validations ADD COLUMN IF NOT EXISTS latency_ms integer NOT NULL DEFAULT 0
    CHECK (latency_ms >= 0);
ALTER TABLE llm_validations ADD COLUMN IF NOT EXISTS cost_usd numeric NOT NULL DEFAULT 0
    CHECK (cost_usd >= 0);
