-- Each trade-validation verdict carries what it cost and how sure it was (issue 13): the
-- validator's confidence (0-100, NULL for the rules validator), the call's latency and its
-- cost in US dollars (exact text, as llm_calls.cost_usd), so a verdict row stands alone.
ALTER TABLE llm_validations ADD COLUMN confidence real
    CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 100));
ALTER TABLE llm_validations ADD COLUMN latency_ms integer NOT NULL DEFAULT 0
    CHECK (latency_ms >= 0);
ALTER TABLE llm_validations ADD COLUMN cost_usd text NOT NULL DEFAULT '0'
    CHECK (CAST(cost_usd AS REAL) >= 0);
