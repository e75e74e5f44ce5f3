//! The query API: REST over the warehouse and the recording chunks, and the web UI
