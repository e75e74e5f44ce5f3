//! The sessionizer: groups raw batches into sessions and writes the transcript
