//! The ingest gateway: validates recorder batches and publishes them to the event log
