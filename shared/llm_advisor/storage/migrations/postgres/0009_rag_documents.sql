-- 0009: retrieval documents (rag/store.py). One row per exported record of a day: its kind
-- (daily_bias, premarket, market_analysis, trade, daily_pnl), the record's natural key, the
-- run it belongs to (NULL for the per-day records every run shares: bias and premarket),
-- the session date, the symbol (NULL for market-wide documents), the text and metadata that
-- went to S3, and the text's embedding as little-endian float32 bytes with the embedder's
-- name and width (a query is only compared with vectors of its own embedder). doc_id is
-- '{kind}:{run or -}:{record_id}', so a rerun of export-rag overwrites the same rows.
-- pgvector is optional and not assumed here: where the server offers the extension,
-- rag/pgvector.py adds an "embedding_vec vector" column at export time (see docs/storage.md).
CREATE TABLE IF NOT EXISTS rag_documents (
    doc_id      text PRIMARY KEY,
    kind        text NOT NULL
        CHECK (kind IN ('daily_bias', 'premarket', 'market_analysis', 'trade', 'daily_pnl')),
    record_id   text NOT NULL,
    run_id      text,
    date        date NOT NULL,
    symbol      text,
    text        text NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    embedding   bytea NOT NULL,
    embedder    text NOT NULL,
    dim         integer NOT NULL CHECK (dim > 0 AND octet_length(embedding) = 4 * dim),
    updated_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS rag_documents_date_idx ON rag_documents (date, kind);
CREATE INDEX IF NOT EXISTS rag_documents_symbol_idx ON rag_documents (symbol, date);
CREATE INDEX IF NOT EXISTS rag_documents_run_idx ON rag_documents (run_id, date);
