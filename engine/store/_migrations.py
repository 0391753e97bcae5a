"""The schema as numbered migrations, so any older database file is brought up to date on open."""

MIGRATIONS: list[str] = [
    # v1: the contract's tables plus the engine's model bookkeeping.
    """
    CREATE TABLE orders (
        order_id VARCHAR NOT NULL, line_no INTEGER NOT NULL, order_ts TIMESTAMP,
        customer_id VARCHAR, product_id VARCHAR, product_name VARCHAR, category VARCHAR,
        quantity DOUBLE, unit_price DOUBLE, revenue DOUBLE, currency VARCHAR, country VARCHAR,
        status VARCHAR, batch_id VARCHAR NOT NULL
    );
    CREATE TABLE reviews (
        review_id VARCHAR NOT NULL, review_ts TIMESTAMP, product_id VARCHAR, product_name VARCHAR,
        category VARCHAR, customer_id VARCHAR, author VARCHAR, rating DOUBLE, title VARCHAR,
        text VARCHAR, batch_id VARCHAR NOT NULL
    );
    CREATE TABLE products (
        product_id VARCHAR NOT NULL, product_name VARCHAR, category VARCHAR,
        handle VARCHAR, sku VARCHAR, batch_id VARCHAR
    );
    CREATE TABLE rejected_rows (
        batch_id VARCHAR NOT NULL, source_file VARCHAR, row_number BIGINT, raw VARCHAR, reason VARCHAR
    );
    CREATE TABLE uploads (
        batch_id VARCHAR PRIMARY KEY, file_name VARCHAR, sha256 VARCHAR, format VARCHAR, kind VARCHAR,
        rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, rows_duplicate BIGINT,
        uploaded_at TIMESTAMP, mapping JSON
    );
    CREATE TABLE review_sentiment (
        review_id VARCHAR PRIMARY KEY, label VARCHAR, p_negative DOUBLE, p_neutral DOUBLE,
        p_positive DOUBLE, model_version VARCHAR, scored_at TIMESTAMP
    );
    CREATE TABLE model_versions (
        family VARCHAR NOT NULL, version VARCHAR NOT NULL, created_at TIMESTAMP, path VARCHAR,
        active BOOLEAN, metrics JSON, base_model VARCHAR, data_hash VARCHAR,
        PRIMARY KEY (family, version)
    );
    """,
    # v2: indexes on the natural keys that deduplication probes on every upload.
    """
    CREATE INDEX orders_key ON orders (order_id, line_no);
    CREATE INDEX reviews_key ON reviews (review_id);
    CREATE INDEX products_key ON products (product_id);
    """,
    # v3: drop them again: deduplication runs as hash anti-joins, which never use these indexes, while keeping
    # them up to date cost 0.25-0.85 s on every 1,000,000-line import.
    """
    DROP INDEX IF EXISTS orders_key;
    DROP INDEX IF EXISTS reviews_key;
    DROP INDEX IF EXISTS products_key;
    """,
    # v4: undo and update bookkeeping. rows_updated counts rows whose key was stored but whose content changed.
    # <table>_versions keep the row an upload replaced (replaced_by = that upload), so undoing it restores them;
    # upload_holds records rows an upload also carried that another upload had stored (duplicates, and rejected
    # rows of a re-imported file: held_table 'rejected_rows', row_key = the storing batch, line_no = its line), so an
    # undo keeps what another upload still holds.
    """
    ALTER TABLE uploads ADD COLUMN rows_updated BIGINT DEFAULT 0;
    UPDATE uploads SET rows_updated = 0;
    CREATE TABLE orders_versions (
        order_id VARCHAR NOT NULL, line_no INTEGER NOT NULL, order_ts TIMESTAMP,
        customer_id VARCHAR, product_id VARCHAR, product_name VARCHAR, category VARCHAR,
        quantity DOUBLE, unit_price DOUBLE, revenue DOUBLE, currency VARCHAR, country VARCHAR,
        status VARCHAR, batch_id VARCHAR NOT NULL, replaced_by VARCHAR NOT NULL
    );
    CREATE TABLE reviews_versions (
        review_id VARCHAR NOT NULL, review_ts TIMESTAMP, product_id VARCHAR, product_name VARCHAR,
        category VARCHAR, customer_id VARCHAR, author VARCHAR, rating DOUBLE, title VARCHAR,
        text VARCHAR, batch_id VARCHAR NOT NULL, replaced_by VARCHAR NOT NULL
    );
    CREATE TABLE products_versions (
        product_id VARCHAR NOT NULL, product_name VARCHAR, category VARCHAR,
        handle VARCHAR, sku VARCHAR, batch_id VARCHAR, replaced_by VARCHAR NOT NULL
    );
    CREATE TABLE review_sentiment_versions (
        review_id VARCHAR NOT NULL, label VARCHAR, p_negative DOUBLE, p_neutral DOUBLE,
        p_positive DOUBLE, model_version VARCHAR, scored_at TIMESTAMP, replaced_by VARCHAR NOT NULL
    );
    CREATE TABLE upload_holds (
        batch_id VARCHAR NOT NULL, held_table VARCHAR NOT NULL, row_key VARCHAR, line_no BIGINT
    );
    """,
    # v5: a model version whose files turned out missing or corrupt is marked broken (with the reason, when, and
    # the version activated in its place) instead of staying "active" while another one answers.
    """
    ALTER TABLE model_versions ADD COLUMN IF NOT EXISTS broken_reason VARCHAR;
    ALTER TABLE model_versions ADD COLUMN IF NOT EXISTS broken_at TIMESTAMP;
    ALTER TABLE model_versions ADD COLUMN IF NOT EXISTS fell_back_to VARCHAR;
    """,
    # v6: an order line's identity no longer rests on its position (a re-upload missing one line shifted the others
    # onto their neighbours' keys). line_id keeps the platform's own line id where the export has one; a line is
    # otherwise known by its product and that product's occurrence in the order (see ingest._commit). A stored
    # line that a later upload of its order lacks is listed in upload_missing (kept, never deleted), per upload.
    """
    ALTER TABLE orders ADD COLUMN IF NOT EXISTS line_id VARCHAR;
    ALTER TABLE orders_versions ADD COLUMN IF NOT EXISTS line_id VARCHAR;
    CREATE TABLE upload_missing (batch_id VARCHAR NOT NULL, order_id VARCHAR NOT NULL, line_no INTEGER NOT NULL);
    -- Lines stored before numbers were checked at the door with NaN, infinity or an impossible magnitude: they
    -- turned KPIs into 'nan' and broke every customer-level analysis. They move to rejected_rows, with the reason.
    INSERT INTO rejected_rows
        SELECT batch_id, NULL, NULL, concat_ws(',', order_id, line_no, order_ts, product_id, quantity, unit_price,
               revenue), 'quantity, unit price or revenue is not a finite number or beyond StoreLens''s range '
               || '(set aside when the database was upgraded)'
        FROM orders WHERE NOT (abs(coalesce(quantity, 0)) <= 1e9 AND abs(coalesce(unit_price, 0)) <= 1e12
                               AND abs(coalesce(revenue, 0)) <= 1e12);
    DELETE FROM orders WHERE NOT (abs(coalesce(quantity, 0)) <= 1e9 AND abs(coalesce(unit_price, 0)) <= 1e12
                                  AND abs(coalesce(revenue, 0)) <= 1e12);
    """,
    # v7: the language of each review (ISO 639-1, detected from title and text by engine.sentiment), so pages can
    # filter and compare by language and training can report each language's figures. Rows stored before are
    # filled the first time the reviews are read (engine.sentiment.fill_missing_languages): detection is Python.
    """
    ALTER TABLE reviews ADD COLUMN IF NOT EXISTS language VARCHAR;
    ALTER TABLE reviews_versions ADD COLUMN IF NOT EXISTS language VARCHAR;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
